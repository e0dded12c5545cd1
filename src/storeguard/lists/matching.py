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
from functools import lru_cache
from typing import Any, NamedTuple, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.prepared import Driver, driver, padded
from storeguard.customers.enums import IdentifierType
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import LinkPath, describe_identifier, link_paths
from storeguard.lists.enums import ACTION_STRENGTH, EntryAction, EntryKind, EntryStatus, MatchVia
from storeguard.lists.models import ListEntry
from storeguard.lists.scope import LineFacts, applicable_lines, describe_restriction
from storeguard.shops.models import Shop

Key = tuple[str, str]


class ShopFacts(Protocol):
    """What the matcher needs of the shop, when the caller has read it already."""

    link_kinds: Collection[str]
    list_version: str


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
    E.block_id,
)


# The hot path runs a handful of hand-written statements on the session's own driver connection
# (inside its transaction): at these sizes SQLAlchemy's per-statement overhead is larger than the
# index searches themselves. ``type IN (..) AND value IN (..)`` is an index search on
# (shop_id, type, value) in SQLite and PostgreSQL alike; callers keep only the exact pairs.
_ENTRY_SELECT = (
    "SELECT id, kind, type, value, display, customer_id, action, reason_code, scope, expires_at, block_id "
    "FROM list_entries "
)
_SQL_SHOP = (
    "SELECT s.settings, COALESCE(v.token, '') FROM shops s LEFT OUTER JOIN list_versions v ON v.shop_id = s.id "
    "WHERE s.id = {p}"
)
# One index probe per exact (type, value) key: ``type IN (..) AND value IN (..)`` probes every
# combination (eight types by ten values is eighty probes for ten keys).
_SQL_ENTRY_PROBE = _ENTRY_SELECT + "WHERE shop_id = {p} AND type = {p} AND value = {p} AND status = 'active'"
_SQL_ENTRIES_BY_ID = _ENTRY_SELECT + "WHERE id IN ({ids}) AND status = 'active'"
# Everything the order is linked to, in two statements. First the members of its link clusters:
# the customers holding its linking keys (one index probe per key), the clusters of those and of
# its own customer, and everyone in those clusters. (A cluster id is the smallest member's id; a
# customer never linked has none, so its own id counts.)
_SQL_HOLDER_PROBE = (
    "SELECT i.customer_id, COALESCE(c.cluster_id, c.id) FROM identifiers i "
    "JOIN customers c ON c.id = i.customer_id WHERE i.shop_id = {p} AND i.type = {p} AND i.value = {p}"
)
_SQL_OWN_CLUSTER = "SELECT id, COALESCE(cluster_id, id) FROM customers WHERE id = {p}"
_SQL_MEMBERS = (
    "WITH holders (cid, cl) AS ({holders}) "
    "SELECT cid FROM holders UNION SELECT cl FROM holders "
    "UNION SELECT c.id FROM customers c WHERE c.cluster_id IN (SELECT cl FROM holders)"
)
# Then the active entries on a member ('c') or on any identifier a member has used ('i'), with who
# holds it. The members are bound values, not a subquery: with an unknown number of rows SQLite
# chose to build a Bloom filter over the whole list (a full scan) instead of probing the index.
_ENTRY_COLUMNS_OF_E = (
    "e.id, e.kind, e.type, e.value, e.display, e.customer_id, e.action, e.reason_code, e.scope, "
    "e.expires_at, e.block_id"
)
# CROSS JOIN makes SQLite loop over the members' identifiers first, whatever its statistics say: on a
# database never analysed it chose to walk every active entry of the shop instead (3 s at a million
# entries). PostgreSQL plans a CROSS JOIN with its WHERE like any other join.
_SQL_MEMBER_ENTRIES = (
    "SELECT 'i', i.customer_id, " + _ENTRY_COLUMNS_OF_E + " FROM identifiers i CROSS JOIN list_entries e "
    "WHERE i.customer_id IN ({ids}) AND e.shop_id = {p} AND e.type = i.type AND e.value = i.value "
    "AND e.status = 'active' "
    "UNION ALL SELECT 'c', c.id, " + _ENTRY_COLUMNS_OF_E + " FROM customers c CROSS JOIN list_entries e "
    "WHERE c.id IN ({ids}) AND e.shop_id = {p} AND e.type = 'customer' "
    "AND e.value = CAST(c.id AS VARCHAR(20)) AND e.status = 'active'"
)
_processors_of: dict[str, tuple[Any, Any, Any]] = {}


def _processors(dialect: Any) -> tuple[Any, Any, Any]:
    """Return the value converters of scope, expires_at and shop settings for a dialect (made once)."""
    found = _processors_of.get(dialect.name)
    if found is None:
        found = _processors_of[dialect.name] = tuple(  # type: ignore[assignment]
            col.type.dialect_impl(dialect).result_processor(dialect, None)
            for col in (E.scope, E.expires_at, Shop.__table__.c.settings)
        )
    return found  # type: ignore[return-value]


@lru_cache(maxsize=512)
def _sql_text(sql: str, mark: str, lists: tuple[tuple[str, int], ...]) -> str:
    """Return ``sql`` with its marks written out (per statement shape, once)."""
    return sql.format(p=mark, **{name: ", ".join([mark] * size) for name, size in lists})


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


