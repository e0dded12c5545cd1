"""Reading shops and products."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.db import json_list_contains
from storeguard.core.errors import CommonError, Invalid, NotFound
from storeguard.shops.errors import ShopError
from storeguard.shops.models import Product, Shop
from storeguard.shops.schemas import ProductFilter, ProductRead


def get_shop(session: Session, shop_id: int, *, field: str | None = None) -> Shop:
    """Return the shop or raise ``NotFound`` (naming ``field`` when the id came in a body or query).

    The one way every package finds a shop it was told about: one refusal, ``shop_not_found``, 404.
    """
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(CommonError.shop_not_found, f"no shop {shop_id}", field=field)
    return shop


def get_shop_by_domain(session: Session, domain: str) -> Shop | None:
    """Return the shop with this (normalized) domain, if any."""
    return session.scalar(select(Shop).where(Shop.domain == domain))


def shop_with_domain(session: Session, domain: str) -> Shop:
    """Return the shop with this domain (any case) or raise ``NotFound``."""
    shop = get_shop_by_domain(session, domain.lower())
    if shop is None:
        raise NotFound(CommonError.shop_not_found, f"no shop with domain {domain}")
    return shop


def shop_or_only_shop(session: Session, shop_id: int | None) -> Shop:
    """Return the shop; with no id, the only shop there is (a one-shop install needs no id)."""
    if shop_id is None:
        shops = session.scalars(select(Shop).limit(2)).all()
        if len(shops) != 1:
            raise Invalid(
                ShopError.shop_required, "say which shop (shop_id): there is not exactly one", field="shop_id"
            )
        return shops[0]
    return get_shop(session, shop_id, field="shop_id")


def first_shop(session: Session) -> Shop | None:
    """Return the first shop (the pages serve one shop; several shops pick theirs in the API)."""
    return session.scalar(select(Shop).order_by(Shop.id).limit(1))


def list_shops(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[list[Shop], int]:
    """Return a page of shops in the order they were added, and how many there are."""
    total = session.scalar(select(func.count()).select_from(Shop)) or 0
    shops = list(session.scalars(select(Shop).order_by(Shop.id).limit(limit).offset(offset)))
    return shops, total


def get_product(session: Session, product_id: int) -> Product:
    """Return the product or raise ``NotFound``."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(ShopError.product_not_found, f"no product {product_id}")
    return product


def product_read(session: Session, product: Product) -> ProductRead:
    """Return the product's wire form with its shop's currency."""
    currency = session.scalar(select(Shop.currency).where(Shop.id == product.shop_id)) or ""
    return ProductRead.model_validate({**_columns(product), "currency": currency})


def _columns(product: Product) -> dict[str, object]:
    return {c.key: getattr(product, c.key) for c in Product.__mapper__.column_attrs}


def list_products(
    session: Session, flt: ProductFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[ProductRead], int]:
    """Return a page of products matching the filter (by id), and how many match."""
    conditions = []
    if flt.shop_id is not None:
        conditions.append(Product.shop_id == flt.shop_id)
    if flt.category:
        conditions.append(Product.category == flt.category)
    if flt.tag:
        conditions.append(json_list_contains(Product.tags, flt.tag))
    if flt.high_value is not None:
        conditions.append(Product.high_value.is_(flt.high_value))
    if flt.limited_edition is not None:
        conditions.append(Product.limited_edition.is_(flt.limited_edition))
    total = session.scalar(select(func.count()).select_from(Product).where(*conditions)) or 0
    rows = session.execute(
        select(Product, Shop.currency)
        .join(Shop, Shop.id == Product.shop_id)
        .where(*conditions)
        .order_by(Product.id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [ProductRead.model_validate({**_columns(p), "currency": cur}) for p, cur in rows]
    return items, total
