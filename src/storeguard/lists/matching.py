"""The lookup screening calls: which active entries apply to an order, how, and to which lines.

``match`` reads a handful of indexed queries: entries on the order's keys, the customers who hold
those keys, their link clusters, and entries on those customers and their identifiers. IP ranges
live in a small per-process index that is rebuilt when the shop's list version changes. Paths are
worked out only for the (rare) linked matches.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.customers.enums import DEFAULT_LINK_TYPES, IdentifierType
from storeguard.customers.identifiers import keys_clause
from storeguard.customers.links import LinkPath, describe_identifier, link_paths
from storeguard.customers.models import Customer, Identifier
from storeguard.lists.enums import ACTION_STRENGTH, EntryAction, EntryKind, EntryStatus, MatchVia
from storeguard.lists.models import ListEntry, ListVersion
from storeguard.lists.scope import LineFacts, applicable_lines, describe_restriction
from storeguard.shops.models import Shop

Key = tuple[str, str]
E = ListEntry.__table__.c
_ENTRY_COLUMNS = (
    E.id,
    E.kind,
    E.type,
    E.value,
    E.display,
    E.customer_id,
    E.action,
    E.reason_code,
    E.scope,
    E.expires_at,
)


@dataclass(frozen=True, slots=True)
class Match:
    """One entry that applies, how it was reached, and what it restricts."""

    entry_id: int
    kind: EntryKind
    type: str
    value: str
    via: MatchVia
    action: EntryAction | None
    reason_code: str
    scope: dict[str, Any]
    # The order's key that hit the entry (direct), or the keys that linked the order onwards (linked).
    matched_keys: tuple[Key, ...]
    # For linked matches: the customer who carries the entry, and the path to them.
    via_customer_id: int | None = None
    path: LinkPath | None = None
    # None = the whole order (or no lines given); else the indexes of the lines the scope covers.
    line_indexes: list[int] | None = None
    scope_checked: bool = False
    overridden_by: int | None = None  # the allow entry that wins over this block
    explanation: str = ""

    @property
    def restriction(self) -> str:
        return describe_restriction(self.scope, self.line_indexes)


@dataclass(slots=True)
class MatchResult:
    """Everything the lists say about an order."""

    matches: list[Match] = field(default_factory=list)  # block entries that apply (overridden ones flagged)
    allows: list[Match] = field(default_factory=list)  # allow entries that apply
    out_of_scope: list[Match] = field(default_factory=list)  # matched, but the scope covers no line

    @property
    def effective(self) -> list[Match]:
        """Return the block matches no allow entry overrides."""
        return [m for m in self.matches if m.overridden_by is None]

    @property
    def strongest_action(self) -> EntryAction | None:
        """Return the strongest action among effective matches (block > verify > review)."""
        actions = [m.action for m in self.effective if m.action]
        return max(actions, key=lambda a: ACTION_STRENGTH[a]) if actions else None


# --- IP ranges -----------------------------------------------------------------------------------


class _RangeIndex:
    """IP-range entries of one shop grouped by prefix length: a lookup masks the address once per length."""

    def __init__(self, rows: Iterable[tuple[int, str]]) -> None:
        self.by_prefix: dict[tuple[int, int], dict[int, list[int]]] = {}
        for entry_id, value in rows:
            net = ipaddress.ip_network(value, strict=False)
            bucket = self.by_prefix.setdefault((net.version, net.prefixlen), {})
            bucket.setdefault(int(net.network_address), []).append(entry_id)

    def lookup(self, ip: str) -> list[int]:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return []
        bits = 32 if address.version == 4 else 128
        number = int(address)
        found: list[int] = []
        for (version, prefix), bucket in self.by_prefix.items():
            if version != address.version:
                continue
            masked = number >> (bits - prefix) << (bits - prefix) if prefix else 0
            found.extend(bucket.get(masked, ()))
        return found


_ranges: dict[tuple[str, int], tuple[int, _RangeIndex]] = {}
_ranges_lock = threading.Lock()


def _range_index(session: Session, shop_id: int, version: int) -> _RangeIndex:
    cache_key = (str(session.get_bind().url), shop_id)
    cached = _ranges.get(cache_key)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = session.execute(
        select(E.id, E.value).where(E.shop_id == shop_id, E.type == "cidr", E.status == EntryStatus.active)
    ).all()
    index = _RangeIndex(rows)
    with _ranges_lock:
        _ranges[cache_key] = (version, index)
    return index


def forget_range_cache() -> None:
    """Drop every cached IP-range index (tests; a process that switched databases)."""
    with _ranges_lock:
        _ranges.clear()


# --- the lookup ----------------------------------------------------------------------------------


def match(
    session: Session,
    *,
    shop_id: int,
    identifiers: Sequence[Key],
    customer_id: int | None = None,
    lines: Sequence[LineFacts] | None = None,
    order_total: int | None = None,
) -> MatchResult:
    """Return the active entries that apply to an order or a set of normalized identifiers.

    ``identifiers`` are (type, normalized value) pairs, e.g. from ``order_match_keys``; an ``ip``
    key is also checked against IP-range entries. Entries apply directly (on a key, on the customer
    or on an identifier the customer used before) or through a linked customer, with the path.
    """
    at = now()
    keys = list(dict.fromkeys((str(t), v) for t, v in identifiers))
    shop_row = session.execute(
        select(Shop.settings, func.coalesce(ListVersion.version, literal(0)))
        .outerjoin(ListVersion, ListVersion.shop_id == Shop.id)
        .where(Shop.id == shop_id)
    ).first()
    settings, version = (shop_row[0] or {}, shop_row[1]) if shop_row else ({}, 0)
    link_kinds = {str(t) for t in settings.get("link_identifier_types", DEFAULT_LINK_TYPES)}

    lookup = keys + ([("customer", str(customer_id))] if customer_id is not None else [])
    rows: dict[int, Any] = {}
    hit_by: dict[int, Key] = {}
    if lookup:
        for row in session.execute(
            select(*_ENTRY_COLUMNS).where(
                E.shop_id == shop_id, E.status == EntryStatus.active, keys_clause(E.type, E.value, lookup)
            )
        ):
            rows[row.id] = row
            hit_by[row.id] = (row.type, row.value)
    ips = [v for t, v in keys if t == IdentifierType.ip]
    if ips:
        index = _range_index(session, shop_id, version)
        range_hits = {eid: ip for ip in ips for eid in index.lookup(ip)}
        missing = [eid for eid in range_hits if eid not in rows]
        if missing:
            for row in session.execute(
                select(*_ENTRY_COLUMNS).where(E.id.in_(missing), E.status == EntryStatus.active)
            ):
                rows[row.id] = row
                hit_by[row.id] = ("ip", range_hits[row.id])

    # Who the order's keys (and its customer) lead to, and everyone linked to them.
    linking = [k for k in keys if k[0] in link_kinds]
    holders: set[int] = set()
    clusters: set[int] = set()
    if linking:
        for cid, cluster in session.execute(
            select(Identifier.customer_id, Customer.cluster_id)
            .join(Customer, Customer.id == Identifier.customer_id)
            .where(Identifier.shop_id == shop_id, keys_clause(Identifier.type, Identifier.value, linking))
        ):
            holders.add(cid)
            clusters.add(cluster if cluster is not None else cid)
    if customer_id is not None:
        cluster = session.scalar(select(Customer.cluster_id).where(Customer.id == customer_id))
        clusters.add(cluster if cluster is not None else customer_id)
    members = set(holders)
    if clusters:
        members |= set(session.scalars(select(Customer.id).where(Customer.cluster_id.in_(clusters))))
        members |= {c for c in clusters}  # a never-linked customer is its own cluster
    linked_owner: dict[int, int] = {}  # entry id -> the linked customer who carries it
    own_history: set[int] = set()
    if members:
        member_keys = [("customer", str(m)) for m in members if m != customer_id]
        if member_keys:
            for row in session.execute(
                select(*_ENTRY_COLUMNS).where(
                    E.shop_id == shop_id,
                    E.status == EntryStatus.active,
                    keys_clause(E.type, E.value, member_keys),
                )
            ):
                if row.id not in rows:
                    rows[row.id] = row
                    linked_owner[row.id] = int(row.value)
        for row in session.execute(
            select(*_ENTRY_COLUMNS, Identifier.customer_id.label("holder"))
            .join(
                Identifier,
                and_(Identifier.shop_id == E.shop_id, Identifier.type == E.type, Identifier.value == E.value),
            )
            .where(E.shop_id == shop_id, E.status == EntryStatus.active, Identifier.customer_id.in_(members))
        ):
            if row.id in rows and row.id not in linked_owner:
                continue
            if row.holder == customer_id:
                rows[row.id] = row
                hit_by[row.id] = (row.type, row.value)
                own_history.add(row.id)
                linked_owner.pop(row.id, None)
            elif row.id not in rows or (row.id in linked_owner and row.holder < linked_owner[row.id]):
                rows[row.id] = row
                linked_owner[row.id] = row.holder

    live = {eid: row for eid, row in rows.items() if row.expires_at is None or row.expires_at > at}
    owners = {linked_owner[eid] for eid in live if eid in linked_owner}
    paths: dict[int, LinkPath] = {}
    if owners:
        paths = link_paths(
            session,
            shop_id=shop_id,
            types=link_kinds,
            start_customer_id=customer_id,
            start_keys=linking,
            targets=owners,
        )
    return _assemble(live, hit_by, linked_owner, own_history, paths, customer_id, lines, order_total)


def _assemble(
    rows: dict[int, Any],
    hit_by: dict[int, Key],
    linked_owner: dict[int, int],
    own_history: set[int],
    paths: dict[int, LinkPath],
    customer_id: int | None,
    lines: Sequence[LineFacts] | None,
    order_total: int | None,
) -> MatchResult:
    result = MatchResult()
    allow_keys: dict[Key, int] = {}
    for eid in sorted(rows):
        row = rows[eid]
        if row.kind == EntryKind.allow and eid not in linked_owner:
            allow_keys.setdefault(hit_by[eid], eid)
    customer_allow = allow_keys.get(("customer", str(customer_id))) if customer_id is not None else None
    for eid in sorted(rows):
        row = rows[eid]
        owner = linked_owner.get(eid)
        if row.kind == EntryKind.allow and owner is not None:
            continue  # an allow is the merchant vouching for one identifier; it never spreads by links
        path = paths.get(owner) if owner is not None else None
        if owner is not None and path is None:
            continue  # linked through a type the merchant no longer links on
        via = MatchVia.linked if owner is not None else MatchVia.direct
        matched = (
            (hit_by[eid],)
            if owner is None
            else tuple((s.type, s.value) for s in (path.hops[0].shared if path and path.hops else ()))
        )
        line_indexes: list[int] | None = None
        checked = lines is not None or (row.scope or {}).get("kind") == "everything"
        if lines is not None:
            line_indexes = applicable_lines(row.scope or {}, lines, order_total)
        elif (row.scope or {}).get("kind") == "order_above" and order_total is not None:
            line_indexes = applicable_lines(row.scope, (), order_total)
            checked = True
        overridden = None
        if row.kind == EntryKind.block:
            if via == MatchVia.direct:
                overridden = allow_keys.get(hit_by[eid])
                if overridden is None and (row.type == "customer" or eid in own_history):
                    overridden = customer_allow
            else:
                overridden = customer_allow
                if overridden is None and matched and all(k in allow_keys for k in matched):
                    overridden = allow_keys[matched[0]]
        item = Match(
            entry_id=eid,
            kind=EntryKind(row.kind),
            type=row.type,
            value=row.value,
            via=via,
            action=EntryAction(row.action) if row.action else None,
            reason_code=row.reason_code,
            scope=dict(row.scope or {}),
            matched_keys=matched,
            via_customer_id=owner,
            path=path,
            line_indexes=line_indexes,
            scope_checked=checked,
            overridden_by=overridden,
            explanation=_explain(row, via, hit_by.get(eid), path, eid in own_history, customer_id),
        )
        if row.kind == EntryKind.allow:
            result.allows.append(item)
        elif line_indexes == []:
            result.out_of_scope.append(item)
        else:
            result.matches.append(item)
    return result


def _explain(
    row: Any, via: MatchVia, hit: Key | None, path: LinkPath | None, history: bool, customer_id: int | None
) -> str:
    listed = f"{row.kind} entry #{row.id} ({row.reason_code}) on {describe_identifier(row.type, row.value, row.display)}"
    if via == MatchVia.linked and path is not None:
        return f"{listed}: this order {path.text()}"
    if history:
        return f"{listed}: customer #{customer_id} has used it before"
    if hit and hit[0] == "ip" and row.type == "cidr":
        return f"{listed}: the order's IP {hit[1]} is in that range"
    return f"{listed}: the order carries it"
