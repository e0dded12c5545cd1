"""The outbox: queued in the caller's transaction, deduplicated, sent with retries, backoff, dead."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storeguard.core.clock import frozen
from storeguard.core.enums import OutboxStatus
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import MAX_ATTEMPTS, RetryLater, backoff, deliver_due, enqueue, retry_dead

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_enqueue_with_the_same_dedupe_key_returns_the_first_message(session):
    first = enqueue(session, "email", {"to": "a@example.com"}, dedupe_key="order_cancelled:1")
    again = enqueue(session, "email", {"to": "b@example.com"}, dedupe_key="order_cancelled:1")
    other = enqueue(session, "email", {"to": "c@example.com"})
    assert again.id == first.id
    assert again.payload == {"to": "a@example.com"}
    assert other.id != first.id
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_deliver_due_sends_and_marks_sent(session):
    sent: list[dict] = []
    with frozen(T0):
        message = enqueue(session, "email", {"to": "a@example.com"})
        assert deliver_due(session, {"email": lambda m: sent.append(m.payload)}) == 1
    assert sent == [{"to": "a@example.com"}]
    assert (message.status, message.attempts, message.sent_at, message.last_error) == (
        OutboxStatus.sent,
        1,
        T0,
        None,
    )
    with frozen(T0 + timedelta(hours=1)):
        assert deliver_due(session, {"email": lambda m: sent.append(m.payload)}) == 0
    assert len(sent) == 1


def test_deliver_due_backs_off_after_a_failure_and_retries_when_due(session):
    calls: list[datetime] = []

    def flaky(message: OutboxMessage) -> None:
        calls.append(message.next_attempt_at)
        if len(calls) == 1:
            raise ConnectionError("smtp down")

    with frozen(T0):
        message = enqueue(session, "email", {})
        assert deliver_due(session, {"email": flaky}) == 0
    assert (message.status, message.attempts) == (OutboxStatus.pending, 1)
    assert message.last_error == "ConnectionError: smtp down"
    assert message.next_attempt_at == T0 + backoff(1) == T0 + timedelta(seconds=2)

    with frozen(T0 + timedelta(seconds=1)):  # not yet due
        assert deliver_due(session, {"email": flaky}) == 0
    assert len(calls) == 1
    with frozen(T0 + timedelta(seconds=2)):
        assert deliver_due(session, {"email": flaky}) == 1
    assert (message.status, message.attempts) == (OutboxStatus.sent, 2)


def test_retry_later_uses_the_senders_delay(session):
    def throttled(message: OutboxMessage) -> None:
        raise RetryLater("429 from Shopify", timedelta(seconds=30))

    with frozen(T0):
        message = enqueue(session, "shopify", {})
        deliver_due(session, {"shopify": throttled})
    assert message.next_attempt_at == T0 + timedelta(seconds=30)
    assert message.last_error == "429 from Shopify"


def test_a_message_that_keeps_failing_goes_dead_and_can_be_retried(session):
    def broken(message: OutboxMessage) -> None:
        raise RuntimeError("bad template")

    at = T0
    with frozen(at):
        message = enqueue(session, "email", {})
    for _ in range(MAX_ATTEMPTS):
        with frozen(at):
            deliver_due(session, {"email": broken})
        at = message.next_attempt_at
    assert (message.status, message.attempts) == (OutboxStatus.dead, MAX_ATTEMPTS)
    with frozen(at + timedelta(days=1)):
        assert deliver_due(session, {"email": broken}) == 0
    assert message.attempts == MAX_ATTEMPTS

    with frozen(at + timedelta(days=1)):
        retry_dead(session, message.id)
        assert deliver_due(session, {"email": lambda m: None}) == 1
    assert message.status == OutboxStatus.sent


def test_backoff_doubles_and_caps_at_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 12, 20)] == [2, 4, 8, 3600, 3600]


def test_messages_of_kinds_without_a_sender_wait(session):
    with frozen(T0):
        message = enqueue(session, "sms", {})
        assert deliver_due(session, {"email": lambda m: None}) == 0
    assert (message.status, message.attempts) == (OutboxStatus.pending, 0)
