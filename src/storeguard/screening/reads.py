"""The reads screening makes on every order, each one statement compiled once (``core.prepared``).

A checkout screening must answer in about a millisecond; building these statements with the ORM
cost several times what the indexed lookups themselves take, so each is written once with
SQLAlchemy, compiled once per dialect and shape, and run on the session's driver connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Select, bindparam, distinct, func, or_, select, tuple_, union
from sqlalchemy.orm import Session

from storeguard.core.clock import ensure_utc
from storeguard.core.prepared import Prepared
from storeguard.customers.models import Customer, Identifier
from storeguard.screening.metrics import CUSTOMER_ID, EXCLUDE_ORDER_ID, metrics_columns, metrics_from_row
from storeguard.screening.policy import CustomerMetrics
from storeguard.shops.models import Product, Shop

SHOP_ID = bindparam("shop_id", type_=BigInteger)


class ShopRow(NamedTuple):
    """What screening reads of a shop: currency, home country and settings (which types link)."""

    id: int
    currency: str
    country: str
    settings: dict[str, Any]


_SHOP = Prepared(
    lambda: select(Shop.id, Shop.currency, Shop.country, Shop.settings).where(Shop.id == SHOP_ID)
)


def shop_row(session: Session, shop_id: int) -> ShopRow | None:
    """Return the shop's screening facts, or None when there is no such shop."""
    rows = _SHOP.rows(session, {"shop_id": shop_id})
    return ShopRow(*rows[0]) if rows else None


class ProductRow(NamedTuple):
    """The product facts a screened line carries (the names ``inputs._product_line`` reads)."""

    id: int
    sku: str
    title: str
    price: int
    category: str | None
    tags: list[str] | None
    high_value: bool
    limited_edition: bool


def _products_statement(ids: int, skus: int) -> Select[Any]:
    p = Product
    wanted = [p.id.in_([bindparam(f"id_{i}", type_=BigInteger) for i in range(ids)])] if ids else []
    if skus:
        wanted.append(p.sku.in_([bindparam(f"sku_{i}", type_=p.sku.type) for i in range(skus)]))
    return select(p.id, p.sku, p.title, p.price, p.category, p.tags, p.high_value, p.limited_edition).where(
        p.shop_id == SHOP_ID, or_(*wanted)
    )


_PRODUCTS = Prepared(_products_statement)


def products(session: Session, shop_id: int, ids: set[int], skus: set[str]) -> list[ProductRow]:
    """Return the shop's products with these ids or skus, in one indexed query."""
    if not ids and not skus:
        return []
    values: dict[str, Any] = {"shop_id": shop_id}
    values.update({f"id_{i}": v for i, v in enumerate(sorted(ids))})
    values.update({f"sku_{i}": v for i, v in enumerate(sorted(skus))})
    return [ProductRow(*r) for r in _PRODUCTS.rows(session, values, (len(ids), len(skus)))]


_CUSTOMER_OF_SHOP = Prepared(
    lambda: select(Customer.id).where(Customer.id == CUSTOMER_ID, Customer.shop_id == SHOP_ID)
)
_CUSTOMER_BY_PLATFORM_ID = Prepared(
    lambda: select(Customer.id).where(
        Customer.shop_id == SHOP_ID,
        Customer.platform_id == bindparam("platform_id", type_=Customer.platform_id.type),
    )
)


def customer_of_shop(session: Session, shop_id: int, customer_id: int) -> int | None:
    """Return the customer id if the shop has that customer."""
    rows = _CUSTOMER_OF_SHOP.rows(session, {"shop_id": shop_id, "customer_id": customer_id})
    return rows[0][0] if rows else None


def customer_by_platform_id(session: Session, shop_id: int, platform_id: str) -> int | None:
    """Return the shop's customer with this platform id (the first, if a mirror made two)."""
    rows = _CUSTOMER_BY_PLATFORM_ID.rows(session, {"shop_id": shop_id, "platform_id": platform_id})
    return rows[0][0] if rows else None


