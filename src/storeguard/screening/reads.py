"""The reads screening makes on every order, each one statement compiled once (``core.prepared``).

A checkout screening must answer in about a millisecond; building these statements with the ORM
cost several times what the indexed lookups themselves take, so each is written once with
SQLAlchemy, compiled once per dialect and shape, and run on the session's driver connection.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Select,
    Text,
    bindparam,
    cast,
    distinct,
    func,
    literal,
    select,
    union,
)
from sqlalchemy.orm import Session

from storeguard.core.clock import ensure_utc
from storeguard.core.money import exponent
from storeguard.core.prepared import Driver, Prepared
from storeguard.customers.identifiers import link_types
from storeguard.customers.models import Customer, Identifier
from storeguard.lists.models import ListVersion
from storeguard.risk.models import CustomerRisk
from storeguard.rules.models import PolicyHead
from storeguard.screening.metrics import (
    CUSTOMER_ID,
    EXCLUDE_ORDER_ID,
    PLACED_AT,
    PLACED_ORDER_ID,
    metrics_from_row,
    metrics_select,
)
from storeguard.screening.models import PROFILE_NUMBERS, CustomerProfile, ScreeningSettings
from storeguard.screening.policy import CustomerMetrics, merged_settings
from storeguard.shops.models import Product, Shop

SHOP_ID = bindparam("shop_id", type_=BigInteger)


# Everything screening needs to know about the shop, in one statement: its currency, country and
# settings, its list version (the IP-range index), its screening settings and the policy version.
# JSON comes back as text: an unchanged row is then recognised by equality and everything derived
# from it (parsed settings, link types, thresholds in minor units) is reused.
def _context_statement() -> Select[Any]:
    return (
        select(
            Shop.id,
            Shop.currency,
            Shop.country,
            cast(Shop.settings, Text),
            func.coalesce(ListVersion.token, ""),
            ScreeningSettings.revision,
            cast(ScreeningSettings.data, Text),
            PolicyHead.version,
            PolicyHead.token,
        )
        .outerjoin(ListVersion, ListVersion.shop_id == Shop.id)
        .outerjoin(ScreeningSettings, ScreeningSettings.shop_id == Shop.id)
        .outerjoin(PolicyHead, PolicyHead.id == 1)
        .where(Shop.id == SHOP_ID)
    )


_CONTEXT = Prepared(_context_statement)


@dataclass(frozen=True, slots=True)
class ShopContext:
    """A shop as screening sees it at one moment; derived once per distinct state of its rows."""

    id: int
    currency: str
    country: str
    settings: dict[str, Any]  # the shop's own settings (which identifier types link customers)
    link_kinds: frozenset[str]
    list_version: str
    screening: dict[str, Any]  # screening settings, defaults laid under the shop's own
    revision: int
    policy_version: int
    policy_token: str | None
    _amounts: dict[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    def amount(self, path: tuple[str, str, str], currency: str) -> int:
        """Return a money setting (minor units of the shop's currency) in minor units of ``currency``.

        An order in another currency than the shop's compares against the same number of major
        units (storeguard converts no exchange rates).
        """
        key = (".".join(path), currency)
        value = self._amounts.get(key)
        if value is None:
            section, name, item = path
            value = int(self.screening[section][name].get(item, 0))
            if currency != self.currency:
                value = value * 10 ** exponent(currency) // 10 ** exponent(self.currency)
            self._amounts[key] = value
        return value


_contexts: OrderedDict[tuple[Any, ...], ShopContext] = OrderedDict()
_contexts_lock = threading.Lock()
_CONTEXTS_KEPT = 256
_latest: dict[int, ShopContext] = {}  # by shop id: the context last read (``last_shop_context``)


def shop_context(session: Session | Driver, shop_id: int) -> ShopContext | None:
    """Return what screening knows of the shop, or None when there is no such shop.

    The context is a pure function of the row read, so a cached one is reused only for an
    identical row (any change to the shop, its lists, settings or rules makes a new one).
    """
    rows = _CONTEXT.rows(session, {"shop_id": shop_id})
    if not rows:
        return None
    raw = tuple(rows[0])
    context = _contexts.get(raw)
    if context is None:
        context = _derive_context(raw)
        with _contexts_lock:
            _contexts[raw] = context
            while len(_contexts) > _CONTEXTS_KEPT:
                _contexts.popitem(last=False)
    _latest[shop_id] = context
    return context


def last_shop_context(shop_id: int) -> ShopContext | None:
    """Return the shop as this process last read it, or None: a guess, to read ahead by, never an answer."""
    return _latest.get(shop_id)


def _derive_context(raw: tuple[Any, ...]) -> ShopContext:
    shop_id, currency, country, settings_text, list_version, revision, data_text, version, token = raw
    settings = json.loads(settings_text) if settings_text else {}
    return ShopContext(
        id=shop_id,
        currency=currency,
        country=country,
        settings=settings,
        link_kinds=frozenset(str(k) for k in link_types({"settings": settings})),
        list_version=list_version,
        screening=merged_settings(json.loads(data_text) if data_text else None, currency),
        revision=revision or 0,
        policy_version=version or 0,
        policy_token=token,
    )


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


def _products_statement(ids: int, skus: int) -> Select[Any] | CompoundSelect:
    # One indexed lookup per way of naming a product (by id, by shop and sku), joined by UNION:
    # with an OR, SQLite without statistics read every product of the shop instead.
    p = Product
    columns = (p.id, p.sku, p.title, p.price, p.category, p.tags, p.high_value, p.limited_edition)
    parts = []
    if ids:
        wanted = [bindparam(f"id_{i}", type_=BigInteger) for i in range(ids)]
        parts.append(select(*columns).where(p.id.in_(wanted), p.shop_id == SHOP_ID))
    if skus:
        wanted = [bindparam(f"sku_{i}", type_=p.sku.type) for i in range(skus)]
        parts.append(select(*columns).where(p.shop_id == SHOP_ID, p.sku.in_(wanted)))
    return parts[0] if len(parts) == 1 else union(*parts)


_PRODUCTS = Prepared(_products_statement)


def _products_values(shop_id: int, ids: set[int], skus: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {"shop_id": shop_id}
    values.update({f"id_{i}": v for i, v in enumerate(sorted(ids))})
    values.update({f"sku_{i}": v for i, v in enumerate(sorted(skus))})
    return values


def products(session: Session | Driver, shop_id: int, ids: set[int], skus: set[str]) -> list[ProductRow]:
    """Return the shop's products with these ids or skus, in one indexed query."""
    if not ids and not skus:
        return []
    values = _products_values(shop_id, ids, skus)
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


def checkout_ahead(
    db: Driver,
    shop_id: int,
    customer_id: int | None,
    platform_id: str | None,
    product_ids: set[int],
    skus: set[str],
    more: Sequence[tuple[Prepared, dict[str, Any], tuple[Any, ...]]] = (),
) -> None:
    """Read the shop, the customer and the products of a prospective order in one round trip.

    ``from_screen_in`` then asks for each as usual and gets the rows read here (``Driver.ahead``);
    if the shop turns out not to exist, the others are simply never asked for. ``more`` are
    reads screening makes next, sent in the same statement (``engine.screen_at_checkout``).
    """
    runs: list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]] = [(_CONTEXT, {"shop_id": shop_id}, ())]
    if customer_id is not None:
        runs.append((_CUSTOMER_OF_SHOP, {"shop_id": shop_id, "customer_id": customer_id}, ()))
    elif platform_id:
        runs.append((_CUSTOMER_BY_PLATFORM_ID, {"shop_id": shop_id, "platform_id": platform_id}, ()))
    if product_ids or skus:
        shape = (len(product_ids), len(skus))
        runs.append((_PRODUCTS, _products_values(shop_id, product_ids, skus), shape))
    db.ahead([*runs, *more])


