"""The lookup screening calls: which active entries apply to an order, how, and to which lines.

``match`` reads a handful of indexed queries: entries on the order's keys, the customers who hold
those keys, their link clusters, and entries on those customers and their identifiers. IP ranges
live in a small per-process index that is rebuilt when the shop's list version changes. Paths are
worked out only for the (rare) linked matches.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Engine,
    Select,
    String,
    bindparam,
    cast,
    func,
    null,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.prepared import Driver, Prepared, constant, cross_join, driver, padded
from storeguard.core.pseudonyms import hashed_keys
from storeguard.customers.enums import IdentifierType
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import LinkPath, describe_identifier, link_paths, possible_matches
from storeguard.customers.models import Customer, Identifier
from storeguard.customers.policy import WEAK_TYPES
from storeguard.lists.enums import ACTION_STRENGTH, EntryAction, EntryKind, EntryStatus, MatchVia
from storeguard.lists.models import ListEntry, ListVersion
from storeguard.lists.scope import LineFacts, applicable_lines, describe_restriction
from storeguard.shops.models import Shop

Key = tuple[str, str]


class ShopFacts(Protocol):
    """What the matcher needs of the shop, when the caller has read it already."""

    link_kinds: Collection[str]
    list_version: str


E = ListEntry.__table__.c
_I = Identifier.__table__.c
_C = Customer.__table__.c
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
    E.block_id,
)
SHOP_ID = bindparam("shop_id", type_=BigInteger)
_ACTIVE = E.status == constant(EntryStatus.active)


# The hot path runs a handful of statements written with SQLAlchemy Core and compiled once per
# dialect and shape (``core.prepared``): at these sizes SQLAlchemy's per-statement overhead is
# larger than the index searches themselves.
_SHOP = Prepared(
    lambda: (
        select(Shop.settings, func.coalesce(ListVersion.token, ""))
        .outerjoin(ListVersion, ListVersion.shop_id == Shop.id)
        .where(Shop.id == SHOP_ID)
    )
)


def _probe(i: int, table: Any) -> tuple[Any, ...]:
    """Return the conditions of one index probe on (shop_id, type, value) for key ``i``."""
    return (
        table.shop_id == SHOP_ID,
        table.type == bindparam(f"type_{i}", type_=table.type.type),
        table.value == bindparam(f"value_{i}", type_=table.value.type),
    )


def _union_all(parts: list[Select[Any]]) -> Select[Any] | CompoundSelect:
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _probes_statement(keys: int) -> Select[Any] | CompoundSelect:
    """One index probe per exact (type, value) key, joined by UNION ALL.

    ``type IN (..) AND value IN (..)`` would probe every combination (eight types by ten values is
    eighty probes for ten keys); the (shop_id, type, value) index serves SQLite and PostgreSQL alike.
    """
    return _union_all([select(*_ENTRY_COLUMNS).where(*_probe(i, E), _ACTIVE) for i in range(keys)])


_PROBES_ON_KEYS = Prepared(_probes_statement)
_ENTRIES_BY_ID = Prepared(
    lambda ids: select(*_ENTRY_COLUMNS).where(
        E.id.in_([bindparam(f"id_{i}", type_=BigInteger) for i in range(ids)]), _ACTIVE
    )
)


def _members_statement(keys: int, with_customer: bool) -> CompoundSelect:
    """Everything the order is linked to: the members of its link clusters.

    The customers holding its linking keys (one index probe per key), the clusters of those and of
    its own customer, and everyone in those clusters. (A cluster id is the smallest member's id; a
    customer never linked has none, so its own id counts.)
    """
    cluster = func.coalesce(_C.cluster_id, _C.id)
    parts = [
        select(_I.customer_id.label("cid"), cluster.label("cl"))
        .join_from(Identifier, Customer, _C.id == _I.customer_id)
        .where(*_probe(i, _I))
        for i in range(keys)
    ]
    if with_customer:
        parts.append(select(_C.id, cluster).where(_C.id == bindparam("customer_id", type_=BigInteger)))
    holders = _union_all(parts).cte("holders")
    return union(
        select(holders.c.cid),
        select(holders.c.cl),
        select(_C.id).where(_C.cluster_id.in_(select(holders.c.cl))),
    )


_MEMBERS = Prepared(_members_statement)


def _member_entries_statement(ids: int) -> CompoundSelect:
    """The active entries on a member (customer entries) or on any identifier a member has used.

    Each row starts with the member who holds the entry. The members are bound values, not a
    subquery: with an unknown number of rows SQLite chose to build a Bloom filter over the whole
    list (a full scan) instead of probing the index. CROSS JOIN makes SQLite loop over the members'
    identifiers first, whatever its statistics say: on a database never analysed it chose to walk
    every active entry of the shop instead (3 s at a million entries).
    """
    members = [bindparam(f"id_{i}", type_=BigInteger) for i in range(ids)]
    on_identifiers = (
        select(_I.customer_id, *_ENTRY_COLUMNS)
        .select_from(cross_join(Identifier.__table__, ListEntry.__table__))
        .where(_I.customer_id.in_(members), E.shop_id == SHOP_ID, E.type == _I.type, E.value == _I.value)
        .where(_ACTIVE)
    )
    on_customers = (
        select(_C.id, *_ENTRY_COLUMNS)
        .select_from(cross_join(Customer.__table__, ListEntry.__table__))
        .where(_C.id.in_(members), E.shop_id == SHOP_ID, E.type == constant("customer"))
        .where(E.value == cast(_C.id, String(20)), _ACTIVE)
    )
    return union_all(on_identifiers, on_customers)


_MEMBER_ENTRIES = Prepared(_member_entries_statement)


def _linked_statement(keys: int, with_customer: bool) -> CompoundSelect:
    """PostgreSQL's: the members of the order's link clusters and the entries on them, in one statement.

    The entries of ``_member_entries_statement`` on the members of ``_members_statement`` read as a
    subquery, so the server needs no second statement for them; each member then comes once more,
    with no entry (NULL columns after it). SQLite runs the two statements: see the first's comment.
    """
    members = _members_statement(keys, with_customer).cte("members")
    member_ids = select(members.c[0])
    # A member's identifier that is one of the order's linking keys is not looked up again: the
    # order's own lookup found its entries, and ``match`` takes them from there.
    own = [
        ~(
            (_I.type == bindparam(f"type_{i}", type_=_I.type.type))
            & (_I.value == bindparam(f"value_{i}", type_=_I.value.type))
        )
        for i in range(keys)
    ]
    on_identifiers = (
        select(_I.customer_id, *_ENTRY_COLUMNS)
        .join_from(Identifier, ListEntry, (E.type == _I.type) & (E.value == _I.value))
        .where(_I.customer_id.in_(member_ids), *own, E.shop_id == SHOP_ID, _ACTIVE)
    )
    on_customers = (
        select(_C.id, *_ENTRY_COLUMNS)
        .join_from(Customer, ListEntry, E.value == cast(_C.id, String(20)))
        .where(_C.id.in_(member_ids), E.shop_id == SHOP_ID, E.type == constant("customer"), _ACTIVE)
    )
    # Typed NULLs: PostgreSQL matches a UNION's column types pairwise and would not type bare ones.
    alone = select(members.c[0], *(cast(null(), c.type) for c in _ENTRY_COLUMNS))
    return union_all(on_identifiers, on_customers, alone)


_LINKED = Prepared(_linked_statement)


def _blocked_holders_statement(keys: int) -> Select[Any] | CompoundSelect:
    """The customers under a block who hold one of the order's weak keys (one index probe per key).

    CROSS JOIN walks the holders of a key first and probes each one's customer entry, as
    ``_member_entries_statement`` explains.
    """
    return _union_all(
        [
            select(_I.customer_id, E.id, E.action, E.reason_code, E.block_id, E.expires_at)
            .select_from(cross_join(Identifier.__table__, ListEntry.__table__))
            .where(*_probe(i, _I), E.shop_id == SHOP_ID, E.type == constant("customer"))
            .where(E.value == cast(_I.customer_id, String(20)), E.kind == constant(EntryKind.block), _ACTIVE)
            for i in range(keys)
        ]
    )


_BLOCKED_HOLDERS = Prepared(_blocked_holders_statement)
_RANGES = Prepared(
    lambda: select(E.id, E.value).where(E.shop_id == SHOP_ID, E.type == constant("cidr"), _ACTIVE)
)

# SQLite allows 500 terms in one compound SELECT; an order has a dozen linking keys at most.
_MAX_LINKING_KEYS = 400


class EntryRow(NamedTuple):
    id: int
    kind: str
    type: str
    value: str
    display: str
    customer_id: int | None
    action: str | None
    reason_code: str
    scope: dict[str, Any]
    expires_at: datetime | None
    block_id: int | None


_TYPE_NAMES = [f"type_{i}" for i in range(_MAX_LINKING_KEYS)]
_VALUE_NAMES = [f"value_{i}" for i in range(_MAX_LINKING_KEYS)]


def _key_values(keys: Sequence[Key], shop_id: int) -> dict[str, Any]:
    """Return the bound values of ``_probe`` conditions for these keys (at most ``_MAX_LINKING_KEYS``)."""
    values: dict[str, Any] = {"shop_id": shop_id}
    for type_name, value_name, (t, v) in zip(_TYPE_NAMES, _VALUE_NAMES, keys, strict=False):
        values[type_name] = t
        values[value_name] = v
    return values


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
    # The block decision that made the entry (one cause: its entries are one reason), if any.
    block_id: int | None = None
    # The customer the entry is about (a block's customer), if any.
    entry_customer_id: int | None = None
    # The identifier in words as the customer wrote it, how the order reached it (CARRIED, USED,
    # IN_RANGE or LINKED) and that in words.
    words: str = ""
    reached: str = ""
    how: str = ""

    @property
    def restriction(self) -> str:
        return describe_restriction(self.scope, self.line_indexes)


@dataclass(frozen=True, slots=True)
class PossibleMatch:
    """A blocked customer the order shares only weak identifiers with: shown, never blocked through."""

    customer_id: int
    entry_id: int
    action: EntryAction | None
    reason_code: str
    block_id: int | None
    path: LinkPath


@dataclass(slots=True)
class MatchResult:
    """Everything the lists say about an order."""

    matches: list[Match] = field(default_factory=list)  # block entries that apply (overridden ones flagged)
    allows: list[Match] = field(default_factory=list)  # allow entries that apply
    out_of_scope: list[Match] = field(default_factory=list)  # matched, but the scope covers no line
    # Customers linked to the order (through its keys or its customer's cluster), the customer excluded.
    linked_customers: int = 0
    # Blocked customers outside those, who share only weak identifiers with the order.
    possible: list[PossibleMatch] = field(default_factory=list)

    @property
    def effective(self) -> list[Match]:
        """Return the block matches no allow entry overrides."""
        return [m for m in self.matches if m.overridden_by is None]

    @property
    def strongest_action(self) -> EntryAction | None:
        """Return the strongest action among effective matches (block > review > verify)."""
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
        if not self.by_prefix:
            return []
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


# Per database (engine) and shop: the list version the index was built at, and the index.
_ranges: WeakKeyDictionary[Engine, dict[int, tuple[str, _RangeIndex]]] = WeakKeyDictionary()
_ranges_lock = threading.Lock()


def _range_index(db: Driver, shop_id: int, version: str) -> _RangeIndex:
    engine = db.engine
    cached = _ranges.get(engine, {}).get(shop_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    index = _RangeIndex(_RANGES.rows(db, {"shop_id": shop_id}))
    with _ranges_lock:
        _ranges.setdefault(engine, {})[shop_id] = (version, index)
    return index


def forget_range_cache() -> None:
    """Drop every cached IP-range index (tests; a process that switched databases)."""
    with _ranges_lock:
        _ranges.clear()


# --- the lookup ----------------------------------------------------------------------------------


def _distinct(identifiers: Iterable[tuple[Any, str]]) -> list[Key]:
    return list(dict.fromkeys((str(t), v) for t, v in identifiers))


def _lookup(keys: list[Key], customer_id: int | None) -> set[Key]:
    """Return the keys entries are probed on: the order's, its customer, and their hashed forms."""
    lookup = keys + ([("customer", str(customer_id))] if customer_id is not None else [])
    # An erased customer's blocked identifiers are stored as keyed hashes: the order's keys are
    # probed in that form too, in the same statement (one more index probe per key).
    lookup += hashed_keys(keys)
    return set(lookup)


