"""Retention: personal data kept no longer than the shop says, erased or hashed by a scheduled pass.

A shop sets, in its settings (``retention``), after how many days closed cases lose their messages
and the customer's name and address, any message loses its words and files, and the identifiers of
a block that ended (expired or lifted) are kept only as keyed hashes. Unset, nothing is erased.
A customer under a legal hold is skipped. ``due`` lists what the limits make due (the dry run);
``apply_retention`` does it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from storeguard.cases.enums import CaseStatus
from storeguard.cases.models import Case, CaseEntry, LegalHold
from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import Invalid
from storeguard.core.pseudonyms import PREFIX, erasure_key, keyed_hash
from storeguard.lists.actions import bump_version
from storeguard.lists.enums import EntryStatus
from storeguard.lists.models import ListEntry
from storeguard.lists.policy import dedupe_key
from storeguard.privacy.enums import PrivacyError
from storeguard.privacy.erasure import attachment_used_elsewhere
from storeguard.shops.models import Shop
from storeguard.shops.service import get_shop

LIMITS = ("closed_cases_days", "messages_days", "expired_blocks_days")
KINDS = ("closed_case", "message", "expired_block_identifier")  # what each limit makes due, in order
LONGEST_DAYS = 36500
# A pass takes so many rows of each kind at most: the background work stays short, the next pass goes on.
BATCH = 500


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing the limits make due: a closed case, a message, or an ended block's identifier."""

    shop_id: int
    kind: str  # closed_case, message, expired_block_identifier
    ref_id: int


@dataclass(slots=True)
class RetentionReport:
    """What a pass did (or, dry, would do), by shop and kind; and the files to remove after commit."""

    items: list[DueItem]
    dry_run: bool
    skipped_without_key: int = 0  # ended blocks' identifiers left as they are: no erasure key set
    files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {}
        for item in self.items:
            kinds = out.setdefault(item.shop_id, {})
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        return out

    def remove_files(self) -> None:
        for path in self.files:
            path.unlink(missing_ok=True)


def retention_limits(shop: Shop) -> dict[str, int | None]:
    """Return the shop's limits in days (None: kept)."""
    saved = (shop.settings or {}).get("retention") or {}
    return {name: saved.get(name) for name in LIMITS}


def check_limits(limits: dict[str, int | None]) -> None:
    """Refuse a limit that is not one of ``LIMITS`` or not 1 to ``LONGEST_DAYS`` days."""
    for name, days in limits.items():
        if name not in LIMITS:
            raise Invalid(PrivacyError.invalid_retention, f"no retention limit {name!r}", field=name)
        if days is not None and not 1 <= days <= LONGEST_DAYS:
            raise Invalid(
                PrivacyError.invalid_retention, f"{name} must be 1 to {LONGEST_DAYS} days", field=name
            )


def set_retention(
    session: Session, *, shop_id: int, limits: dict[str, int | None], actor: Actor
) -> dict[str, Any]:
    """Set a shop's retention limits (days, or None to keep); audited with what they were."""
    check_limits(limits)
    shop = get_shop(session, shop_id, field="shop_id")
    before = retention_limits(shop)
    after = {**before, **limits}
    shop.settings = {**(shop.settings or {}), "retention": after}  # a new dict: the JSON column sees it
    session.flush()
    record_event(
        session,
        actor=actor,
        action="privacy.retention_set",
        subject_type="shop",
        subject_id=shop.id,
        before={"retention": before},
        after={"retention": after},
    )
    return after


def _held(session: Session) -> set[int]:
    return set(session.scalars(select(LegalHold.customer_id).where(LegalHold.lifted_at.is_(None))))


def _has_words() -> Any:
    return or_(CaseEntry.body != "", CaseEntry.html.is_not(None), cast(CaseEntry.attachments, String) != "[]")


