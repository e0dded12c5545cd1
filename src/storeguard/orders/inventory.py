"""Stock movements caused by orders: every change of a product's stock leaves a movement row.

So for any product, stock = starting stock - sold + restocked (+ manual adjustments), and the
movements say which order did what.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from storeguard.orders import policy
from storeguard.orders.models import InventoryMovement, LineItem, Order
from storeguard.shops.models import Product


class MovementReason(StrEnum):
    sold = "sold"
    restocked = "restocked"
    adjusted = "adjusted"


def record_sale(session: Session, order: Order, line: LineItem, product: Product) -> None:
    """Take a line's units out of stock (the product must be locked by the caller)."""
    product.stock -= line.quantity
    session.add(
        InventoryMovement(
            product_id=product.id, order_id=order.id, delta=-line.quantity, reason=MovementReason.sold
        )
    )


def restock_line(
    session: Session, order: Order, line: LineItem, quantity: int, products: dict[int, Product]
) -> int:
    """Put up to ``quantity`` units of a line back into stock and return how many went back.

    A line never puts back more than it took out; a line whose product is gone restocks nothing.
    ``products`` holds the locked products by id.
    """
    quantity = min(quantity, policy.restockable_quantity(line))
    product = products.get(line.product_id) if line.product_id is not None else None
    if product is None or quantity <= 0:
        return 0
    product.stock += quantity
    line.restocked_quantity += quantity
    session.add(
        InventoryMovement(
            product_id=product.id, order_id=order.id, delta=quantity, reason=MovementReason.restocked
        )
    )
    return quantity
