"""Measure the detectors against a ground truth: precision and recall per abuse type, and overall.

Pure: takes the assessments and the truth file's customers, returns figures. The demo store writes
each customer's true type. An evader behaves as the account they came back from: a finding of that
account's type on the evader is right (not a false positive), but recall is counted on the type
the truth gives (the evasion finding is what has to catch them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from storeguard.risk.enums import WATCH_OR_WORSE, FindingType
from storeguard.risk.policy import DEFAULT, Assessment

# The ground truth's customer types and the finding that should name each.
TYPE_OF_FINDING: dict[FindingType, str] = {
    FindingType.wardrobing: "wardrober",
    FindingType.bracketing: "bracketer",
    FindingType.serial_returning: "serial_returner",
    FindingType.low_value_refunds: "low_value_refund_abuser",
    FindingType.not_received_claims: "item_not_received_claimer",
    FindingType.chargeback_abuse: "chargeback_abuser",
    FindingType.evasion: "evader",
}
HONEST = ("good", "vip")
# Abuse that leaves no trace in orders, refunds or disputes yet (abusive language reaches support
# cases, which storeguard does not hold yet): reported, kept out of the targets.
NOT_DETECTABLE = ("abusive",)
TARGETS = {"precision": 0.9, "recall": 0.9, "honest_watch_or_worse": 0.01}


@dataclass(frozen=True)
class Score:
    """Precision and recall of one question over the customers who have a truth."""

    support: int  # customers whose truth is the type
    flagged: int
    right: int  # flagged customers who are of the type (an evader also as their old account's)
    caught: int  # customers whose truth is the type, flagged

    @property
    def precision(self) -> float | None:
        return self.right / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.caught / self.support if self.support else None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures with precision and recall rounded to three places."""
        rounded = {
            k: (round(v, 3) if v is not None else None)
            for k, v in (("precision", self.precision), ("recall", self.recall))
        }
        return {**asdict(self), **rounded}


@dataclass(frozen=True)
class Evaluation:
    per_type: dict[str, Score]
    overall: Score
    not_detectable: dict[str, int]  # type -> support
    honest_watch_or_worse: dict[str, tuple[int, int]]  # good, vip, both -> (in watch or worse, of)

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data for JSON."""
        return {
            "per_type": {k: v.as_dict() for k, v in self.per_type.items()},
            "overall_abusive_vs_not": self.overall.as_dict(),
            "not_detectable_yet": self.not_detectable,
            "honest_in_watch_or_worse": {
                k: {"count": n, "of": total, "share": round(n / total, 4) if total else None}
                for k, (n, total) in self.honest_watch_or_worse.items()
            },
            "targets": TARGETS,
        }


def true_types(entry: Mapping[str, Any]) -> set[str]:
    """Return what a truth entry's customer really is; an evader also is the type they came back as."""
    types = {entry["type"]}
    if entry.get("original_type"):
        types.add(entry["original_type"])
    return types


def evaluate(
    assessments: Mapping[int, Assessment],
    truth_customers: Iterable[Mapping[str, Any]],
    thresholds: Mapping[str, Any] = DEFAULT,
) -> Evaluation:
    """Compare each customer's reported findings with their true type(s)."""
    counts = {name: [0, 0, 0, 0] for name in TYPE_OF_FINDING.values()}
    overall = [0, 0, 0, 0]
    hidden = dict.fromkeys(NOT_DETECTABLE, 0)
    honest = {"good": [0, 0], "vip": [0, 0]}
    for entry in truth_customers:
        actual = true_types(entry)
        found = assessments.get(entry["id"])
        named = {TYPE_OF_FINDING[f] for f in found.reported(thresholds)} if found else set()
        for name, c in counts.items():
            c[0] += name == entry["type"]
            c[1] += name in named
            c[2] += name in actual and name in named
            c[3] += name == entry["type"] and name in named
        if entry["type"] in hidden:
            hidden[entry["type"]] += 1
            continue  # neither abusive nor honest as far as the data can tell
        abusive = entry["type"] not in HONEST
        overall[0] += abusive
        overall[1] += bool(named)
        overall[2] += abusive and bool(named)
        overall[3] += abusive and bool(named)
        if entry["type"] in honest:
            honest[entry["type"]][1] += 1
            honest[entry["type"]][0] += bool(found and found.segment in WATCH_OR_WORSE)
    both = (honest["good"][0] + honest["vip"][0], honest["good"][1] + honest["vip"][1])
    return Evaluation(
        per_type={name: Score(*c) for name, c in counts.items()},
        overall=Score(*overall),
        not_detectable=hidden,
        honest_watch_or_worse={
            "good": tuple(honest["good"]),
            "vip": tuple(honest["vip"]),
            "good_and_vip": both,
        },
    )