def customer_of_shop(session: Session | Driver, shop_id: int, customer_id: int) -> int | None:
    """Return the customer id if the shop has that customer."""
    rows = _CUSTOMER_OF_SHOP.rows(session, {"shop_id": shop_id, "customer_id": customer_id})
    return rows[0][0] if rows else None


def customer_by_platform_id(session: Session | Driver, shop_id: int, platform_id: str) -> int | None:
    """Return the shop's customer with this platform id (the first, if a mirror made two)."""
    rows = _CUSTOMER_BY_PLATFORM_ID.rows(session, {"shop_id": shop_id, "platform_id": platform_id})
    return rows[0][0] if rows else None


@dataclass(slots=True)
class History:
    """The customer's history and account, and how many others used the shipping address."""

    metrics: CustomerMetrics
    created_at: datetime | None
    state: str | None
    address_customers: int
    platform_account_state: str | None = None
    risk: tuple[int, str, tuple[str, ...]] | None = None  # score, segment, finding types: as stored


def _profile_select() -> Select[Any]:
    """Select the customer's kept profile: one row by its key, zeros when none is kept.

    From a one-row table, so the statement answers one row whether or not the customer has a
    profile (or exists), as the aggregate it replaces does.
    """
    one = select(literal(1).label("one")).subquery("one")
    p = CustomerProfile.__table__
    return select(*(p.c[name] for name in PROFILE_NUMBERS)).select_from(
        one.outerjoin(p, p.c.customer_id == CUSTOMER_ID)
    )


