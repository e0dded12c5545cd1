"""Which gateway report may change a dispute's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storeguard.disputes.enums import DisputeStatus as S
from storeguard.disputes.policy import report_applies

T = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_the_first_report_of_a_dispute_always_applies() -> None:
    assert report_applies(None, None, S.needs_response, T) is True


def test_an_older_report_does_not_overwrite_a_newer_state() -> None:
    assert report_applies(S.under_review, T, S.needs_response, T - timedelta(seconds=1)) is False


def test_a_newer_report_applies() -> None:
    assert report_applies(S.under_review, T, S.won, T + timedelta(seconds=1)) is True


def test_at_the_same_instant_an_outcome_never_steps_back_to_an_open_state() -> None:
    assert report_applies(S.won, T, S.under_review, T) is False


def test_at_the_same_instant_one_open_state_may_follow_another() -> None:
    assert report_applies(S.needs_response, T, S.under_review, T) is True


def test_a_report_without_a_time_applies() -> None:
    assert report_applies(S.won, T, S.under_review, None) is True
