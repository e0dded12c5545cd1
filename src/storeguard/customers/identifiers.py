"""Which identifiers an order carries, and recording them per customer as orders arrive."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.errors import DomainError, NotFound
from storeguard.customers.enums import (
    DEFAULT_LINK_TYPES,
    CustomerErrorCode,
    IdentifierSource,
    IdentifierType,
)
from storeguard.customers.models import Customer, Identifier
from storeguard.customers.normalize import (
    email_domain,
    ip_user_agent_key,
    name_address_key,
    normalize_address,
    normalize_country,
    normalize_email,
    normalize_identifier,
    normalize_ip,
    normalize_payment_fingerprint,
    normalize_phone,
    normalize_token,
)
from storeguard.customers.policy import card_type, strong_only
from storeguard.shops.service import get_shop

T = IdentifierType


@dataclass(frozen=True, slots=True)
class IdentifierFact:
    """One identifier as found: its type, its normalized key and how it was written."""

    type: IdentifierType
    value: str
    display: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.type._value_, self.value)  # _value_: a plain attribute, .value a descriptor


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if type(obj) is dict:  # the usual mapping, without the abstract-class check (screening's hot path)
        return obj.get(key)
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _address_display(address: Any) -> str:
    parts = [_get(address, k) for k in ("address1", "address2", "zip", "city", "country_code")]
    return ", ".join(str(p).strip() for p in parts if p and str(p).strip())


def _address_name(address: Any) -> str:
    name = _get(address, "name")
    if not name:
        name = f"{_get(address, 'first_name') or ''} {_get(address, 'last_name') or ''}"
    return str(name).strip()


def identifiers_of_order(
    order: Any,
    *,
    default_region: str | None = None,
    platform_customer_id: str | None = None,
    kinds: Collection[str] | None = None,
) -> list[IdentifierFact]:
    """List the identifiers an order (stored or prospective) carries; unreadable values are skipped.

    ``order`` is an ``Order`` or any object or mapping with the same field names, so screening can
    pass a checkout that is not stored. ``kinds`` keeps only identifiers of those types, in the
    same order, and skips reading the others (a backtest that counts only emails normalizes no address).
    """
    # Every order screened or backtested comes through here: the field reads and the type checks
    # are written out once, not called per field (a backtest derives a million orders' identifiers).
    facts: dict[tuple[str, str], IdentifierFact] = {}
    wanted = _EVERY_TYPE_NAME if kinds is None else kinds if type(kinds) is frozenset else frozenset(kinds)
    get = order.get if type(order) is dict else partial(_get, order)

    def add(kind: IdentifierType, raw: Any, normalize: Any, display: str | None = None) -> None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return
        try:
            value = normalize(raw)
        except DomainError:
            return  # an order is never refused for a typo in its phone; the key is just missing
        key = (kind._value_, value)
        if key not in facts:
            facts[key] = IdentifierFact(kind, value, display or str(raw).strip())

    # A missing value adds nothing: it is passed over before ``add`` (a backtest reads many such orders).
    email = get("email")
    if email is not None and "email" in wanted:
        add(T.email, email, normalize_email)
    if email and "email_domain" in wanted:
        with contextlib.suppress(DomainError):
            add(T.email_domain, email_domain(normalize_email(email)), str)
    region = default_region
    if "phone" in wanted or not wanted.isdisjoint(_ADDRESS_TYPES):
        shipping = get("shipping_address")
        billing = get("billing_address")
        if "phone" in wanted:
            for raw_phone in (get("phone"), _get(shipping, "phone"), _get(billing, "phone")):
                if raw_phone is not None:
                    add(T.phone, raw_phone, lambda v: normalize_phone(v, default_region=region))
        for kind, address in ((T.shipping_address, shipping), (T.billing_address, billing)):
            if address and _get(address, "address1"):
                if kind._value_ in wanted:
                    add(kind, address, normalize_address, _address_display(address))
                name = _address_name(address) if "name_address" in wanted else None
                if name:
                    add(
                        T.name_address,
                        address,
                        lambda a, n=name: name_address_key(n, a),
                        f"{name}, {_address_display(address)}",
                    )
    if "ip" in wanted or "ip_user_agent" in wanted:
        ip = get("browser_ip")
        if ip is not None:
            if "ip" in wanted:
                add(T.ip, ip, normalize_ip)
            agent = get("user_agent") if ip else None
            if ip and agent and "ip_user_agent" in wanted:
                add(
                    T.ip_user_agent,
                    ip,
                    lambda v: ip_user_agent_key(v, agent),
                    f"{ip} {' '.join(str(agent).split())}",
                )
    if "device_id" in wanted:
        device = get("device_id")
        if device is not None:
            add(T.device_id, device, lambda v: normalize_token(v, field="device_id"))
    if "payment_fingerprint" in wanted or "card_number" in wanted:
        for kind, value, display in _card_facts(order):
            if kind._value_ in wanted:
                add(kind, value, str, display)
    if platform_customer_id is not None and "platform_id" in wanted:
        add(T.platform_id, platform_customer_id, lambda v: normalize_token(v, field="platform_id"))
    return list(facts.values())


_EVERY_TYPE_NAME = frozenset(t.value for t in IdentifierType)
_ADDRESS_TYPES = frozenset({"shipping_address", "billing_address", "name_address"})


def _card_facts(order: Any) -> list[tuple[IdentifierType, str, str]]:
    """The order's card as (type, key, display): one card (strong) when the gateway's fingerprint or
    the expiry says which, and its BIN and last four digits (weak) whenever they are known."""
    raw = _get(order, "payment_fingerprint")
    bin_, last4, expiry = _get(order, "card_bin"), _get(order, "card_last4"), _get(order, "card_expiry")
    if not raw and bin_ and last4:
        raw = f"card:{bin_}:{last4}:{expiry}" if expiry else f"card:{bin_}:{last4}"
    if not raw:
        return []
    try:
        fingerprint = normalize_payment_fingerprint(raw)
    except DomainError:
        return []
    if not fingerprint.startswith("card:"):
        return [(T.payment_fingerprint, fingerprint, str(raw).strip())]
    _, card_bin, card_last4, *rest = fingerprint.split(":")
    number = f"{card_bin} •••• {card_last4}"
    found = [(T.card_number, f"card:{card_bin}:{card_last4}", number)]
    if rest:
        found.insert(0, (T.payment_fingerprint, fingerprint, f"{number} {rest[0][:2]}/{rest[0][2:]}"))
    return found


def identifiers_of_customer(customer: Any, *, default_region: str | None = None) -> list[IdentifierFact]:
    """List the identifiers on the customer record itself (email, phone, platform account id)."""
    return identifiers_of_order(
        {"email": _get(customer, "email"), "phone": _get(customer, "phone")},
        default_region=default_region,
        platform_customer_id=_get(customer, "platform_id"),
    )


def order_match_keys(
    order: Any,
    *,
    default_region: str | None = None,
    platform_customer_id: str | None = None,
    identifiers: Sequence[IdentifierFact] | None = None,
) -> list[tuple[str, str]]:
    """Return the (type, value) keys to look an order up by: its identifiers and its countries.

    ``identifiers`` are the order's ``identifiers_of_order``, when the caller already has them.
    """
    if identifiers is None:
        identifiers = identifiers_of_order(
            order, default_region=default_region, platform_customer_id=platform_customer_id
        )
    keys = [f.key for f in identifiers]
    for address in (_get(order, "shipping_address"), _get(order, "billing_address")):
        code = _get(address, "country_code")
        if code:
            try:
                key = ("country", normalize_country(code))
            except DomainError:
                continue
            if key not in keys:
                keys.append(key)
    return keys


def link_types(shop: Any) -> tuple[IdentifierType, ...]:
    """Return the identifier types that join customers into clusters in this shop.

    The merchant's setting, less any weak type an earlier version let it name: a shared address or
    IP never makes two customers one.
    """
    settings = _get(shop, "settings") or {}
    configured = settings.get("link_identifier_types")
    if configured is None:
        return DEFAULT_LINK_TYPES
    return strong_only(tuple(IdentifierType(t) for t in configured if t in _KNOWN_TYPES))


_KNOWN_TYPES = frozenset(IdentifierType)


def keys_clause(type_col: Any, value_col: Any, keys: Iterable[tuple[str, str]]) -> Any:
    """Match exactly these (type, value) pairs, as an index search on (shop, type, value) everywhere.

    ``type IN (..) AND value IN (..)`` is what the index serves; the row-value IN keeps only the
    exact pairs. (An OR of pairs reads better but makes SQLite scan the whole shop.)
    """
    pairs = sorted(set(keys))
    return and_(
        type_col.in_(sorted({str(k) for k, _ in pairs})),
        value_col.in_(sorted({v for _, v in pairs})),
        tuple_(type_col, value_col).in_(pairs),
    )


def upsert_identifiers(
    session: Session,
    customer: Customer,
    facts: Sequence[IdentifierFact],
    *,
    source: IdentifierSource,
    seen_at: datetime | None = None,
    order_id: int | None = None,
    linking: Iterable[IdentifierType] = DEFAULT_LINK_TYPES,
) -> list[Identifier]:
    """Store a customer's identifiers (first and last sighting) and link the customer at once."""
    if not facts:
        return []
    seen_at = seen_at or now()
    wanted = {f.key: f for f in facts}
    rows = session.scalars(
        select(Identifier).where(
            Identifier.customer_id == customer.id, keys_clause(Identifier.type, Identifier.value, wanted)
        )
    ).all()
    existing = {(r.type, r.value): r for r in rows}
    result: list[Identifier] = []
    for key, fact in wanted.items():
        row = existing.get(key)
        if row is None:
            row = Identifier(
                shop_id=customer.shop_id,
                customer_id=customer.id,
                type=fact.type,
                value=fact.value,
                display=fact.display[:600],
                source=source,
                first_seen=seen_at,
                last_seen=seen_at,
                first_order_id=order_id,
            )
            session.add(row)
        else:
            if seen_at > row.last_seen:
                row.last_seen = seen_at
            if seen_at < row.first_seen:
                row.first_seen, row.first_order_id = seen_at, order_id or row.first_order_id
        result.append(row)
    session.flush()
    linking = set(linking)
    link_customer(session, customer, [f.key for f in facts if f.type in linking])
    return result


