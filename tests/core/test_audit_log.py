"""The audit log only grows: an event can be added and read, never changed or removed."""

import pytest

from storeguard.core.actor import Actor
from storeguard.core.audit import events_for, record_event
from storeguard.core.enums import Role

ACTOR = Actor("api_key", "ann", Role.agent)


def test_record_event_appends_and_events_for_reads_in_order(session):
    first = record_event(
        session,
        actor=ACTOR,
        action="order.cancelled",
        subject_type="order",
        subject_id=7,
        reason="fraud",
        before={"status": "open"},
        after={"status": "cancelled"},
    )
    record_event(session, actor=ACTOR, action="order.refunded", subject_type="order", subject_id=7)
    record_event(session, actor=ACTOR, action="order.refunded", subject_type="order", subject_id=8)

    events = events_for(session, "order", 7)

    assert [e.action for e in events] == ["order.cancelled", "order.refunded"]
    assert (first.actor, first.subject_id, first.reason) == ("api_key:ann", "7", "fraud")
    assert (first.before, first.after) == ({"status": "open"}, {"status": "cancelled"})
    assert first.at.tzinfo is not None


def test_audit_event_cannot_be_updated(session):
    event = record_event(session, actor=ACTOR, action="order.cancelled", subject_type="order", subject_id=1)
    event.reason = "rewritten"
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()


def test_audit_event_cannot_be_deleted(session):
    event = record_event(session, actor=ACTOR, action="order.cancelled", subject_type="order", subject_id=1)
    session.delete(event)
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()
