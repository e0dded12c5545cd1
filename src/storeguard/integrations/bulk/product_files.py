"""A products export (Shopify's CSV, or JSON lines of products) mirrored into the catalogue in batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.errors import Invalid
from storeguard.integrations.mirror.catalogue import CatalogueResult, mirror_products
from storeguard.integrations.mirror.shapes import MappedVariant, MappingError
from storeguard.integrations.platforms.shopify.products import map_product, read_products_file
from storeguard.shops.models import Shop


@dataclass(slots=True)
class ProductImport:
    products: int = 0
    result: CatalogueResult = field(default_factory=CatalogueResult)
    failed: list[tuple[int, str]] = field(default_factory=list)


def import_products(
    session: Session,
    shop: Shop,
    path: Path,
    *,
    actor: Actor,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> ProductImport:
    """Mirror every product of a products export (Shopify CSV or JSON lines), committing per batch.

    Safe to run again: a product already mirrored is updated, or left alone when nothing changed.
    A product that cannot be read is reported with its row and skipped.
    """
    report = ProductImport()
    batch: list[MappedVariant] = []
    for row, product, error in read_products_file(path):
        if product is None:
            report.failed.append((row, error or "unreadable"))
            continue
        try:
            batch.extend(map_product(product, shop.currency))
            report.products += 1
        except (MappingError, Invalid) as exc:
            report.failed.append((row, str(exc)))
        if len(batch) >= batch_size:
            _write(session, shop, batch, actor, report)
            if progress is not None:
                progress(report.products)
    _write(session, shop, batch, actor, report)
    return report


def _write(
    session: Session, shop: Shop, batch: list[MappedVariant], actor: Actor, report: ProductImport
) -> None:
    done = mirror_products(session, shop, batch, actor=actor)
    session.commit()
    report.result.created += done.created
    report.result.updated += done.updated
    report.result.unchanged += done.unchanged
    batch.clear()