def link_customer(session: Session, customer: Customer, keys: Sequence[tuple[str, str]]) -> int:
    """Merge the customer's cluster with every cluster that shares one of ``keys``; return the cluster id."""
    if customer.cluster_id is None:
        customer.cluster_id = customer.id
    if not keys:
        session.flush()
        return customer.cluster_id
    wanted = set(keys)
    others = list(
        {
            (cid, cluster)
            for cid, cluster, kind, value in session.execute(
                select(Customer.id, Customer.cluster_id, Identifier.type, Identifier.value)
                .join(Identifier, Identifier.customer_id == Customer.id)
                .where(
                    Identifier.shop_id == customer.shop_id,
                    keys_clause(Identifier.type, Identifier.value, wanted),
                    Identifier.customer_id != customer.id,
                )
            )
            if (kind, value) in wanted
        }
    )
    clusters = {customer.cluster_id} | {cluster or cid for cid, cluster in others}
    target = min(clusters)
    if clusters != {target}:
        session.execute(
            update(Customer)
            .where(
                Customer.shop_id == customer.shop_id,
                or_(Customer.cluster_id.in_(clusters), Customer.id.in_([cid for cid, _ in others])),
            )
            .values(cluster_id=target)
            .execution_options(synchronize_session="fetch")
        )
    customer.cluster_id = target
    session.flush()
    return target