class _Driver:
    """Runs the hot-path SQL on the session's driver connection, converting values as the ORM would."""

    __slots__ = ("db", "scope", "expires", "settings")

    def __init__(self, session: Session | Driver) -> None:
        self.db = db = driver(session)
        self.scope, self.expires, self.settings = _processors(db.dialect)

    def run(self, sql: str, params: list[Any], **lists: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run SQL written with ``{p}`` for one mark and ``{name}`` for a list of marks."""
        return self.db.run(_sql_text(sql, self.db.mark, tuple((k, len(v)) for k, v in lists.items())), params)

    def entry(self, r: Sequence[Any]) -> EntryRow:
        """Build an entry from its selected columns (``_ENTRY_COLUMNS`` order), converted as the ORM would."""
        scope, expires = self.scope, self.expires
        return EntryRow(*r[:8], scope(r[8]) if scope else r[8], expires(r[9]) if expires else r[9], r[10])

    def entries(self, sql: str, params: list[Any], **lists: Sequence[Any]) -> list[EntryRow]:
        return [self.entry(r) for r in self.run(sql, params, **lists)]


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
    # Customers linked to the order (through its keys or its customer's cluster), the customer excluded.
    linked_customers: int = 0

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
    rows = db.session.execute(
        select(E.id, E.value).where(E.shop_id == shop_id, E.type == "cidr", E.status == EntryStatus.active)
    ).all()
    index = _RangeIndex(rows)
    with _ranges_lock:
        _ranges.setdefault(engine, {})[shop_id] = (version, index)
    return index


def forget_range_cache() -> None:
    """Drop every cached IP-range index (tests; a process that switched databases)."""
    with _ranges_lock:
        _ranges.clear()


# --- the lookup ----------------------------------------------------------------------------------


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
    keys = list(dict.fromkeys((str(t), v) for t, v in identifiers))
    db = _Driver(session)
    if shop is None:
        shop_row = db.run(_SQL_SHOP, [shop_id])
        settings_raw, version = shop_row[0] if shop_row else (None, "")
        settings = (
            db.settings(settings_raw) if db.settings and settings_raw is not None else settings_raw
        ) or {}
        link_kinds: Collection[str] = {str(t) for t in link_types({"settings": settings})}
    else:
        link_kinds, version = shop.link_kinds, shop.list_version

    lookup = keys + ([("customer", str(customer_id))] if customer_id is not None else [])
    rows: dict[int, EntryRow] = {}
    hit_by: dict[int, Key] = {}
    for row in _entries_on(db, shop_id, set(lookup)):
        rows[row.id] = row
        hit_by[row.id] = (row.type, row.value)
    ips = [v for t, v in keys if t == IdentifierType.ip]
    if ips:
        index = _range_index(db.db, shop_id, version)
        range_hits = {eid: ip for ip in ips for eid in index.lookup(ip)}
        missing = [eid for eid in range_hits if eid not in rows]
        if missing:
            for row in db.entries(_SQL_ENTRIES_BY_ID, missing, ids=missing):
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
            db.db.session,
            shop_id=shop_id,
            types=link_kinds,
            start_customer_id=customer_id,
            start_keys=linking,
            targets=owners,
        )
    result = _assemble(live, hit_by, linked_owner, own_history, paths, customer_id, lines, order_total)
    result.linked_customers = len(members - {customer_id})
    return result


def _linked(
    db: _Driver, shop_id: int, linking: list[Key], customer_id: int | None
) -> tuple[set[int], dict[int, tuple[EntryRow, set[int]]]]:
    """Return the members of the order's link clusters and the entries on them, with who holds each."""
    if len(linking) > _MAX_LINKING_KEYS:
        raise ValueError(f"{len(linking)} linking keys in one match; at most {_MAX_LINKING_KEYS}")
    params: list[Any] = [x for t, v in linking for x in (shop_id, t, v)]
    if customer_id is not None:
        params.append(customer_id)
    members = {row[0] for row in db.run(_members_sql(len(linking), customer_id is not None), params)}
    found: dict[int, tuple[EntryRow, set[int]]] = {}
    if not members:
        return members, found
    ids = padded(sorted(members))  # a handful of statement shapes, not one per cluster size
    for _tag, owner, *r in db.run(_SQL_MEMBER_ENTRIES, [*ids, shop_id, *ids, shop_id], ids=ids):
        held = found.get(r[0])
        if held is None:
            found[r[0]] = (db.entry(r), {owner})
        else:
            held[1].add(owner)
    return members, found


@lru_cache(maxsize=64)
def _members_sql(keys: int, with_customer: bool) -> str:
    parts = [_SQL_HOLDER_PROBE] * keys + ([_SQL_OWN_CLUSTER] if with_customer else [])
    return _SQL_MEMBERS.replace("{holders}", " UNION ALL ".join(parts))


@lru_cache(maxsize=256)
def _probes_sql(keys: int) -> str:
    return " UNION ALL ".join([_SQL_ENTRY_PROBE] * keys)


def _entries_on(db: _Driver, shop_id: int, keys: set[Key]) -> list[EntryRow]:
    """Return the active entries on exactly these (type, value) keys, one index probe per key."""
    if not keys:
        return []
    return [
        row
        for chunk in _probe_chunks(keys)
        for row in db.entries(_probes_sql(len(chunk)), [x for t, v in chunk for x in (shop_id, t, v)])
    ]


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
