"""Recording, reading and verifying the append-only, hash-chained audit log.

Every event joins a chain (its shop's, or "global"): its hash covers its own content and the hash
of the event before it, so changing or deleting a stored event breaks every hash after it, and
``verify_chains`` names the first broken one. Appending locks the chain's head row, so two
transactions never append to the same place.

The hash covers the event's words (reason, before, after, data) through their digest, which is
stored beside them: erasing a person's data from an event (``redact_events``) replaces the words
and marks the event redacted, while the digest still proves the chain. Events recorded before the
digests existed (and left so because their chain was already broken) are hashed over their words.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import now
from storeguard.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
GLOBAL_CHAIN = "global"

# subject type -> how to find the shop of a subject (domains register theirs: core imports none).
_SHOP_OF: dict[str, Callable[[Session, str], int | None]] = {
    "shop": lambda _session, subject_id: int(subject_id) if subject_id.isdigit() else None
}


# Told of every event in the transaction that records it (outbound events to the merchant's own
# systems subscribe here, so no domain needs to know they exist).
AuditListener = Callable[[Session, AuditEvent], None]
_LISTENERS: dict[str, AuditListener] = {}


def on_record(name: str, listener: AuditListener) -> None:
    """Call ``listener`` with every event recorded from now on (again under a name: replaced)."""
    _LISTENERS[name] = listener


def shop_of_chain(chain: str) -> int | None:
    """Return the shop whose chain this is, or None for the global chain."""
    return int(chain.removeprefix("shop:")) if chain.startswith("shop:") else None


def register_subject_shop(subject_type: str, model: type, attribute: str = "shop_id") -> None:
    """Tell the audit log how to find the shop of a subject type (a model with a ``shop_id``)."""

    def shop_of(session: Session, subject_id: str) -> int | None:
        row = session.get(model, int(subject_id)) if subject_id.isdigit() else None
        return getattr(row, attribute, None) if row is not None else None

    _SHOP_OF[subject_type] = shop_of


def chain_of(session: Session, subject_type: str, subject_id: str, shop_id: int | None) -> str:
    """Return the chain an event joins: its shop's, or the global one."""
    if shop_id is None and (find := _SHOP_OF.get(subject_type)) is not None:
        shop_id = find(session, subject_id)
    return f"shop:{shop_id}" if shop_id is not None else GLOBAL_CHAIN


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_digest(event: AuditEvent) -> str:
    """Return the SHA-256 of an event's words: what a redaction may replace, the hash keeps."""
    words = {"reason": event.reason, "before": event.before, "after": event.after, "data": event.data}
    return hashlib.sha256(_canonical(words).encode()).hexdigest()


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    """Return the SHA-256 of an event's content and the hash before it, over canonical JSON.

    The words enter as their stored digest; an event without one (older) is hashed over the words.
    """
    content: dict[str, Any] = {
        "chain": event.chain,
        "seq": event.seq,
        "prev": prev_hash,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
    }
    digest = getattr(event, "payload_digest", None)
    if digest is None:
        content |= {"reason": event.reason, "before": event.before, "after": event.after, "data": event.data}
    else:
        content["payload"] = digest
    return hashlib.sha256(_canonical(content).encode()).hexdigest()


