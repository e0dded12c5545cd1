"""The only code that changes shops and products: validate, change, record, flush (never commit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import CommonError, Conflict, NotFound
from storeguard.core.money import validate_currency
from storeguard.shops import policy
from storeguard.shops.errors import ShopError
from storeguard.shops.models import Product, Shop
from storeguard.shops.schemas import ProductCreate, ProductUpdate, ShopCreate
from storeguard.shops.service import get_shop

_PRODUCT_FIELDS = (
    "sku",
    "title",
    "category",
    "tags",
    "price",
    "options",
    "high_value",
    "limited_edition",
    "stock",
)


def _flush_unique(session: Session, error: Conflict, change: Callable[[], None]) -> None:
    """Apply ``change`` and flush it in a savepoint, so a concurrent duplicate becomes ``error``, not a 500."""
    session.flush()
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError:
        raise error from None


def create_shop(
    session: Session, *, data: ShopCreate, actor: Actor, settings: dict[str, Any] | None = None
) -> Shop:
    """Create a shop after checking its platform, currency, country and that its domain is free."""
    name = policy.require_text(data.name, code=CommonError.name_required, field="name", what="a shop's name")
    domain = policy.normalize_domain(data.domain)
    platform = policy.parse_platform(data.platform)
    currency = validate_currency(data.currency)
    country = policy.parse_country(data.country)
    zone = {"time_zone": policy.parse_time_zone(data.time_zone)} if data.time_zone else {}
    taken = Conflict(ShopError.domain_taken, f"a shop with domain {domain} already exists", field="domain")
    if session.scalar(select(Shop.id).where(Shop.domain == domain)) is not None:
        raise taken
    shop = Shop(
        name=name,
        domain=domain,
        platform=platform,
        currency=currency,
        country=country,
        settings={**(settings or {}), **zone},
        created_at=now(),
    )
    _flush_unique(session, taken, lambda: session.add(shop))
    record_event(
        session,
        actor=actor,
        action="shop.created",
        subject_type="shop",
        subject_id=shop.id,
        after={
            "name": name,
            "domain": domain,
            "platform": platform.value,
            "currency": currency,
            "country": country,
        },
    )
    return shop


def _product_state(product: Product) -> dict[str, Any]:
    return {field: getattr(product, field) for field in _PRODUCT_FIELDS}


def _sku_taken(sku: str) -> Conflict:
    return Conflict(ShopError.sku_taken, f"the shop already has a product with SKU {sku}", field="sku")


def create_product(session: Session, *, data: ProductCreate, actor: Actor) -> Product:
    """Add a product to a shop's catalogue; its SKU is unique within the shop."""
    get_shop(session, data.shop_id, field="shop_id")
    sku = policy.require_text(data.sku, code=ShopError.sku_required, field="sku", what="a SKU")
    title = policy.require_text(data.title, code=ShopError.title_required, field="title", what="a title")
    price = policy.check_price(data.price)
    stock = policy.check_stock(data.stock)
    options = policy.clean_options(data.options)
    if session.scalar(select(Product.id).where(Product.shop_id == data.shop_id, Product.sku == sku)):
        raise _sku_taken(sku)
    product = Product(
        shop_id=data.shop_id,
        platform_id=data.platform_id,
        sku=sku,
        title=title,
        category=data.category.strip(),
        tags=policy.clean_tags(data.tags),
        price=price,
        options=options,
        high_value=data.high_value,
        limited_edition=data.limited_edition,
        stock=stock,
        created_at=now(),
    )
    _flush_unique(session, _sku_taken(sku), lambda: session.add(product))
    record_event(
        session,
        actor=actor,
        action="product.created",
        subject_type="product",
        subject_id=product.id,
        after=_product_state(product),
    )
    return product


def update_product(session: Session, *, product_id: int, data: ProductUpdate, actor: Actor) -> Product:
    """Change the fields sent; a new SKU must still be unique within the shop."""
    product = session.scalar(select(Product).where(Product.id == product_id).with_for_update(key_share=True))
    if product is None:
        raise NotFound(ShopError.product_not_found, f"no product {product_id}")
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for field, value in sent.items():
        if value is None:
            continue  # null means "leave as is": none of these fields may be emptied
        if field == "sku":
            value = policy.require_text(value, code=ShopError.sku_required, field="sku", what="a SKU")
        elif field == "title":
            value = policy.require_text(value, code=ShopError.title_required, field="title", what="a title")
        elif field == "category":
            value = value.strip()
        elif field == "price":
            value = policy.check_price(value)
        elif field == "stock":
            value = policy.check_stock(value)
        elif field == "tags":
            value = policy.clean_tags(value)
        elif field == "options":
            value = policy.clean_options(value)
        if getattr(product, field) != value:
            changes[field] = value
    if "sku" in changes and session.scalar(
        select(Product.id).where(Product.shop_id == product.shop_id, Product.sku == changes["sku"])
    ):
        raise _sku_taken(changes["sku"])
    if not changes:
        return product
    before = {field: getattr(product, field) for field in changes}

    def apply() -> None:
        for field, value in changes.items():
            setattr(product, field, value)

    _flush_unique(session, _sku_taken(str(changes.get("sku"))), apply)
    record_event(
        session,
        actor=actor,
        action="product.updated",
        subject_type="product",
        subject_id=product.id,
        before=before,
        after=changes,
    )
    return product


def set_catalogue_mapping(
    session: Session, *, shop_id: int, mapping: dict[str, list[str]], actor: Actor
) -> dict[str, list[str]]:
    """Change which platform tags and types mark products high-value or limited-edition, and re-flag them."""
    get_shop(session, shop_id)
    shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update(key_share=True))
    assert shop is not None  # found just above, and shops are never deleted
    before = policy.catalogue_mapping(shop.settings)
    after = {**before, **policy.clean_catalogue_mapping(mapping)}
    shop.settings = {**(shop.settings or {}), "catalogue": after}
    reflagged = reflag_mirrored_products(session, shop)
    record_event(
        session,
        actor=actor,
        action="shop.catalogue_mapping_changed",
        subject_type="shop",
        subject_id=shop.id,
        before=before,
        after=after,
        data={"products_reflagged": reflagged},
    )
    return after


def set_platform_settings(session: Session, *, shop_id: int, changes: dict[str, Any], actor: Actor) -> Shop:
    """Record how the shop's platform is reached (its API address, whether it mails customers).

    Called by the integration that connects the shop; the change is audited like any other.
    """
    get_shop(session, shop_id)
    shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update(key_share=True))
    assert shop is not None  # found just above, and shops are never deleted
    before = {k: (shop.settings or {}).get(k) for k in changes}
    shop.settings = {**(shop.settings or {}), **changes}
    session.flush()
    record_event(
        session,
        actor=actor,
        action="shop.platform_settings_changed",
        subject_type="shop",
        subject_id=shop.id,
        before=before,
        after=dict(changes),
    )
    return shop


def reflag_mirrored_products(session: Session, shop: Shop) -> int:
    """Set the flags of the shop's platform products from the mapping; return how many changed.

    Products typed in by hand keep the flags a person gave them: only mirrored ones follow the mapping.
    """
    mapping = policy.catalogue_mapping(shop.settings)
    changed = 0
    products = session.scalars(
        select(Product)
        .where(Product.shop_id == shop.id, Product.platform_id.is_not(None))
        .with_for_update(key_share=True)
    )
    for product in products:
        flags = policy.catalogue_flags(product.tags or [], product.category or "", mapping)
        if (product.high_value, product.limited_edition) != flags:
            product.high_value, product.limited_edition = flags
            changed += 1
    session.flush()
    return changed