def due(
    session: Session,
    *,
    at: datetime | None = None,
    shop_id: int | None = None,
    limits: dict[str, int | None] | None = None,
    batch: int | None = BATCH,
) -> list[DueItem]:
    """List what the shops' limits make due now, oldest first per kind (``batch`` at most of each;
    None: all). ``limits`` replaces the shops' own, to see what limits not saved yet would do."""
    at = at or now()
    held = _held(session)
    shops = select(Shop) if shop_id is None else select(Shop).where(Shop.id == shop_id)
    items: list[DueItem] = []
    for shop in session.scalars(shops.order_by(Shop.id)):
        shop_limits = {**retention_limits(shop), **(limits or {})}
        if (days := shop_limits["closed_cases_days"]) is not None:
            stmt = (
                select(Case.id, Case.customer_id)
                .where(Case.shop_id == shop.id, Case.status.in_([CaseStatus.resolved, CaseStatus.closed]))
                .where(func.coalesce(Case.resolved_at, Case.updated_at) < at - timedelta(days=days))
                .where(
                    or_(
                        Case.customer_email.is_not(None),
                        Case.customer_name.is_not(None),
                        Case.subject != "",
                        Case.id.in_(select(CaseEntry.case_id).where(_has_words())),
                    )
                )
                .order_by(Case.id)
                .limit(batch)
            )
            items += [DueItem(shop.id, "closed_case", i) for i, c in session.execute(stmt) if c not in held]
        if (days := shop_limits["messages_days"]) is not None:
            stmt = (
                select(CaseEntry.id, Case.customer_id)
                .join(Case, Case.id == CaseEntry.case_id)
                .where(
                    Case.shop_id == shop.id, CaseEntry.created_at < at - timedelta(days=days), _has_words()
                )
                .order_by(CaseEntry.id)
                .limit(batch)
            )
            items += [DueItem(shop.id, "message", i) for i, c in session.execute(stmt) if c not in held]
        if (days := shop_limits["expired_blocks_days"]) is not None:
            cutoff = at - timedelta(days=days)
            stmt = (
                select(ListEntry.id, ListEntry.customer_id)
                .where(ListEntry.shop_id == shop.id, ListEntry.type != "customer")
                .where(ListEntry.customer_id.is_not(None), ListEntry.value.not_like(f"{PREFIX}%"))
                .where(
                    or_(
                        and_(ListEntry.status == EntryStatus.lifted, ListEntry.lifted_at < cutoff),
                        ListEntry.expires_at < cutoff,
                    )
                )
                .order_by(ListEntry.id)
                .limit(batch)
            )
            items += [
                DueItem(shop.id, "expired_block_identifier", i)
                for i, c in session.execute(stmt)
                if c not in held
            ]
    return items


def would_erase(session: Session, *, shop_id: int, limits: dict[str, int | None]) -> dict[str, int]:
    """Count, per kind, what the scheduled pass would erase or hash now under these limits (the
    page's dry run: every item due, not one pass's batch); changes nothing."""
    check_limits(limits)
    counts = dict.fromkeys(KINDS, 0)
    for item in due(session, shop_id=shop_id, limits=limits, batch=None):
        counts[item.kind] += 1
    return counts


def apply_retention(
    session: Session,
    *,
    actor: Actor,
    dry_run: bool = False,
    at: datetime | None = None,
    shop_id: int | None = None,
) -> RetentionReport:
    """Erase or hash what the limits make due (or only list it, dry); one audit event per shop, without the data."""
    items = due(session, at=at, shop_id=shop_id)
    report = RetentionReport(items=items, dry_run=dry_run)
    if dry_run or not items:
        return report
    key = erasure_key()
    folder = Path(get_settings().data_dir) / "case-attachments"
    done: list[DueItem] = []
    bumped: set[int] = set()
    for item in items:
        if item.kind == "closed_case":
            case = session.get(Case, item.ref_id)
            if case is None:
                continue
            case.customer_email = case.customer_name = None
            case.subject = ""
            for entry in case.entries:
                _erase_words(session, entry, folder, report.files)
        elif item.kind == "message":
            entry = session.get(CaseEntry, item.ref_id)
            if entry is None:
                continue
            _erase_words(session, entry, folder, report.files)
        else:
            if key is None:
                report.skipped_without_key += 1
                continue
            list_entry = session.get(ListEntry, item.ref_id)
            if list_entry is None:
                continue
            list_entry.value = keyed_hash(key, list_entry.type, list_entry.value)
            list_entry.display = ""
            list_entry.dedupe_key = dedupe_key(
                list_entry.kind, list_entry.type, list_entry.value, list_entry.action, list_entry.scope or {}
            )
            if list_entry.shop_id not in bumped:
                bump_version(session, list_entry.shop_id)
                bumped.add(list_entry.shop_id)
        done.append(item)
    report.items = done
    session.flush()
    for shop, kinds in report.counts().items():
        record_event(
            session,
            actor=actor,
            action="privacy.retention_applied",
            subject_type="shop",
            subject_id=shop,
            data={"erased": kinds},
        )
    session.flush()
    return report


def _erase_words(session: Session, entry: CaseEntry, folder: Path, files: list[Path]) -> None:
    hashes = [a.get("sha256") for a in entry.attachments or [] if a.get("sha256")]
    entry.body, entry.html, entry.subject, entry.attachments = "", None, None, []
    session.flush()
    files.extend(folder / h for h in hashes if not attachment_used_elsewhere(session, h, entry.id))
