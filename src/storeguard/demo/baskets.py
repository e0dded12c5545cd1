"""What goes in a cart: lines of products and variants, by shopping style."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from storeguard.demo.catalogue import CatalogueItem


@dataclass
class Line:
    item: CatalogueItem
    product_id: int
    variant: dict[str, str]
    quantity: int
    unit_price: int
    discount: int = 0
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity - self.discount


class Baskets:
    """Choose products and variants for a cart, weighted by popularity and the shopper's style."""

    def __init__(self, rng: random.Random, products: list[tuple[CatalogueItem, int]]) -> None:
        self.rng = rng
        self.products = products
        self._weights = {
            style: [self._weight(item, style) for item, _ in products]
            for style in ("normal", "premium", "small", "electronics", "multi")
        }

    @staticmethod
    def _weight(item: CatalogueItem, style: str) -> float:
        base = 3.0 if "bestseller" in item.tags else 1.0
        if item.limited_edition:
            base *= 0.15
        if style == "premium":
            return base * (
                3.0 if item.high_value or item.limited_edition or "outerwear" in item.tags else 1.0
            )
        if style == "small":
            return (
                base
                if item.category == "accessories" and item.price_nok <= 700 and not item.limited_edition
                else 0.0
            )
        if style == "electronics":
            return base if item.category == "electronics" else 0.0
        if style == "multi":
            return base * (2.0 if item.category == "apparel" else 0.5)
        return base * (0.4 if item.category == "electronics" else 1.0)

    def _variant(self, item: CatalogueItem) -> dict[str, str]:
        return {name: self.rng.choice(values) for name, values in item.options.items()}

    def _line(self, item: CatalogueItem, product_id: int, variant: dict[str, str], quantity: int = 1) -> Line:
        return Line(item, product_id, variant, quantity, item.price_nok * 100)

    def _pick(self, style: str, count: int) -> list[Line]:
        chosen = self.rng.choices(self.products, weights=self._weights[style], k=count)
        lines: list[Line] = []
        unique = {pid: item for item, pid in chosen}  # one line per product
        for pid, item in unique.items():
            qty = self.rng.choice([1, 1, 1, 2]) if item.category == "accessories" else 1
            lines.append(self._line(item, pid, self._variant(item), qty))
        return lines

    def one_off(self, trap: str) -> list[Line]:
        """The cart of an honest customer's one-off: two neighbouring sizes of one garment
        (``two_sizes``), or one occasion piece alone (``late_worn``)."""
        rng = self.rng
        if trap == "two_sizes":
            apparel = [
                (i, p)
                for i, p in self.products
                if len(i.options.get("size", [])) >= 2 and i.category == "apparel" and not i.limited_edition
            ]
            item, pid = rng.choice(apparel)
            base = self._variant(item)
            sizes = item.options["size"]
            start = rng.randrange(len(sizes) - 1)
            return [self._line(item, pid, {**base, "size": size}) for size in sizes[start : start + 2]]
        item, pid = rng.choice([(i, p) for i, p in self.products if i.wardrobe_target])
        return [self._line(item, pid, self._variant(item))]

    def basket(self, style: str) -> list[Line]:
        """Choose what goes in the cart for a shopping style."""
        rng = self.rng
        if style == "bracket" and rng.random() < 0.75:
            apparel = [
                (i, p)
                for i, p in self.products
                if "size" in i.options and i.category == "apparel" and not i.limited_edition
            ]
            item, pid = rng.choice(apparel)
            base = self._variant(item)
            if rng.random() < 0.7 or len(item.options.get("color", [])) < 2:
                sizes = item.options["size"]
                start = rng.randint(0, max(0, len(sizes) - 3))
                picked = sizes[start : start + rng.choice([2, 3, 3])]
                return [self._line(item, pid, {**base, "size": size}) for size in picked]
            colours = rng.sample(item.options["color"], k=min(len(item.options["color"]), rng.choice([2, 3])))
            return [self._line(item, pid, {**base, "color": colour}) for colour in colours]
        if style == "wardrobe":
            targets = [(i, p) for i, p in self.products if i.wardrobe_target]
            item, pid = rng.choice(targets)
            lines = [self._line(item, pid, self._variant(item))]
            if rng.random() < 0.25:
                lines += self._pick("small", 1)
            return lines
        if style == "small":
            return self._pick("small", rng.choice([1, 1, 2]))
        if style == "electronics":
            lines = self._pick("electronics", 1)
            return lines + (self._pick("small", 1) if rng.random() < 0.3 else [])
        if style == "multi":
            return self._pick("multi", rng.choice([2, 3, 3, 4]))
        if style == "premium":
            return self._pick("premium", rng.choice([1, 1, 2, 2, 3]))
        return self._pick("normal", rng.choice([1, 1, 1, 2, 2, 3]))
