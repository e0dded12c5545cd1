"""The disputes inbox: reminders before the deadline, the merchant's answer, notes and outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storeguard.core.clock import frozen
from storeguard.core.errors import DomainError
from storeguard.core.models import OutboxMessage
from storeguard.disputes import actions, service
from storeguard.disputes.policy import is_overdue, normalized_reason, reminder_times
from tests.disputes.conftest import NOW, open_dispute
from tests.factories import FACTORY_ACTOR


def _reminders(session):
    return [
        (m.payload["to"], m.next_attempt_at, m.payload["subject"])
        for m in session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith("dispute-reminder:"))
            .order_by(OutboxMessage.id)
        )
    ]


def test_a_new_dispute_queues_reminders_to_the_team_five_and_two_days_before_its_deadline(
    session, order, team
):
    dispute = open_dispute(session, order)

    due = dispute.evidence_due_at
    assert _reminders(session) == [
        ("agent@example.no", due - timedelta(days=5), "Dispute dp_1: evidence due in 5 days"),
        ("agent@example.no", due - timedelta(days=2), "Dispute dp_1: evidence due in 2 days"),
    ]


def test_a_moved_deadline_replaces_the_reminders_not_yet_sent(session, order, team):
    open_dispute(session, order)

    moved = open_dispute(session, order, due=NOW + timedelta(days=3))

    assert _reminders(session) == [
        (
            "agent@example.no",
            moved.evidence_due_at - timedelta(days=2),
            "Dispute dp_1: evidence due in 2 days",
        )
    ]


def test_accepting_records_why_closes_the_dispute_and_stops_the_reminders(session, order, team):
    dispute = open_dispute(session, order)

    with frozen(NOW):
        actions.accept_dispute(
            session, dispute_id=dispute.id, actor=FACTORY_ACTOR, reason="The card was stolen; we agree."
        )

    assert (dispute.status, dispute.response, dispute.response_note) == (
        "accepted",
        "accepted",
        "The card was stolen; we agree.",
    )
    assert _reminders(session) == []


def test_contesting_keeps_the_dispute_open_and_stops_the_reminders(session, order, team):
    dispute = open_dispute(session, order)

    with frozen(NOW):
        actions.contest_dispute(
            session, dispute_id=dispute.id, actor=FACTORY_ACTOR, note="Delivered with signature"
        )

    assert (dispute.status, dispute.response) == ("needs_response", "contested")
    assert _reminders(session) == []


def test_a_second_answer_is_refused_and_changes_nothing(session, order, team):
    dispute = open_dispute(session, order)
    with frozen(NOW):
        actions.contest_dispute(session, dispute_id=dispute.id, actor=FACTORY_ACTOR)

        with pytest.raises(DomainError) as refused:
            actions.accept_dispute(
                session, dispute_id=dispute.id, actor=FACTORY_ACTOR, reason="changed our mind"
            )

    assert (refused.value.code, refused.value.status) == ("already_answered", 409)
    assert (dispute.status, dispute.response) == ("needs_response", "contested")


def test_an_answer_after_the_deadline_is_refused(session, order, team):
    dispute = open_dispute(session, order, due=NOW - timedelta(hours=1))

    with frozen(NOW), pytest.raises(DomainError) as refused:
        actions.contest_dispute(session, dispute_id=dispute.id, actor=FACTORY_ACTOR)

    assert refused.value.code == "past_due"
    assert dispute.response is None


def test_an_outcome_is_won_or_lost(session, order, team):
    dispute = open_dispute(session, order)

    with pytest.raises(DomainError) as refused:
        actions.record_dispute_outcome(session, dispute_id=dispute.id, actor=FACTORY_ACTOR, outcome="maybe")
    actions.record_dispute_outcome(session, dispute_id=dispute.id, actor=FACTORY_ACTOR, outcome="won")

    assert refused.value.code == "invalid_outcome"
    assert dispute.status == "won" and dispute.outcome_at is not None


def test_the_inbox_lists_open_disputes_by_deadline_before_the_rest(session, order, team):
    late = open_dispute(session, order, due=NOW + timedelta(days=9), gid="dp_late")
    soon = open_dispute(session, order, due=NOW + timedelta(days=2), gid="dp_soon")
    won = open_dispute(session, order, due=NOW + timedelta(days=1), gid="dp_won", status="won")

    rows, total = service.list_disputes(session)

    assert [d.id for d in rows] == [soon.id, late.id, won.id] and total == 3


def test_the_gateways_reasons_are_read_as_one_reason():
    assert [
        normalized_reason(r) for r in ("fraudulent", "unrecognized", "product_not_received", "general", None)
    ] == [
        "fraud",
        "fraud",
        "not_received",
        "other",
        "other",
    ]


def test_reminders_past_and_overdue_follow_the_clock():
    due = NOW + timedelta(days=3)

    assert [d for d, _ in reminder_times(due, NOW)] == [2]
    assert (
        is_overdue("needs_response", NOW, NOW),
        is_overdue("won", NOW, NOW),
        is_overdue("needs_response", due, NOW),
    ) == (True, False, False)


def test_win_rates_count_won_against_lost_and_accepted_by_reason_and_gateway(session, order, team):
    open_dispute(session, order, gid="dp_w1", status="won")
    open_dispute(session, order, gid="dp_w2", status="won", reason="product_not_received")
    open_dispute(session, order, gid="dp_l1", status="lost")
    open_dispute(session, order, gid="dp_a1", status="accepted")
    open_dispute(session, order, gid="dp_open")

    rates = service.win_rates(session)

    assert [(r.key, r.won, r.lost, r.rate) for r in rates["reason"]] == [
        ("fraud", 1, 2, 0.333),
        ("not_received", 1, 0, 1.0),
    ]
    assert [(r.key, r.won, r.lost) for r in rates["gateway"]] == [("stripe", 2, 2)]


def test_the_inbox_shows_when_the_team_is_next_reminded_of_each_dispute_still_waiting(session, order, team):
    waiting = open_dispute(session, order)

    assert service.next_reminders(session, [waiting.id]) == {
        waiting.id: waiting.evidence_due_at - timedelta(days=5)
    }


def test_an_answered_dispute_has_no_next_reminder(session, order, team):
    dispute = open_dispute(session, order)
    with frozen(NOW):
        actions.contest_dispute(session, dispute_id=dispute.id, actor=FACTORY_ACTOR, note="Delivered")

    assert service.next_reminders(session, [dispute.id]) == {}
