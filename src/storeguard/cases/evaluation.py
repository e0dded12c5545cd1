"""Measuring conduct detection on labelled messages: precision and recall per category and language.

A labelled message is one JSON line: ``lang``, ``kind`` (ordinary, angry, abuse, obfuscated,
legal, physical), ``labels`` (the categories it holds) and ``text``. The project's set lives in
``bench/conduct``: ``dev.jsonl`` (what the lexicons were tuned on) and ``heldout.jsonl`` (written
before any tuning, never tuned on).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from storeguard.cases.conduct import LANGUAGES, Detector
from storeguard.cases.enums import ConductCategory


def load_labelled(path: Path) -> list[dict[str, Any]]:
    """Read a labelled set (one JSON object a line; blank lines skipped)."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def evaluate(detector: Detector, messages: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Precision and recall per category and language, the misses and false alarms, and the timing."""
    counts = {(c, lang): {"tp": 0, "fp": 0, "fn": 0} for c in ConductCategory for lang in LANGUAGES}
    mistakes: list[dict[str, Any]] = []
    timings: list[float] = []
    language_right = total = 0
    for message in messages:
        start = time.perf_counter()
        finding = detector.check(message["text"])
        timings.append((time.perf_counter() - start) * 1000)
        total += 1
        language_right += finding.language == message["lang"]
        found = {str(c) for c in finding.categories}
        wanted = set(message["labels"])
        for category in ConductCategory:
            cell = counts[(category, message["lang"])]
            hit, meant = str(category) in found, str(category) in wanted
            cell["tp"] += hit and meant
            cell["fp"] += hit and not meant
            cell["fn"] += meant and not hit
        if found != wanted:
            mistakes.append(
                {
                    "lang": message["lang"],
                    "text": message["text"],
                    "labels": sorted(wanted),
                    "found": sorted(found),
                    "terms": [t.term for t in finding.triggers],
                }
            )
    table: dict[str, dict[str, Any]] = {}
    for (category, lang), cell in counts.items():
        table.setdefault(str(category), {})[lang] = {
            **cell,
            "precision": _ratio(cell["tp"], cell["tp"] + cell["fp"]),
            "recall": _ratio(cell["tp"], cell["tp"] + cell["fn"]),
        }
    return {
        "messages": total,
        "language_accuracy": _ratio(language_right, total),
        "median_ms": round(statistics.median(timings), 4) if timings else None,
        "p99_ms": round(sorted(timings)[int(len(timings) * 0.99)], 4) if timings else None,
        "by_category": table,
        "mistakes": mistakes,
    }


TARGETS = {"abuse": (0.95, 0.9), "legal_threat": (0.95, 0.9)}  # (precision, recall)


def below_target(report: Mapping[str, Any]) -> list[str]:
    """Where abuse or legal threats fall below precision 0.95 or recall 0.9, per language."""
    short = []
    for category, (min_precision, min_recall) in TARGETS.items():
        for lang, cell in report["by_category"][category].items():
            precision, recall = cell["precision"], cell["recall"]
            if precision is not None and precision < min_precision:
                short.append(f"{category} {lang}: precision {precision}")
            if recall is not None and recall < min_recall:
                short.append(f"{category} {lang}: recall {recall}")
    return short
