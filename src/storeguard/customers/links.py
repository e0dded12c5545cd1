"""Who a customer is linked to, and the path of shared identifiers that links them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, bindparam, select, tuple_
from sqlalchemy.orm import Session

from storeguard.core.prepared import Prepared, padded
from storeguard.core.pseudonyms import PREFIX as PSEUDONYM
from storeguard.customers.enums import IdentifierType, LinkStrength
from storeguard.customers.models import Customer, Identifier
from storeguard.customers.policy import WEAK_TYPES, link_strength, weakest_link

TYPE_LABELS = {
    IdentifierType.email: "email",
    IdentifierType.email_domain: "email domain",
    IdentifierType.phone: "phone",
    IdentifierType.shipping_address: "shipping address",
    IdentifierType.billing_address: "billing address",
    IdentifierType.ip: "IP",
    IdentifierType.device_id: "device",
    IdentifierType.payment_fingerprint: "card",
    IdentifierType.platform_id: "platform account",
    IdentifierType.name_address: "name and address",
    IdentifierType.card_number: "card number",
    IdentifierType.ip_user_agent: "IP and browser",
    "country": "country",
    "cidr": "IP range",
    "customer": "customer",
}
_I = Identifier.__table__.c  # Core columns: the path query runs inside screening's hot path
_OPAQUE = {IdentifierType.device_id, IdentifierType.payment_fingerprint, IdentifierType.platform_id}
# Said as written: addresses, and the cards and browsers whose keys are made for comparing.
_AS_WRITTEN = {
    IdentifierType.shipping_address,
    IdentifierType.billing_address,
    IdentifierType.name_address,
    IdentifierType.card_number,
    IdentifierType.ip_user_agent,
}
_LONGEST = 80  # a user agent runs to hundreds of characters


def describe_identifier(kind: str, value: str, display: str | None = None) -> str:
    """Say an identifier in words: ``phone +4791234567``, ``device d-81f…``."""
    if kind == "customer":
        return f"customer #{value}"
    label = TYPE_LABELS.get(kind, kind)  # type: ignore[call-overload]
    if value.startswith(PSEUDONYM):
        return f"{label} of an erased customer"
    card = kind == IdentifierType.payment_fingerprint and value.startswith("card:")
    shown = display if display and (kind in _AS_WRITTEN or card) else value
    if kind in _OPAQUE and not card and len(shown) > 12:
        shown = shown[:10] + "…"
    if len(shown) > _LONGEST:
        shown = shown[: _LONGEST - 1] + "…"
    return f"{label} {shown}"


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    type: str
    value: str
    display: str

    def words(self) -> str:
        """Say the identifier in words."""
        return describe_identifier(self.type, self.value, self.display)

    @property
    def strength(self) -> LinkStrength | None:
        return link_strength(self.type)


@dataclass(frozen=True, slots=True)
class LinkHop:
    """One step of a path: ``from_customer_id`` (None = the order being screened) shares these with ``to``."""

    from_customer_id: int | None
    to_customer_id: int
    shared: tuple[SharedIdentifier, ...]

    @property
    def strength(self) -> LinkStrength:
        """Strong when the two share one strong identifier; else a possible match only."""
        strong = any(s.strength is LinkStrength.strong for s in self.shared)
        return LinkStrength.strong if strong else LinkStrength.weak


@dataclass(frozen=True, slots=True)
class LinkPath:
    """How two customers are linked, hop by hop."""

    hops: tuple[LinkHop, ...] = field(default_factory=tuple)

    @property
    def customer_ids(self) -> list[int]:
        return [h.to_customer_id for h in self.hops]

    @property
    def strength(self) -> LinkStrength:
        """A path is as strong as its weakest hop."""
        return weakest_link([h.strength for h in self.hops])

    def text(self) -> str:
        """Say the path in words, e.g. "shares phone +4791234567 with customer #1042"; a weak hop says so."""
        parts = []
        for i, hop in enumerate(self.hops):
            shared = " and ".join(s.words() for s in hop.shared)
            weak = " (a weak link)" if hop.strength is LinkStrength.weak else ""
            parts.append(
                f"{'shares' if i == 0 else 'who shares'} {shared} with customer #{hop.to_customer_id}{weak}"
            )
        return ", ".join(parts)

    def as_dict(self) -> list[dict[str, object]]:
        """Return the path as plain data for JSON, each hop and each shared identifier with its strength."""
        return [
            {
                "from_customer_id": h.from_customer_id,
                "to_customer_id": h.to_customer_id,
                "strength": h.strength.value,
                "shared": [
                    {
                        "type": s.type,
                        "value": s.value,
                        "display": s.display,
                        "strength": s.strength.value if s.strength else None,
                    }
                    for s in h.shared
                ],
            }
            for h in self.hops
        ]


def cluster_of(session: Session, customer_id: int) -> list[int]:
    """Return the ids of every customer linked to this one (itself included), smallest first."""
    cluster_id = session.scalar(select(Customer.cluster_id).where(Customer.id == customer_id))
    if cluster_id is None:
        return [customer_id]
    return list(
        session.scalars(select(Customer.id).where(Customer.cluster_id == cluster_id).order_by(Customer.id))
    )


def possible_matches(
    session: Session,
    *,
    shop_id: int,
    start_customer_id: int | None = None,
    start_keys: Sequence[tuple[str, str]] = (),
    targets: Iterable[int] | None = None,
    exclude: Iterable[int] = (),
) -> dict[int, LinkPath]:
    """Return the customers who share a weak identifier with a customer (or an order's keys), one hop each.

    A possible match is never followed further: a shared IP with a stranger's flatmate says nothing.
    ``exclude`` are the customers strongly linked already (the cluster).
    """
    paths = link_paths(
        session,
        shop_id=shop_id,
        types=sorted(WEAK_TYPES),
        start_customer_id=start_customer_id,
        start_keys=start_keys,
        targets=targets,
        max_hops=1,
    )
    skip = set(exclude)
    return {cid: path for cid, path in paths.items() if cid not in skip}


def link_paths(
    session: Session,
    *,
    shop_id: int,
    types: Iterable[str],
    start_customer_id: int | None = None,
    start_keys: Sequence[tuple[str, str]] = (),
    targets: Iterable[int] | None = None,
    max_hops: int = 8,
) -> dict[int, LinkPath]:
    """Find the shortest path of shared identifiers from a customer (or an order's keys) to others.

    Breadth-first over identifiers of the linking ``types``; stops when every target is reached.
    """
    type_values = [str(t) for t in types]
    wanted = set(targets) if targets is not None else None
    visited: dict[int, tuple[int | None, frozenset[tuple[str, str]]]] = {}
    frontier_keys: dict[tuple[str, str], set[int | None]] = {}
    if start_customer_id is not None:
        visited[start_customer_id] = (None, frozenset())
        frontier = {start_customer_id}
        for cid, kind, value in _keys_of(session, frontier, type_values):
            frontier_keys.setdefault((kind, value), set()).add(cid)
    for key in start_keys:  # the order's own keys belong to its customer (None for a guest checkout)
        if key[0] in type_values:
            frontier_keys.setdefault(key, set()).add(start_customer_id)
    for _ in range(max_hops):
        if not frontier_keys or (wanted is not None and wanted <= visited.keys()):
            break
        pairs = padded(sorted(frontier_keys))
        values: dict[str, object] = {"shop_id": shop_id}
        for i, (kind, value) in enumerate(pairs):
            values[f"type_{i}"], values[f"value_{i}"] = kind, value
        holders = _HOLDERS.rows(session, values, (len(pairs),))
        reached: dict[int, tuple[int | None, set[tuple[str, str]]]] = {}
        for cid, kind, value in holders:
            if cid in visited or (kind, value) not in frontier_keys:
                continue
            parent = min(frontier_keys[(kind, value)], key=lambda p: -1 if p is None else p)
            entry = reached.setdefault(cid, (parent, set()))
            if entry[0] == parent:
                entry[1].add((kind, value))
        if not reached:
            break
        for cid, (parent, keys) in reached.items():
            visited[cid] = (parent, frozenset(keys))
        frontier_keys = {}
        for cid, kind, value in _keys_of(session, reached.keys(), type_values):
            frontier_keys.setdefault((kind, value), set()).add(cid)
    return _build_paths(session, visited, start_customer_id, wanted, start_keys, set(type_values))


# The path search runs inside screening's hot path: its statements are compiled once per shape
# (IN lists padded to a power of two), as core.prepared explains.
def _ids(n: int) -> list[Any]:
    return [bindparam(f"id_{i}", type_=BigInteger) for i in range(n)]


_KEYS_OF = Prepared(
    lambda ids, types: select(_I.customer_id, _I.type, _I.value).where(
        _I.customer_id.in_(_ids(ids)),
        _I.type.in_([bindparam(f"type_{i}", type_=_I.type.type) for i in range(types)]),
    )
)
_HELD = Prepared(
    lambda ids: select(_I.customer_id, _I.type, _I.value, _I.display).where(_I.customer_id.in_(_ids(ids)))
)


def _holders_statement(pairs: int) -> Any:
    """As ``keys_clause``: the (shop, type, value) index search, then only the exact pairs."""
    types = [bindparam(f"type_{i}", type_=_I.type.type) for i in range(pairs)]
    values = [bindparam(f"value_{i}", type_=_I.value.type) for i in range(pairs)]
    return select(_I.customer_id, _I.type, _I.value).where(
        _I.shop_id == bindparam("shop_id", type_=BigInteger),
        _I.type.in_(types),
        _I.value.in_(values),
        tuple_(_I.type, _I.value).in_([tuple_(t, v) for t, v in zip(types, values, strict=True)]),
    )


_HOLDERS = Prepared(_holders_statement)


def _keys_of(session: Session, customer_ids: Iterable[int], types: list[str]) -> list[tuple[int, str, str]]:
    customer_ids = sorted(customer_ids)
    if not customer_ids or not types:
        return []
    ids, kinds = padded(customer_ids), padded(sorted(types))
    values: dict[str, object] = {f"id_{i}": v for i, v in enumerate(ids)}
    values.update({f"type_{i}": v for i, v in enumerate(kinds)})
    return [tuple(r) for r in _KEYS_OF.rows(session, values, (len(ids), len(kinds)))]  # type: ignore[misc]


def _build_paths(
    session: Session,
    visited: dict[int, tuple[int | None, frozenset[tuple[str, str]]]],
    start: int | None,
    wanted: set[int] | None,
    start_keys: Sequence[tuple[str, str]],
    link_kinds: set[str],
) -> dict[int, LinkPath]:
    targets = [c for c in visited if c != start and (wanted is None or c in wanted)]
    if not targets:
        return {}
    chains: dict[int, list[tuple[int | None, int]]] = {}
    nodes: set[int] = set()
    for target in targets:
        chain: list[tuple[int | None, int]] = []
        node: int | None = target
        while node is not None and node != start:
            parent = visited[node][0]
            chain.append((parent, node))
            nodes.add(node)
            node = parent
        chains[target] = list(reversed(chain))
    if start is not None:
        nodes.add(start)
    # Every identifier both ends of a hop hold, not only the one BFS happened to follow.
    held: dict[int, dict[tuple[str, str], str]] = {}
    ids = padded(sorted(nodes))
    for cid, kind, value, display in _HELD.rows(
        session, {f"id_{i}": v for i, v in enumerate(ids)}, (len(ids),)
    ):
        held.setdefault(cid, {})[(kind, value)] = display
    order_keys = {k for k in start_keys if k[0] in link_kinds}
    paths: dict[int, LinkPath] = {}
    for target, chain in chains.items():
        hops = []
        for parent, node in chain:
            mine = held.get(node, {})
            theirs = set(held.get(parent, {})) if parent is not None else set()
            if parent == start:
                theirs |= order_keys
            shared = sorted((k for k in mine if k in theirs and k[0] in link_kinds), key=_key_order)
            if not shared:
                shared = sorted(visited[node][1], key=_key_order)
            hops.append(
                LinkHop(parent, node, tuple(SharedIdentifier(k, v, mine.get((k, v), v)) for k, v in shared))
            )
        paths[target] = LinkPath(tuple(hops))
    return paths


_ORDER = {t.value: i for i, t in enumerate(IdentifierType)}


def _key_order(key: tuple[str, str]) -> tuple[int, str]:
    return (_ORDER.get(key[0], 99), key[1])