def match_ahead(
    db: Driver,
    shop_id: int,
    identifiers: Sequence[Key],
    customer_id: int | None,
    link_kinds: Collection[str],
) -> list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]]:
    """Return the statements ``match`` runs that need only the order, for ``Driver.ahead``.

    The entries on its keys, its link clusters (on PostgreSQL with their members' entries) and the
    blocked holders of its weak keys, with the values ``match`` will bind, so each finds its rows
    already read.
    """
    keys = _distinct(identifiers)
    runs: list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]] = []
    for chunk in _probe_chunks(_lookup(keys, customer_id)):
        runs.append((_PROBES_ON_KEYS, _key_values(chunk, shop_id), (len(chunk),)))
    linking = sorted(k for k in keys if k[0] in link_kinds)
    if (linking or customer_id is not None) and len(linking) <= _MAX_LINKING_KEYS:
        linked = _LINKED if db.dialect.name == "postgresql" else _MEMBERS
        shape = (len(linking), customer_id is not None)
        runs.append((linked, _members_values(shop_id, linking, customer_id), shape))
    for chunk in _probe_chunks(k for k in keys if k[0] in WEAK_TYPES):
        runs.append((_BLOCKED_HOLDERS, _key_values(chunk, shop_id), (len(chunk),)))
    return runs