@dataclass(slots=True)
class History:
    """The customer's history, account, links and how many others used the shipping address."""

    metrics: CustomerMetrics
    created_at: datetime | None
    state: str | None
    linked: int
    address_customers: int


def _history_statement(known: bool, pairs: int, address: bool) -> Select[Any]:
    """Build the one SELECT of scalar subqueries; the shape says which parts this order needs."""
    cols: list[Any] = []
    if known:
        cols += metrics_columns(CUSTOMER_ID, exclude_order_id=EXCLUDE_ORDER_ID)
        cols.append(select(Customer.created_at).where(Customer.id == CUSTOMER_ID).scalar_subquery())
        cols.append(select(Customer.state).where(Customer.id == CUSTOMER_ID).scalar_subquery())
    # Everyone in the clusters of the customer and of whoever already holds the order's linking keys.
    seeds = []
    if known:
        seeds.append(
            select(func.coalesce(Customer.cluster_id, Customer.id)).where(Customer.id == CUSTOMER_ID)
        )
    if pairs:
        # As customers.keys_clause: type IN and value IN for the (shop, type, value) index search,
        # the row-value IN for the exact pairs.
        types = [bindparam(f"link_type_{i}", type_=Identifier.type.type) for i in range(pairs)]
        values = [bindparam(f"link_value_{i}", type_=Identifier.value.type) for i in range(pairs)]
        seeds.append(
            select(func.coalesce(Customer.cluster_id, Customer.id))
            .join(Identifier, Identifier.customer_id == Customer.id)
            .where(
                Identifier.shop_id == SHOP_ID,
                Identifier.type.in_(types),
                Identifier.value.in_(values),
                tuple_(Identifier.type, Identifier.value).in_(
                    [tuple_(t, v) for t, v in zip(types, values, strict=True)]
                ),
            )
        )
    if seeds:
        clusters = union(*seeds) if len(seeds) > 1 else seeds[0]
        linked = select(func.count(distinct(Customer.id))).where(
            Customer.shop_id == SHOP_ID, or_(Customer.cluster_id.in_(clusters), Customer.id.in_(clusters))
        )
        if known:
            linked = linked.where(Customer.id != CUSTOMER_ID)
        cols.append(linked.scalar_subquery())
    if address:
        shared = select(func.count(distinct(Identifier.customer_id))).where(
            Identifier.shop_id == SHOP_ID,
            Identifier.type == "shipping_address",
            Identifier.value == bindparam("address", type_=Identifier.value.type),
        )
        if known:
            shared = shared.where(Identifier.customer_id != CUSTOMER_ID)
        cols.append(shared.scalar_subquery())
    return select(*cols)


_HISTORY = Prepared(_history_statement)


def history(
    session: Session,
    shop_id: int,
    customer_id: int | None,
    order_id: int | None,
    linking: list[tuple[str, str]],
    address: str | None,
) -> History:
    """Read the customer's history, account, links and shared address in one round trip."""
    result = History(CustomerMetrics(), None, None, 0, 0)
    known = customer_id is not None
    linking = sorted(set(linking))
    if not known and not linking and address is None:
        return result
    params: dict[str, Any] = {
        "shop_id": shop_id,
        "customer_id": customer_id,
        "exclude_order_id": order_id or 0,
        "address": address,
    }
    for i, (kind, value) in enumerate(linking):
        params[f"link_type_{i}"] = kind
        params[f"link_value_{i}"] = value
    row = list(_HISTORY.one(session, params, (known, len(linking), address is not None)))
    if known:
        result.metrics = metrics_from_row(row[:8])
        created, state = row[8], row[9]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        result.created_at = ensure_utc(created) if created else None
        result.state = state
        row = row[10:]
    if known or linking:
        result.linked = int(row.pop(0) or 0)
    if address is not None:
        result.address_customers = int(row.pop(0) or 0)
    return result