def _as_stored(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Hash what the database will give back (JSON), not the Python objects handed in.
    return None if value is None else json.loads(json.dumps(value, default=str))


def _lock_head(session: Session, chain: str) -> AuditChainHead:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(AuditChainHead)
        .values(chain=chain, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    return session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.chain == chain)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    shop_id: int | None = None,
) -> AuditEvent:
    """Append one audit event (``order.cancelled``) to its chain and flush it with the change it describes."""
    subject = str(subject_id)
    chain = chain_of(session, subject_type, subject, shop_id)
    head = _lock_head(session, chain)
    entry = AuditEvent(
        at=now(),
        actor=str(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject,
        reason=reason,
        before=_as_stored(before),
        after=_as_stored(after),
        data=_as_stored(data),
        chain=chain,
        seq=head.seq + 1,
        prev_hash=head.hash,
    )
    entry.payload_digest = payload_digest(entry)
    entry.hash = event_hash(entry, head.hash)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.flush()
    for listener in _LISTENERS.values():
        listener(session, entry)
    return entry


def events_for(session: Session, subject_type: str, subject_id: int | str) -> list[AuditEvent]:
    """Return a subject's events, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))


ERASED = "[erased]"


def scrub(value: Any, words: Sequence[str]) -> Any:
    """Return text or JSON-like data with every occurrence of ``words`` replaced by "[erased]"."""
    if isinstance(value, str):
        for word in words:
            value = value.replace(word, ERASED)
        return value
    if isinstance(value, list):
        return [scrub(v, words) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, words) for k, v in value.items()}
    return value


def longest_first(words: Iterable[str]) -> list[str]:
    """Order words for ``scrub``: an email is replaced whole before its local part could be."""
    return sorted({w for w in words if w}, key=lambda w: (-len(w), w))


def redact_events(
    session: Session, subjects: Iterable[tuple[str, int | str]], words: Iterable[str]
) -> list[int]:
    """Replace every occurrence of ``words`` (a person's erased data) in the subjects' events.

    Only the words change; the stored digest of the original keeps the chain verifiable, and the
    event is marked redacted (when). Returns the ids of the events changed.
    """
    ordered = longest_first(words)
    changed: list[int] = []
    if not ordered:
        return changed
    for subject_type, subject_id in sorted({(t, str(i)) for t, i in subjects}):
        for event in events_for(session, subject_type, subject_id):
            fields = ("reason", "before", "after", "data")
            new = {f: scrub(getattr(event, f), ordered) for f in fields}
            if all(new[f] == getattr(event, f) for f in fields):
                continue
            for f in fields:
                setattr(event, f, new[f])
            event.redacted_at = now()
            changed.append(event.id)
    session.flush()
    return sorted(changed)


@dataclass(slots=True)
class ChainReport:
    """One chain as verified: how many events were checked and the first break, if any."""

    chain: str
    events: int
    # Events a person's data was erased from: their chain and digest verify, their words cannot.
    redacted: int = 0
    broken_event_id: int | None = None
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def whole(self) -> bool:
        """Tell whether every event of the chain verified."""
        return self.problem is None


def verify_chains(session: Session, *, shop_id: int | None = None, batch: int = 5000) -> list[ChainReport]:
    """Recompute every chain (or one shop's) and report the first broken event of each."""
    heads = {h.chain: h for h in session.scalars(select(AuditChainHead))}
    chains = sorted(heads) if shop_id is None else [f"shop:{shop_id}"]
    return [_verify(session, chain, heads.get(chain), batch) for chain in chains]


def _events(session: Session, chain: str, batch: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        rows = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.chain == chain, AuditEvent.seq > after)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq or after


def _verify(session: Session, chain: str, head: AuditChainHead | None, batch: int) -> ChainReport:
    report = ChainReport(chain=chain, events=0)
    expected_seq, prev = 1, GENESIS
    for event in _events(session, chain, batch):
        report.events += 1
        report.redacted += event.redacted_at is not None
        problem = None
        if event.seq != expected_seq:
            problem = f"events {expected_seq} to {event.seq - 1} of the chain are missing (deleted)"
        elif event.prev_hash != prev:
            problem = "it does not follow the event before it (reordered or replaced)"
        elif event_hash(event, prev) != event.hash or (
            event.redacted_at is None
            and event.payload_digest is not None
            and payload_digest(event) != event.payload_digest
        ):
            problem = "its content was changed after it was recorded"
        if problem is not None:
            report.broken_event_id, report.broken_seq, report.problem = event.id, event.seq, problem
            return report
        expected_seq, prev = expected_seq + 1, event.hash or ""
        session.expunge(event)  # a long log is read in batches, never held whole
    if head is not None and head.seq != expected_seq - 1:
        report.broken_seq = expected_seq
        report.problem = (
            f"the chain ends at event {expected_seq - 1} but recorded {head.seq} (deleted at the end)"
        )
    return report
