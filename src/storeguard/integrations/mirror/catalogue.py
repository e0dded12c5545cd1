"""The one writer of mirrored catalogue rows, shared by product webhooks and product imports.

What Shopify reports of a product is mirrored as it is: price, stock, tags and type follow the
platform; the high-value and limited-edition flags follow the merchant's mapping of tags and
types (``shops.policy.catalogue_mapping``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.schemas import QUANTITY_MAX
from storeguard.integrations.mirror.shapes import MappedVariant
from storeguard.shops import policy
from storeguard.shops.models import Product, Shop


@dataclass(slots=True)
class CatalogueResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def mirror_products(
    session: Session, shop: Shop, variants: Sequence[MappedVariant], *, actor: Actor
) -> CatalogueResult:
    """Create or update the shop's products for these platform variants, keyed by platform id."""
    result = CatalogueResult()
    if not variants:
        return result
    mapping = policy.catalogue_mapping(shop.settings)
    keys = [v.platform_id for v in variants]
    stored = {
        p.platform_id: p
        for p in session.scalars(
            select(Product)
            .where(Product.shop_id == shop.id, Product.platform_id.in_(keys))
            .with_for_update(key_share=True)
        )
    }
    skus_taken = set(
        session.scalars(
            select(Product.sku).where(Product.shop_id == shop.id, Product.sku.in_([v.sku for v in variants]))
        )
    )
    for v in variants:
        high, limited = policy.catalogue_flags(v.tags, v.product_type, mapping)
        values = {
            "title": v.title,
            "category": v.product_type,
            "tags": policy.clean_tags(v.tags),
            "price": policy.check_price(v.price),
            "stock": max(0, min(v.stock, QUANTITY_MAX)),  # oversold shows as none left
            "options": v.options,
            "high_value": high,
            "limited_edition": limited,
        }
        product = stored.get(v.platform_id)
        if product is None:
            # A SKU another product already has (two platform products sharing one) stays findable
            # by the variant's own key instead of being refused.
            sku = v.sku if v.sku not in skus_taken else f"{v.sku}~{v.platform_id.rsplit('/', 1)[-1]}"[:100]
            skus_taken.add(sku)
            product = Product(shop_id=shop.id, platform_id=v.platform_id, sku=sku, created_at=now(), **values)
            session.add(product)
            session.flush()
            record_event(
                session,
                actor=actor,
                action="product.mirrored",
                subject_type="product",
                subject_id=product.id,
                after={"platform_id": v.platform_id, "sku": sku, **values},
            )
            result.created += 1
            continue
        changes = {k: value for k, value in values.items() if getattr(product, k) != value}
        if not changes:
            result.unchanged += 1
            continue
        before = {k: getattr(product, k) for k in changes}
        for k, value in changes.items():
            setattr(product, k, value)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="product.mirrored",
            subject_type="product",
            subject_id=product.id,
            before=before,
            after=changes,
        )
        result.updated += 1
    return result


def archive_product(session: Session, shop: Shop, product_platform_id: str, *, actor: Actor) -> int:
    """Mark a product deleted on the platform: its variants stay (past orders point at them), with no stock."""
    variants = list(
        session.scalars(
            select(Product)
            .where(
                Product.shop_id == shop.id,
                Product.platform_id.startswith(f"{product_platform_id}/", autoescape=True),
            )
            .with_for_update(key_share=True)
        )
    )
    for product in variants:
        if product.stock != 0:
            record_event(
                session,
                actor=actor,
                action="product.archived",
                subject_type="product",
                subject_id=product.id,
                before={"stock": product.stock},
                after={"stock": 0},
            )
            product.stock = 0
    session.flush()
    return len(variants)
