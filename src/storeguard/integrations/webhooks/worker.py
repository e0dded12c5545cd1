"""The background work every process does: finish stored webhook deliveries, hand domain events to
the platforms that subscribe to them, send due outbound calls, mail and events to merchants' systems, and reassess the risk of
customers whose history changed.

``serve`` runs it in a thread beside the API, so a delivery acknowledged just before a crash, or
one whose first attempt failed, is finished by the next pass of whichever process is up;
``storeguard integrations worker`` runs the same pass for deployments that keep workers apart.
Any number of them may run at once: each delivery and message is claimed in the transaction
that does its work, so it is done exactly once, and a claim dies with a killed process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM
from storeguard.core.clock import now
from storeguard.core.config import Settings, get_settings
from storeguard.core.events import EVENT_KIND
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import deliver_due
from storeguard.integrations.events import sender as events
from storeguard.integrations.platforms.mail import smtp as mail
from storeguard.integrations.platforms.shopify import events as shopify_events
from storeguard.integrations.platforms.shopify.outbound import KIND as SHOPIFY
from storeguard.integrations.platforms.shopify.outbound import senders
from storeguard.integrations.platforms.stripe import outbound as stripe
from storeguard.integrations.webhooks.inbox import InboxPass, process_pending
from storeguard.privacy.retention import apply_retention
from storeguard.risk.freshness import refresh_stale

# Every platform's subscription to domain events, each called with every event in turn.
SUBSCRIBERS: tuple[Callable[[Session, OutboxMessage], None], ...] = (shopify_events.on_event, stripe.on_event)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WorkPass:
    inbox: InboxPass
    sent: int
    assessed: int = 0  # customers whose risk was reassessed after their history changed
    retained: int = 0  # cases, messages and ended blocks' identifiers erased or hashed by retention

    @property
    def busy(self) -> bool:
        """Tell whether this pass found work (the next one should then come at once)."""
        return bool(
            self.inbox.processed or self.inbox.ignored or self.inbox.failed or self.sent or self.assessed
        )


def run_pass(session: Session, settings: Settings | None = None) -> WorkPass:
    """Process due deliveries, send due outbound platform calls and mail, then reassess a batch of
    customers whose history changed (what the deliveries just wrote included); each one commits itself."""
    inbox = process_pending(session)
    handed = hand_over_events(session)
    outbound = {
        **senders(session),
        **stripe.senders(session),
        **mail.senders(settings or get_settings()),
        **events.senders(session),
    }
    sent = deliver_due(session, outbound, kinds=[SHOPIFY, stripe.KIND, mail.KIND, events.KIND])
    assessed = refresh_stale(session)
    return WorkPass(inbox=inbox, sent=handed + sent, assessed=assessed, retained=retain_when_due(session))


_RETENTION_EVERY = timedelta(hours=1)
_last_retention: dict[str, datetime] = {}


def retain_when_due(session: Session) -> int:
    """Apply the shops' retention limits, once an hour per process (a sweep, not a queue); commits."""
    at = now()
    last = _last_retention.get("at")
    if last is not None and at - last < _RETENTION_EVERY:
        return 0
    _last_retention["at"] = at
    report = apply_retention(session, actor=SYSTEM)
    session.commit()
    report.remove_files()
    return len(report.items)


def hand_over_events(session: Session) -> int:
    """Give due domain events to every subscriber; what they queue is sent later in the same pass."""

    def to_subscribers(message: OutboxMessage) -> None:
        for subscriber in SUBSCRIBERS:
            subscriber(session, message)

    return deliver_due(session, {EVENT_KIND: to_subscribers}, kinds=[EVENT_KIND])


class BackgroundWork:
    """Run ``run_pass`` in a daemon thread every ``interval`` seconds until stopped."""

    def __init__(self, session_factory: Callable[[], Session], *, interval: float = 1.0) -> None:
        self.session_factory = session_factory
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="storeguard-background-work", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop after its current item and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                with self.session_factory() as session:
                    busy = run_pass(session).busy
            except Exception:  # an outage or a bug: logged, and the next pass tries again
                log.exception("background work pass failed; trying again in %s s", self.interval)
            if not busy:
                self._stop.wait(self.interval)
