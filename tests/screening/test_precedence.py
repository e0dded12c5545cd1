"""The precedence table, pinned: allow entries, then block, then review/verify; strongest wins."""

from __future__ import annotations

import pytest

from storeguard.screening.enums import Outcome, ReasonSource
from storeguard.screening.policy import Reason, decide, score_of

THRESHOLDS = {"verify": 40, "review": 60, "block": None}


def r(source: str, action: str | None = None, weight: int = 0, code: str = "x") -> Reason:
    return Reason(
        code=code,
        message="m",
        source=ReasonSource(source),
        action=Outcome(action) if action else None,
        weight=weight,
    )


# (reasons, expected decision)
TABLE = [
    ([], "allow"),
    ([r("list", "allow"), r("list", "block")], "allow"),
    ([r("link", "allow"), r("rule", "block")], "allow"),
    ([r("list", "allow"), r("signal", None, 100)], "allow"),
    ([r("list", "block"), r("rule", "review")], "block"),
    ([r("link", "block")], "block"),
    ([r("rule", "review"), r("rule", "verify")], "review"),
    ([r("rule", "verify"), r("rule", "block"), r("rule", "review")], "block"),
    ([r("list", "verify"), r("rule", "review")], "review"),
    ([r("list", "review"), r("rule", "allow")], "review"),
    ([r("rule", "allow"), r("signal", None, 70)], "allow"),
    ([r("rule", "allow"), r("segment", "review")], "allow"),
    ([r("signal", None, 39)], "allow"),
    ([r("signal", None, 40)], "verify"),
    ([r("signal", None, 30), r("velocity", None, 30)], "review"),
    ([r("segment", "review", 25)], "review"),
    ([r("segment", "block")], "block"),
    ([r("rule", "verify"), r("signal", None, 60)], "review"),
]


@pytest.mark.parametrize(("reasons", "expected"), TABLE)
def test_decide_follows_the_precedence_table(reasons: list[Reason], expected: str) -> None:
    assert decide(reasons, THRESHOLDS).decision == expected


def test_decide_puts_the_deciding_reasons_first() -> None:
    reasons = [r("signal", None, 20, "a"), r("rule", "review", code="b"), r("list", "block", code="c")]
    verdict = decide(reasons, THRESHOLDS)
    assert [x.code for x in verdict.reasons] == ["c", "b", "a"]
    assert [x.decisive for x in verdict.reasons] == [True, False, False]


def test_decide_marks_score_reasons_decisive_when_the_score_decides() -> None:
    reasons = [r("signal", None, 30, "a"), r("velocity", None, 35, "b"), r("signal", None, 0, "c")]
    verdict = decide(reasons, THRESHOLDS)
    assert verdict.decision == "review"
    assert {x.code for x in verdict.reasons if x.decisive} == {"a", "b"}


def test_score_is_clamped_between_0_and_100() -> None:
    assert score_of([r("signal", None, 80), r("signal", None, 80)]) == 100
    assert score_of([r("segment", None, -20)]) == 0


def test_score_block_threshold_blocks_when_the_merchant_sets_one() -> None:
    assert decide([r("signal", None, 90)], {**THRESHOLDS, "block": 85}).decision == "block"


def test_restricted_lines_come_from_scoped_entries_only() -> None:
    scoped = r("list", "block")
    scoped.lines = [{"index": 1, "sku": "LE-1"}]
    allow_scoped = r("rule", "review")
    verdict = decide([scoped, allow_scoped], THRESHOLDS)
    assert verdict.restricted_lines == [{"index": 1, "sku": "LE-1", "actions": ["block"]}]
