"""Shopify products as the catalogue keeps them: one storeguard product per variant (its SKU).

A webhook (products/create, products/update) and a products export bring the same product
object; both go through ``map_product`` and the one catalogue mirror writer.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storeguard.core.schemas import MONEY_MAX
from storeguard.integrations.mirror.shapes import MappedVariant, MappingError
from storeguard.integrations.platforms.common import parse_body
from storeguard.integrations.platforms.shopify.mapping import money, platform_id, tags


def variant_key(product_id: str, variant_id: str) -> str:
    """Return the platform id a variant is kept under."""
    return f"{product_id}/{variant_id}"


def map_product(data: dict[str, Any], currency: str) -> list[MappedVariant]:
    """Map a Shopify product object (REST shape) to its variants; money exactly, ids as text."""
    if not isinstance(data, dict):
        raise MappingError("product is not an object")
    pid = platform_id(data.get("id"), "product id")
    title = str(data.get("title") or "").strip()[:250] or f"Shopify product {pid}"
    option_names = [
        str(o.get("name") or f"option{i + 1}").lower() for i, o in enumerate(data.get("options") or [])
    ]
    variants = data.get("variants") or []
    if not isinstance(variants, list) or not variants:
        raise MappingError(f"product {pid} has no variants")
    out = []
    for variant in variants:
        if not isinstance(variant, dict):
            raise MappingError(f"a variant of product {pid} is not an object")
        vid = platform_id(variant.get("id"), "variant id")
        values = [variant.get(f"option{i}") for i in (1, 2, 3)]
        options = {name: [str(v)] for name, v in zip(option_names, values, strict=False) if v}
        label = str(variant.get("title") or "").strip()
        quantity = variant.get("inventory_quantity")
        price = money(variant.get("price"), currency, "variant price")
        if not 0 <= price <= MONEY_MAX:
            raise MappingError(f"variant {vid}: price {variant.get('price')!r} is out of range")
        out.append(
            MappedVariant(
                platform_id=variant_key(pid, vid),
                sku=str(variant.get("sku") or "").strip()[:100] or f"shopify-{vid}",
                title=f"{title} - {label}"[:300] if label and label != "Default Title" else title,
                price=price,
                stock=int(quantity) if isinstance(quantity, int) and not isinstance(quantity, bool) else 0,
                product_type=str(data.get("product_type") or "").strip()[:100],
                tags=tags(data.get("tags")),
                options=options,
            )
        )
    return out


def read_products_file(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (row, product object, None) or (row, None, why) from JSON lines or a Shopify products CSV."""
    if path.suffix.lower() == ".csv":
        for number, product in _csv_products(path):
            yield number, product, None
        return
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield number, parse_body(line), None
            except MappingError as exc:
                yield number, None, str(exc)


def _csv_products(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Group a Shopify products export (one row per variant; Handle ties them) into product objects."""
    current: dict[str, Any] | None = None
    first_row = 0
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            handle = (row.get("Handle") or "").strip()
            if not handle:
                continue
            if current is None or current["handle"] != handle:
                if current is not None:
                    yield first_row, current
                current, first_row = _csv_product(handle, row), number
            if (row.get("Variant Price") or "").strip():
                current["variants"].append(_csv_variant(handle, len(current["variants"]), row))
    if current is not None:
        yield first_row, current


def _csv_product(handle: str, row: dict[str, str]) -> dict[str, Any]:
    names = [(row.get(f"Option{i} Name") or "").strip() for i in (1, 2, 3)]
    return {
        "id": handle,  # an export has no product id; the handle is unique per shop
        "handle": handle,
        "title": row.get("Title") or handle,
        "product_type": row.get("Type") or row.get("Product Category") or "",
        "tags": row.get("Tags") or "",
        "options": [{"name": n} for n in names if n],
        "variants": [],
    }


def _csv_variant(handle: str, index: int, row: dict[str, str]) -> dict[str, Any]:
    quantity = (row.get("Variant Inventory Qty") or "").strip()
    values = [(row.get(f"Option{i} Value") or "").strip() or None for i in (1, 2, 3)]
    return {
        "id": (row.get("Variant SKU") or "").strip() or f"{handle}-{index + 1}",
        "sku": (row.get("Variant SKU") or "").strip(),
        "price": (row.get("Variant Price") or "").strip(),
        "inventory_quantity": int(quantity) if quantity.lstrip("-").isdigit() else None,
        "title": " / ".join(v for v in values if v and v != "Default Title"),
        "option1": values[0],
        "option2": values[1],
        "option3": values[2],
    }
