"""Line property rules: what reading a line's properties costs beside reading its tags.

Figures (microseconds for one ``CompiledRule.matches(facts)`` on an order of 3 lines, each with 0
to 4 properties as screening builds them):
- ``line_tags_rule_us``: ``order.lines.any(line.tags.contains('drop') and line.quantity > 2)``;
- ``line_property_rule_us``: ``order.lines.any(line.properties.get('engraving').icontains('sale'))``;
- ``line_property_floor_us``: the same condition as a plain lambda (no nulls, no case-free names);
- ``line_property_ratio``: the property rule over its floor; ``line_property_vs_tags``: over the tags rule.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from storeguard.rules import FACTS, compile_rule
from storeguard.screening.facts import line_facts

F = dict[str, Any]
NAMES = ["Engraving", "Gift message", "Size", "_bundle_id"]
VALUES = ["Happy birthday", "SALE", "for resale", "K + O", "M"]


def _order(rng: random.Random) -> F:
    lines = []
    for _ in range(3):
        props = [{"name": n, "value": rng.choice(VALUES)} for n in rng.sample(NAMES, rng.randint(0, 4))]
        tags = rng.sample(["drop", "sale", "new"], rng.randint(0, 2))
        lines.append(
            line_facts("SKU", "Ring", rng.randint(1, 4), 1000, None, tags, {}, False, False, 100, props)
        )
    return {"order.lines": tuple(lines)}


def _floor(f: F) -> bool:
    for line in f["order.lines"]:
        for name, value in line["line.properties"].items():
            if name.strip().casefold() == "engraving":
                if "sale" in value.casefold():
                    return True
                break
    return False


def _time_per_call(fn: Callable[[F], Any], rows: list[F], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for r in rows:
            fn(r)
        best = min(best, time.perf_counter() - start)
    return best / len(rows) * 1e6


def run(quick: bool = False) -> dict[str, float]:
    """Time a property rule, its floor and a tags rule on the same orders, in turn."""
    rng = random.Random(7)
    rows = [_order(rng) for _ in range(1000 if quick else 5000)]
    repeats = 3 if quick else 7
    tags = compile_rule("review if order.lines.any(line.tags.contains('drop') and line.quantity > 2)", FACTS)
    props = compile_rule(
        "review if order.lines.any(line.properties.get('engraving').icontains('sale'))", FACTS
    )
    assert [props.matches(r) for r in rows] == [_floor(r) for r in rows]
    tags_us = _time_per_call(tags.matches, rows, repeats)
    props_us = _time_per_call(props.matches, rows, repeats)
    floor_us = _time_per_call(_floor, rows, repeats)
    return {
        "line_tags_rule_us": round(tags_us, 3),
        "line_property_rule_us": round(props_us, 3),
        "line_property_floor_us": round(floor_us, 3),
        "line_property_ratio": round(props_us / floor_us, 2),
        "line_property_vs_tags": round(props_us / tags_us, 2),
    }


if __name__ == "__main__":
    print(run())