def match(
    session: Session | Driver,
    *,
    shop_id: int,
    identifiers: Sequence[Key],
    customer_id: int | None = None,
    lines: Sequence[LineFacts] | None = None,
    order_total: int | None = None,
    shop: ShopFacts | None = None,
) -> MatchResult:
    """Return the active entries that apply to an order or a set of normalized identifiers.

    ``identifiers`` are (type, normalized value) pairs, e.g. from ``order_match_keys``; an ``ip``
    key is also checked against IP-range entries. Entries apply directly (on a key, on the customer
    or on an identifier the customer used before) or through a linked customer, with the path.
    A caller that already holds the driver connection and the shop's link types and list version
    (screening) passes them to save the look-ups.
    """
    at = now()
    keys = _distinct(identifiers)
    db = driver(session)
    if shop is None:
        shop_row = _SHOP.rows(db, {"shop_id": shop_id})
        settings, version = shop_row[0] if shop_row else (None, "")
        link_kinds: Collection[str] = {str(t) for t in link_types({"settings": settings or {}})}
    else:
        link_kinds, version = shop.link_kinds, shop.list_version

    rows: dict[int, EntryRow] = {}
    hit_by: dict[int, Key] = {}
    for row in _entries_on(db, shop_id, _lookup(keys, customer_id)):
        rows[row.id] = row
        hit_by[row.id] = (row.type, row.value)
    ips = [v for t, v in keys if t == IdentifierType.ip]
    if ips:
        index = _range_index(db, shop_id, version)
        range_hits = {eid: ip for ip in ips for eid in index.lookup(ip)}
        missing = [eid for eid in range_hits if eid not in rows]
        if missing:
            ids = padded(missing)
            values = {f"id_{i}": v for i, v in enumerate(ids)}
            for r in _ENTRIES_BY_ID.rows(db, values, (len(ids),)):
                row = EntryRow._make(r)
                rows[row.id] = row
                hit_by[row.id] = ("ip", range_hits[row.id])

    # Who the order's keys (and its customer) lead to, everyone linked to them, and their entries.
    linking = {k for k in keys if k[0] in link_kinds}
    members: set[int] = set()
    linked_owner: dict[int, int] = {}  # entry id -> the linked customer who carries it
    own_history: set[int] = set()
    if linking or customer_id is not None:
        members, found = _linked(db, shop_id, sorted(linking), customer_id)
        for eid, (row, owners) in found.items():
            if eid in rows or (row.type == "customer" and row.value == str(customer_id)):
                continue  # found by the order's own keys already
            rows[eid] = row
            if customer_id in owners:
                hit_by[eid] = (row.type, row.value)
                own_history.add(eid)
            else:
                linked_owner[eid] = min(owners)

    live = {eid: row for eid, row in rows.items() if row.expires_at is None or row.expires_at > at}
    # One block of a linked customer puts entries on them and on each of their identifiers; the order
    # reached that block through the link once, so it is said once (by the customer entry if there).
    seen_blocks: dict[int, int] = {}
    for eid in sorted(live, key=lambda e: (live[e].type != "customer", e)):
        block_id = live[eid].block_id
        if eid in linked_owner and block_id is not None:
            if block_id in seen_blocks:
                del live[eid]
            else:
                seen_blocks[block_id] = eid
    owners = {linked_owner[eid] for eid in live if eid in linked_owner}
    paths: dict[int, LinkPath] = {}
    if owners:
        paths = link_paths(
            db.session,
            shop_id=shop_id,
            types=link_kinds,
            start_customer_id=customer_id,
            start_keys=linking,
            targets=owners,
        )
    result = _assemble(live, hit_by, linked_owner, own_history, paths, customer_id, lines, order_total)
    result.linked_customers = len(members - {customer_id})
    weak = sorted(k for k in keys if k[0] in WEAK_TYPES)
    if weak:
        result.possible = _possible_blocked(db, shop_id, weak, members | {customer_id}, at)
    return result


