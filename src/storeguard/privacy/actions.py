"""Giving a person's data out, and erasing it, are themselves recorded (never with the data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storeguard.cases.service import is_on_legal_hold
from storeguard.core.actor import Actor
from storeguard.core.audit import record_event, redact_events
from storeguard.core.clock import now
from storeguard.core.errors import CommonError, Conflict, Invalid
from storeguard.core.privacy import Erasure, erasure_parts
from storeguard.core.pseudonyms import erasure_key
from storeguard.customers.actions import lock_customer
from storeguard.privacy import erasure  # noqa: F401 - registers the erasure parts of the domains before privacy
from storeguard.privacy.enums import PrivacyError
from storeguard.privacy.service import customer_export


def export_customer(session: Session, *, customer_id: int, actor: Actor) -> dict[str, Any]:
    """Build a customer's export and record that it was made (the parts exported, not their content)."""
    export = customer_export(session, customer_id)
    record_event(
        session,
        actor=actor,
        action="customer.exported",
        subject_type="customer",
        subject_id=customer_id,
        data={"parts": sorted(export["parts"])},
        shop_id=export["shop_id"],
    )
    session.flush()
    return export


@dataclass(slots=True)
class ErasureResult:
    """What an erasure changed, by part; and the files to remove once it is committed."""

    customer_id: int
    counts: dict[str, int]
    redacted_audit_events: int
    files: list[Path] = field(default_factory=list)

    def remove_files(self) -> None:
        """Remove the erased attachments and photos (after the commit: a rollback keeps them)."""
        for path in self.files:
            path.unlink(missing_ok=True)

    def answer(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "erased": self.counts,
            "redacted_audit_events": self.redacted_audit_events,
        }


def erase_customer(session: Session, *, customer_id: int, actor: Actor, reason: str) -> ErasureResult:
    """Erase a customer's personal data everywhere, on request; refuse while a legal hold stands.

    Every registered part removes or replaces what its domain holds; the audit events about the
    person lose the erased values (their chain still verifies); the erasure is recorded with what
    it changed and why, never with the data.
    """
    if not reason.strip():
        raise Invalid(CommonError.note_required, "say why the data is erased (the request)", field="reason")
    customer = lock_customer(session, customer_id)
    if customer.erased_at is not None:
        raise Conflict(PrivacyError.already_erased, f"customer #{customer_id}'s data was erased already")
    if is_on_legal_hold(session, customer_id):
        raise Conflict(PrivacyError.legal_hold, f"customer #{customer_id}'s records are under a legal hold")
    key = erasure_key()
    if key is None:
        raise Conflict(
            PrivacyError.erasure_key_not_set,
            "set STOREGUARD_ERASURE_KEY (or STOREGUARD_ERASURE_KEY_FILE) first: a block keeps an "
            "erased customer's identifiers only as hashes under that key",
        )
    job = Erasure(customer=customer, key=key, at=now())
    for name, part in erasure_parts().items():
        job.counts[name] = part(session, job)
    session.flush()
    redacted = redact_events(session, job.subjects, job.words)
    record_event(
        session,
        actor=actor,
        action="customer.erased",
        subject_type="customer",
        subject_id=customer_id,
        reason=job.scrub(reason.strip()),
        data={"parts": job.counts, "redacted_audit_events": len(redacted)},
        shop_id=customer.shop_id,
    )
    session.flush()
    return ErasureResult(customer_id, job.counts, len(redacted), job.files)