def _history_statement(known: bool, address: bool, as_of: bool = False, kept: bool = False) -> Select[Any]:
    """Build the one SELECT this order needs; the shape says which parts.

    ``as_of`` bounds the customer's history by the order's time (the backtest's): a shape of its
    own, so checkout screening's statement has no bound to pay for. ``kept`` reads the customer's
    profile (a new order's checkout) instead of aggregating the history; an order already stored
    is left out of its own history, which only the aggregate can do.
    """
    cols: list[Any] = []
    stmt: Select[Any] | None = None
    if known and kept:
        stmt = _profile_select()
    elif known:
        placed = (PLACED_AT, PLACED_ORDER_ID) if as_of else None
        stmt = metrics_select(CUSTOMER_ID, exclude_order_id=EXCLUDE_ORDER_ID, placed_before=placed)
    if known:
        cols += [
            select(Customer.created_at).where(Customer.id == CUSTOMER_ID).scalar_subquery(),
            select(Customer.state).where(Customer.id == CUSTOMER_ID).scalar_subquery(),
            select(Customer.platform_account_state).where(Customer.id == CUSTOMER_ID).scalar_subquery(),
            # Risk as last stored: one row by its key, concatenated so it costs one subquery.
            select(
                cast(CustomerRisk.score, Text) + ":" + CustomerRisk.segment + ":" + CustomerRisk.finding_types
            )
            .where(CustomerRisk.customer_id == CUSTOMER_ID)
            .scalar_subquery(),
        ]
    if address:
        shared = select(func.count(distinct(Identifier.customer_id))).where(
            Identifier.shop_id == SHOP_ID,
            Identifier.type == "shipping_address",
            Identifier.value == bindparam("address", type_=Identifier.value.type),
        )
        if known:
            shared = shared.where(Identifier.customer_id != CUSTOMER_ID)
        cols.append(shared.scalar_subquery())
    return stmt.add_columns(*cols) if stmt is not None else select(*cols)


_HISTORY = Prepared(_history_statement)
_AFTER_EVERY_ID = 2**63 - 1


def _history_run(
    shop_id: int,
    customer_id: int | None,
    order_id: int | None,
    address: str | None,
    placed_at: datetime | None,
) -> tuple[dict[str, Any], tuple[bool, bool, bool, bool]]:
    """Return the history statement's values and shape for this order."""
    known = customer_id is not None
    # A new order at checkout: its customer's history is everything so far, as the profile keeps it.
    kept = known and order_id is None and placed_at is None
    params: dict[str, Any] = {"shop_id": shop_id, "customer_id": customer_id, "address": address}
    if known and not kept:
        params["exclude_order_id"] = order_id or 0
    as_of = placed_at is not None and known
    if as_of:
        # An order not yet stored comes after every stored order of the same instant.
        params |= {"placed_at": placed_at, "placed_order_id": order_id or _AFTER_EVERY_ID}
    return params, (known, address is not None, as_of, kept)


def history_ahead(
    shop_id: int,
    customer_id: int | None,
    order_id: int | None,
    address: str | None,
    placed_at: datetime | None,
) -> list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]]:
    """Return the history read ``history`` will make, for ``Driver.ahead`` (none when it makes none)."""
    if customer_id is None and address is None:
        return []
    params, shape = _history_run(shop_id, customer_id, order_id, address, placed_at)
    return [(_HISTORY, params, shape)]


def history(
    session: Session | Driver,
    shop_id: int,
    customer_id: int | None,
    order_id: int | None,
    address: str | None,
    *,
    placed_at: datetime | None = None,
) -> History:
    """Read the customer's history, account and shared address in one round trip.

    With ``placed_at`` (the order's time) the history is as it stood when the order was placed:
    see ``metrics_select``. Checkout screening leaves it out: its history is everything so far,
    read from the customer's kept profile (``screening.profiles``) rather than aggregated.
    """
    result = History(CustomerMetrics(), None, None, 0)
    known = customer_id is not None
    if not known and address is None:
        return result
    params, shape = _history_run(shop_id, customer_id, order_id, address, placed_at)
    row = list(_HISTORY.one(session, params, shape))
    if known:
        result.metrics = metrics_from_row(row[:8])
        created, state, result.platform_account_state = row[8], row[9], row[10]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        result.created_at = ensure_utc(created) if created else None
        result.state = state
        if row[11]:
            score, segment, types = row[11].split(":", 2)
            result.risk = (int(score), segment, tuple(types.split(",")) if types else ())
        row = row[12:]
    if address is not None:
        result.address_customers = int(row.pop(0) or 0)
    return result