def record_order_identifiers(session: Session, order: Any) -> list[Identifier]:
    """Record the identifiers of an order that just arrived under its customer, and link them."""
    if order.customer_id is None:
        return []  # a guest order has no customer to hold identifiers; screening still matches it
    customer = session.get(Customer, order.customer_id)
    if customer is None:
        raise NotFound(CustomerErrorCode.customer_not_found, f"no customer {order.customer_id}")
    shop = get_shop(session, order.shop_id)
    facts = identifiers_of_order(
        order, default_region=shop.country, platform_customer_id=customer.platform_id
    )
    return upsert_identifiers(
        session,
        customer,
        facts,
        source=IdentifierSource.order,
        seen_at=order.created_at or now(),
        order_id=order.id,
        linking=link_types(shop),
    )


def record_customer_identifiers(session: Session, customer: Customer) -> list[Identifier]:
    """Record the identifiers on the customer record itself (email, phone, platform id)."""
    shop = get_shop(session, customer.shop_id)
    facts = identifiers_of_customer(customer, default_region=shop.country)
    return upsert_identifiers(
        session,
        customer,
        facts,
        source=IdentifierSource.customer,
        seen_at=customer.created_at or now(),
        linking=link_types(shop),
    )


def add_identifier(session: Session, customer: Customer, type_: str, raw: Any) -> Identifier:
    """Add one identifier a person found (strict: an unreadable value is refused with 422)."""
    shop = get_shop(session, customer.shop_id)
    value = normalize_identifier(type_, raw, default_region=shop.country)  # refuses unknown types
    kind = IdentifierType(type_)
    if kind == T.payment_fingerprint:
        kind = card_type(value)  # a BIN and last four without the expiry name no one card
    display = _address_display(raw) if isinstance(raw, Mapping) else str(raw).strip()
    rows = upsert_identifiers(
        session,
        customer,
        [IdentifierFact(kind, value, display)],
        source=IdentifierSource.manual,
        linking=link_types(shop),
    )
    return rows[0]


def customer_keys(session: Session, customer_ids: Iterable[int]) -> list[tuple[int, str, str, str]]:
    """Return (customer id, type, value, display) for every identifier of the given customers."""
    ids = list(customer_ids)
    if not ids:
        return []
    rows = session.execute(
        select(Identifier.customer_id, Identifier.type, Identifier.value, Identifier.display)
        .where(Identifier.customer_id.in_(ids))
        .order_by(Identifier.customer_id, Identifier.id)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def bulk_insert_identifiers(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert identifier rows in one executemany (reindexing, imports, benchmarks)."""
    if rows:
        session.execute(insert(Identifier), rows)