def _possible_blocked(
    db: Driver, shop_id: int, weak: list[Key], linked: set[int | None], at: datetime
) -> list[PossibleMatch]:
    """Return the blocked customers outside the order's clusters who share a weak key with it."""
    entries: dict[int, tuple[Any, ...]] = {}
    for chunk in _probe_chunks(weak):
        for cid, *entry in _BLOCKED_HOLDERS.rows(db, _key_values(chunk, shop_id), (len(chunk),)):
            expires_at = entry[-1]
            if cid not in linked and (expires_at is None or expires_at > at):
                entries.setdefault(cid, tuple(entry))
    if not entries:
        return []
    paths = possible_matches(db.session, shop_id=shop_id, start_keys=weak, targets=entries)
    return [
        PossibleMatch(
            customer_id=cid,
            entry_id=entries[cid][0],
            action=EntryAction(entries[cid][1]) if entries[cid][1] else None,
            reason_code=entries[cid][2],
            block_id=entries[cid][3],
            path=paths[cid],
        )
        for cid in sorted(entries)
        if cid in paths
    ]


def _linked(
    db: Driver, shop_id: int, linking: list[Key], customer_id: int | None
) -> tuple[set[int], dict[int, tuple[EntryRow, set[int]]]]:
    """Return the members of the order's link clusters and the entries on them, with who holds each."""
    if len(linking) > _MAX_LINKING_KEYS:
        raise ValueError(f"{len(linking)} linking keys in one match; at most {_MAX_LINKING_KEYS}")
    values = _members_values(shop_id, linking, customer_id)
    shape = (len(linking), customer_id is not None)
    found: dict[int, tuple[EntryRow, set[int]]] = {}
    if db.dialect.name == "postgresql":  # one statement: the members, then their entries
        rows = _LINKED.rows(db, values, shape)
        members = {row[0] for row in rows}
        entries: list[tuple[Any, ...]] = [row for row in rows if row[1] is not None]
    else:
        members = {row[0] for row in _MEMBERS.rows(db, values, shape)}
        if not members:
            return members, found
        ids = padded(sorted(members))  # a handful of statement shapes, not one per cluster size
        values = {f"id_{i}": v for i, v in enumerate(ids)}
        values["shop_id"] = shop_id
        entries = _MEMBER_ENTRIES.rows(db, values, (len(ids),))
    for owner, *r in entries:
        held = found.get(r[0])
        if held is None:
            found[r[0]] = (EntryRow._make(r), {owner})
        else:
            held[1].add(owner)
    return members, found


