"""Pure rules for entries and blocks: what a block needs, what is a duplicate, when an entry lives."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from storeguard.core.enums import Role
from storeguard.core.errors import CommonError, DomainError, Forbidden, Invalid
from storeguard.customers.normalize import FREE_MAIL_DOMAINS
from storeguard.lists.enums import EntryStatus, ListErrorCode

EVIDENCE_KINDS = ("order_ids", "case_ids", "incident_ids", "notes")
MIN_JUSTIFICATION_CHARS = 20
DEFAULT_BLOCK_ROLE = Role.agent


def scope_json(scope: Mapping[str, Any]) -> str:
    """Return a scope as canonical JSON (sorted keys), the form the dedupe key hashes."""
    return json.dumps(dict(scope), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def dedupe_key(kind: str, type_: str, value: str, action: str | None, scope: Mapping[str, Any] | str) -> str:
    """Return the key that makes two entries the same entry (so creating one twice is idempotent).

    ``scope`` may be given as its canonical JSON already (bulk imports compute it once per scope).
    """
    canonical = scope if isinstance(scope, str) else scope_json(scope)
    return dedupe_keyer(kind, action, canonical)(type_, value)


def dedupe_keyer(kind: str, action: str | None, scope_text: str) -> Callable[[str, str], str]:
    """Return ``dedupe_key`` for entries alike but for type and value (a bulk import's many rows)."""
    tail = f"\x1f{action or ''}\x1f{scope_text}"
    head = f"{kind}\x1f"
    sha1 = hashlib.sha1

    def key(type_: str, value: str) -> str:
        return sha1(f"{head}{type_}\x1f{value}{tail}".encode()).hexdigest()

    return key


def clean_evidence(raw: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """Return evidence with only the known kinds, de-duplicated, in order; ids as ints, notes as text."""
    evidence: dict[str, list[Any]] = {}
    for kind in EVIDENCE_KINDS:
        values = (raw or {}).get(kind) or []
        if kind == "notes":
            cleaned: list[Any] = [str(v).strip() for v in values if str(v).strip()]
        else:
            cleaned = [int(v) for v in values]
        if cleaned:
            evidence[kind] = list(dict.fromkeys(cleaned))
    return evidence


def merge_evidence(current: Mapping[str, Any], more: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Add evidence found later (a case, an incident) to what an entry already has."""
    merged = {k: list(v) for k, v in current.items()}
    for kind, values in clean_evidence(more).items():
        merged[kind] = list(dict.fromkeys([*merged.get(kind, []), *values]))
    return merged


def has_evidence(evidence: Mapping[str, Any]) -> bool:
    """Tell whether there is at least one piece of evidence."""
    return any(evidence.get(kind) for kind in EVIDENCE_KINDS)


def block_refusal(
    *,
    reason_code: str | None,
    evidence: Mapping[str, Any],
    actor_role: Role,
    justification: str | None,
    min_role: Role = DEFAULT_BLOCK_ROLE,
) -> tuple[StrEnum, str, str | None] | None:
    """Say why a block may not be made (code, message, field), or None when it may.

    A block always needs a reason code. It needs evidence too, unless an owner writes down why
    there is none: the exception is named, and it is the owner's.
    """
    if not actor_role.at_least(min_role):
        return (
            CommonError.role_too_weak,
            f"blocking a customer needs the {min_role.value} role in this shop",
            None,
        )
    if not reason_code:
        return (
            ListErrorCode.reason_code_required,
            "a block needs a reason code from the shop's list",
            "reason_code",
        )
    if has_evidence(evidence):
        return None
    if actor_role != Role.owner:
        return (
            ListErrorCode.evidence_required,
            "a block needs at least one piece of evidence (an order, a case, an incident or a note); "
            "only an owner may block without it, with a written justification",
            "evidence",
        )
    if not justification or len(justification.strip()) < MIN_JUSTIFICATION_CHARS:
        return (
            ListErrorCode.justification_required,
            f"without evidence, an owner must write why (at least {MIN_JUSTIFICATION_CHARS} characters)",
            "justification",
        )
    return None


def block_refusal_error(refusal: tuple[StrEnum, str, str | None]) -> DomainError:
    """Return the error a block refusal is raised as: 403 for a role too weak, 422 for the rest."""
    kind = Forbidden if refusal[0] == CommonError.role_too_weak else Invalid
    return kind(refusal[0], refusal[1], field=refusal[2])


# Wider than these, a network is an internet provider's or a country's: confirm it is meant.
BROAD_IPV4_PREFIX = 16
BROAD_IPV6_PREFIX = 32


def breadth_refusal(target_type: str, value: str, shop_country: str | None) -> str | None:
    """Say why an entry would match a large part of the shop's customers, or None when it would not.

    A network wider than a /16 (IPv4) or a /32 (IPv6), a whole free mailbox provider, or the
    country the shop itself sells in: each is refused unless the person confirms it is meant.
    """
    if target_type == "cidr":
        network = ipaddress.ip_network(value, strict=False)
        widest = BROAD_IPV4_PREFIX if network.version == 4 else BROAD_IPV6_PREFIX
        if network.prefixlen < widest:
            return (
                f"{value} holds {network.num_addresses:,} addresses: it would match whole internet providers"
            )
    if target_type == "email_domain" and value in FREE_MAIL_DOMAINS:
        return f"{value} is a mailbox provider anyone can use: it would match a large share of customers"
    if target_type == "country" and shop_country and value == shop_country.upper():
        return f"{value} is the shop's own country: it would match most of its customers"
    return None


def refuse_broad(target_type: str, value: str, shop_country: str | None, *, confirmed: bool) -> None:
    """Refuse an entry that would match a large part of the customers, unless it is confirmed."""
    why = None if confirmed else breadth_refusal(target_type, value, shop_country)
    if why is not None:
        raise Invalid(
            ListErrorCode.entry_too_broad,
            f"{why}; send confirm_broad: true (in a CSV, a confirm_broad column of true) if that is meant",
            field="value",
        )


def effective_status(status: str, expires_at: datetime | None, at: datetime) -> EntryStatus:
    """Return the status an entry has now: an active entry past its expiry is expired."""
    if status == EntryStatus.active and expires_at is not None and expires_at <= at:
        return EntryStatus.expired
    return EntryStatus(status)