def _members_values(shop_id: int, linking: list[Key], customer_id: int | None) -> dict[str, Any]:
    values = _key_values(linking, shop_id)
    if customer_id is not None:
        values["customer_id"] = customer_id
    return values


def _entries_on(db: Driver, shop_id: int, keys: set[Key]) -> list[EntryRow]:
    """Return the active entries on exactly these (type, value) keys, one index probe per key."""
    if not keys:
        return []
    found = []
    for chunk in _probe_chunks(keys):
        values = _key_values(chunk, shop_id)
        found.extend(EntryRow._make(r) for r in _PROBES_ON_KEYS.rows(db, values, (len(chunk),)))
    return found


def _probe_chunks(keys: Iterable[Key]) -> list[list[Key]]:
    """Split keys for UNION ALL probes: SQLite allows 500 terms and (before 3.32) 999 parameters."""
    ordered = sorted(keys)
    return [ordered[i : i + _PROBES] for i in range(0, len(ordered), _PROBES)]


_PROBES = 200


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
        reached, how = _how(row, via, hit_by.get(eid), path, eid in own_history, customer_id)
        words = describe_identifier(row.type, row.value, row.display)
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
            block_id=row.block_id,
            entry_customer_id=row.customer_id,
            words=words,
            reached=reached,
            how=how,
            explanation=f"{entry_label(row.kind, row.action)} #{row.id} ({row.reason_code}) on {words}: {how}",
        )
        if row.kind == EntryKind.allow:
            result.allows.append(item)
        elif line_indexes == []:
            result.out_of_scope.append(item)
        else:
            result.matches.append(item)
    return result


def entry_label(kind: str, action: str | None) -> str:
    """Name an entry by what it does: a review-only block-list entry is a "review entry"."""
    return f"{action if kind == EntryKind.block and action else kind} entry"


# How an order reached an entry.
CARRIED, USED, IN_RANGE, LINKED = "carried", "used", "in_range", "linked"


def _how(
    row: Any, via: MatchVia, hit: Key | None, path: LinkPath | None, history: bool, customer_id: int | None
) -> tuple[str, str]:
    """Say how the order reached an entry, as a kind and in words: it carries it, its customer
    used it before, its IP is in the range, or a link leads there."""
    if via == MatchVia.linked and path is not None:
        return LINKED, f"this order {path.text()}"
    if history:
        return USED, f"customer #{customer_id} has used it before"
    if hit and hit[0] == "ip" and row.type == "cidr":
        return IN_RANGE, f"the order's IP {hit[1]} is in that range"
    return CARRIED, "the order carries it"
