"""Build one order and everything that happens to it as plain rows: payment, shipping, returns, claims."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storeguard.demo.baskets import Baskets, Line
from storeguard.demo.catalogue import (
    DOMESTIC_CARRIERS,
    INTERNATIONAL_CARRIERS,
    IP_BLOCKS,
    STAFF,
    TRACKING_URLS,
    VPN_BLOCKS,
    CatalogueItem,
)
from storeguard.demo.people import DIGITS, UPPER_ALNUM, Card, format_phone_locally, token
from storeguard.demo.texts import CANCEL_MESSAGES, CHECKOUT_NOTES, GIFT_MESSAGES, RETURN_REASONS
from storeguard.demo.timeline import days, hours, is_black_week
from storeguard.demo.types import BEHAVIOUR, Customer, CustomerType
from storeguard.orders.policy import add_business_days

GATEWAY_PERCENT_BP = 290  # 2.9 % in basis points
GATEWAY_FIXED_MINOR = 300  # NOK 3.00, Stripe's 30 cents in kroner
DOMESTIC_SHIPPING, DOMESTIC_FREE_FROM = 9_900, 100_000
INTERNATIONAL_SHIPPING, INTERNATIONAL_FREE_FROM = 24_900, 300_000
VAT_RATE_PERCENT = 25
RETURN_WINDOW = timedelta(days=30)
# Refunds asked for a mistake once the parcel has arrived: (reason, what the customer says).
LATE_CLAIMS = (
    ("wrong_address", "they typed the wrong address and want the order sent again"),
    ("duplicate_order", "they ordered the same thing twice by mistake"),
    ("site_error", "the site charged them more than the price shown"),
)

TABLES = (
    "products",
    "customers",
    "orders",
    "line_items",
    "transactions",
    "fulfillments",
    "fulfillment_lines",
    "refunds",
    "refund_lines",
    "inventory_movements",
    "cancellation_requests",
)


class Rows:
    """Rows per table with the next id of each, starting after the ids already in the database."""

    def __init__(self, id_start: dict[str, int] | None = None) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self._next = {name: (id_start or {}).get(name, 0) + 1 for name in TABLES}

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Give the row the table's next id and keep it."""
        row["id"] = self._next[table]
        self._next[table] += 1
        self.tables[table].append(row)
        return row

    def peek(self, table: str) -> int:
        """Return the id the next row of ``table`` will get."""
        return self._next[table]


def _gift_properties(number: int, locale: str) -> list[dict[str, str]]:
    """The properties a gift buyer writes on an order's first line; on about one order in twenty.

    Drawn from the order's number, not the store's random stream, so every other draw (and with
    it the customers' histories and the risk figures) stays what it was without them.
    """
    rng = random.Random(number)
    if rng.random() >= 0.05:
        return []
    message = rng.choice(GIFT_MESSAGES.get(locale, GIFT_MESSAGES["en-US"]))
    return [{"name": "Gift message", "value": message}, {"name": "_gift_wrap", "value": "true"}]


def gateway_fee(amount: int) -> int:
    """Return the processing fee the gateway keeps on a capture: 2.9 % + NOK 3.00."""
    return (amount * GATEWAY_PERCENT_BP + 5_000) // 10_000 + GATEWAY_FIXED_MINOR


def _colour_code(colour: str) -> str:
    return "".join(ch for ch in colour.upper() if ch.isalpha())[:3]


def line_sku(item: CatalogueItem, variant: dict[str, str]) -> str:
    """Return the variant's SKU: the product's SKU with colour and size codes."""
    parts = [item.sku]
    if "color" in variant:
        parts.append(_colour_code(variant["color"]))
    if "size" in variant:
        parts.append(variant["size"])
    return "-".join(parts)


def _tracking(rng: random.Random, carrier: str) -> str:
    if carrier == "Bring":
        return "3707" + token(rng, 14, DIGITS)
    if carrier == "PostNord":
        return "00370" + token(rng, 15, DIGITS)
    if carrier == "UPS":
        return "1Z" + token(rng, 6, UPPER_ALNUM) + "68" + token(rng, 8, DIGITS)
    return token(rng, 10, DIGITS)


class OrderBuilder:
    """Turn one planned order into rows, deciding what happens to it up to ``now``."""

    def __init__(
        self,
        rng: random.Random,
        rows: Rows,
        *,
        shop_id: int,
        currency: str,
        home_country: str,
        now: datetime,
        products: list[tuple[CatalogueItem, int]],
        refund_days: tuple[int, int],
    ) -> None:
        self.rng = rng
        self.rows = rows
        self.shop_id = shop_id
        self.currency = currency
        self.home = home_country
        self.now = now
        self.products = products
        self.refund_days = refund_days
        self.number = 1001
        self.baskets = Baskets(rng, products)

    # Money --------------------------------------------------------------------------------------

    def _discount_percent(self, customer: Customer, at: datetime, first: bool) -> int:
        rng = self.rng
        if is_black_week(at) and rng.random() < 0.6:
            return 20
        if customer.type is CustomerType.vip and rng.random() < 0.4:
            return 15
        if first and rng.random() < 0.25:
            return 10
        if at.month == 7 and rng.random() < 0.2:
            return 15
        return 0

    def _reference(self, gateway: str) -> str:
        rng = self.rng
        if gateway == "paypal":
            return token(rng, 17, UPPER_ALNUM)
        return "ch_3" + token(rng, 24)

    def _tx(
        self,
        ctx: _Order,
        kind: str,
        amount: int,
        at: datetime,
        *,
        status: str = "success",
        parent: dict[str, Any] | None = None,
        refund_id: int | None = None,
        fee: int = 0,
    ) -> dict[str, Any]:
        return self.rows.add(
            "transactions",
            {
                "order_id": ctx.row["id"],
                "parent_id": parent["id"] if parent else None,
                "refund_id": refund_id,
                "platform_id": None,
                "kind": kind,
                "status": status,
                "gateway": ctx.gateway,
                "gateway_reference": self._reference(ctx.gateway),
                "amount": amount,
                "fee": fee,
                "currency": self.currency,
                "created_at": at,
            },
        )

    def _capture(self, ctx: _Order, at: datetime) -> None:
        total = ctx.row["total"]
        ctx.capture = self._tx(ctx, "capture", total, at, parent=ctx.authorization, fee=gateway_fee(total))
        ctx.captured = total
        ctx.touch(at)

    def _move(self, line: Line, order_id: int, delta: int, reason: str, at: datetime) -> None:
        self.rows.add(
            "inventory_movements",
            {
                "product_id": line.product_id,
                "order_id": order_id,
                "delta": delta,
                "reason": reason,
                "created_at": at,
            },
        )

    def _refund(
        self,
        ctx: _Order,
        at: datetime,
        picks: list[tuple[Line, int, bool]],
        *,
        shipping: bool,
        reason: str,
        note: str | None,
    ) -> None:
        """Return money for some units (and maybe shipping), restocking what can be sold again."""
        assert ctx.capture is not None, "only captured money can be refunded"
        staff = self.rng.choice(STAFF)
        refund_id = self.rows.peek("refunds")
        line_rows = []
        for line, qty, restock in picks:
            amount = line.total * qty // line.quantity
            line_rows.append(
                {
                    "refund_id": refund_id,
                    "line_item_id": line.row["id"],
                    "quantity": qty,
                    "amount": amount,
                    "restock": restock,
                    "returned": restock and reason != "order_cancelled",
                }
            )
        shipping_amount = ctx.row["shipping"] if shipping else 0
        amount = min(sum(r["amount"] for r in line_rows) + shipping_amount, ctx.captured - ctx.refunded)
        low, high = self.refund_days
        self.rows.add(
            "refunds",
            {
                "order_id": ctx.row["id"],
                "platform_id": None,
                "amount": amount,
                "shipping_amount": shipping_amount,
                "currency": self.currency,
                "reason": reason,
                "note": note,
                "actor": f"shopify:{staff}",
                "expected_arrival_from": add_business_days(at.date(), low),
                "expected_arrival_to": add_business_days(at.date(), high),
                "created_at": at,
            },
        )
        for row, (line, qty, restock) in zip(line_rows, picks, strict=True):
            self.rows.add("refund_lines", row)
            line.row["refunded_quantity"] += qty
            if restock:
                line.row["restocked_quantity"] += qty
                self._move(line, ctx.row["id"], qty, "restocked", at)
        self._tx(ctx, "refund", amount, at + timedelta(seconds=3), parent=ctx.capture, refund_id=refund_id)
        ctx.refunded += amount
        ctx.touch(at)

    # The order's life -----------------------------------------------------------------------------

    def build(self, customer: Customer, at: datetime) -> dict[str, Any]:
        """Create the order placed by ``customer`` at ``at`` and play out its life up to now."""
        rng, person = self.rng, customer.person
        first = customer.orders_built == 0
        customer.orders_built += 1
        one_off = customer.one_off if at == customer.one_off_at else None
        lines = self.baskets.one_off(one_off) if one_off else self.baskets.basket(customer.behaviour.basket)
        percent = self._discount_percent(customer, at, first)
        for line in lines:
            line.discount = line.unit_price * line.quantity * percent // 100
        subtotal = sum(line.unit_price * line.quantity for line in lines)
        discount = sum(line.discount for line in lines)
        domestic = person.country == self.home
        fee, free_from = (
            (DOMESTIC_SHIPPING, DOMESTIC_FREE_FROM)
            if domestic
            else (INTERNATIONAL_SHIPPING, INTERNATIONAL_FREE_FROM)
        )
        shipping = 0 if subtotal - discount >= free_from else fee
        total = subtotal - discount + shipping
        # Prices include Norwegian VAT; exports leave the EEA without it.
        tax = total - (total * 100 + 62) // (100 + VAT_RATE_PERCENT) if domestic else 0
        shared = person.shared
        if person.paypal_payer and "card" not in shared and rng.random() < 0.5:
            gateway, card, fingerprint = "paypal", None, f"paypal:{person.paypal_payer}"
        else:
            card: Card | None = (
                person.cards[0] if len(person.cards) == 1 or rng.random() < 0.8 else person.cards[1]
            )
            gateway, fingerprint = "stripe", card.fingerprint if card.fingerprinted else None
        ip = rng.choice(person.ips)
        if customer.type in (CustomerType.chargeback_abuser, CustomerType.evader) and rng.random() < 0.3:
            a, b = rng.choice(VPN_BLOCKS)  # ordering through a VPN exit
            ip = f"{a}.{b}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        elif rng.random() < 0.08:
            a, b = rng.choice(IP_BLOCKS[person.country])  # on the phone, away from home
            ip = f"{a}.{b}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        device = person.devices[0] if "device" in shared else rng.choice(person.devices)
        phone_roll = rng.random()
        phone = (
            None
            if phone_roll < 0.1
            else (person.phone if phone_roll < 0.3 else format_phone_locally(person.phone, rng))
        )
        note = rng.choice(CHECKOUT_NOTES[person.locale]) if rng.random() < 0.05 else None
        number = self.number
        self.number += 1
        row = self.rows.add(
            "orders",
            {
                "shop_id": self.shop_id,
                "customer_id": customer.id,
                "number": f"#{number}",
                "platform_id": str(5_200_000_000_000 + number * 7),
                "source": "demo",
                "currency": self.currency,
                "subtotal": subtotal,
                "shipping": shipping,
                "tax": tax,
                "discount": discount,
                "total": total,
                "status": "open",
                "financial_status": "pending",
                "fulfillment_status": "unfulfilled",
                "cancel_reason": None,
                "cancelled_at": None,
                "closed_at": None,
                "email": person.email,
                "phone": phone,
                "shipping_address": dict(person.address),
                "billing_address": dict(person.address),
                "browser_ip": ip,
                "user_agent": person.user_agent or None,
                "device_id": device,
                "payment_fingerprint": fingerprint,
                "card_bin": card.bin if card else None,
                "card_last4": card.last4 if card else None,
                "card_expiry": card.expiry if card else None,
                "held": False,
                "hold_reason": None,
                "tags": [],
                "note": note,
                "created_at": at,
                "updated_at": at,
            },
        )
        ctx = _Order(row=row, gateway=gateway, notes=[note] if note else [], one_off=one_off)
        gift = _gift_properties(number, person.locale)
        for index, line in enumerate(lines):
            line.row = self.rows.add(
                "line_items",
                {
                    "order_id": row["id"],
                    "product_id": line.product_id,
                    "platform_id": None,
                    "sku": line_sku(line.item, line.variant),
                    "title": line.item.title,
                    "variant": line.variant,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount": line.discount,
                    "fulfilled_quantity": 0,
                    "refunded_quantity": 0,
                    "restocked_quantity": 0,
                    "properties": gift if index == 0 else [],
                },
            )
            self._move(line, row["id"], -line.quantity, "sold", at)
        ctx.lines = lines
        self._play(customer, ctx, at, domestic)
        self._settle(ctx)
        return row

    def _play(self, customer: Customer, ctx: _Order, at: datetime, domestic: bool) -> None:
        rng, now, b = self.rng, self.now, customer.behaviour
        declined = rng.random() < 0.006
        ctx.authorization = self._tx(
            ctx,
            "authorization",
            ctx.row["total"],
            at + timedelta(seconds=2),
            status="failure" if declined else "success",
        )
        if declined or rng.random() < b.cancel_rate:
            self._cancel(customer, ctx, at, "declined" if declined else None)
            return
        automatic = rng.random() < 0.5
        if automatic:
            self._capture(ctx, at + timedelta(minutes=1))
        ship_at = at + hours(rng, 5, 60)
        if ship_at > now:
            return
        if not automatic:
            self._capture(ctx, ship_at - timedelta(minutes=2))
        carrier = rng.choice(DOMESTIC_CARRIERS if domestic else INTERNATIONAL_CARRIERS)
        tracking = _tracking(rng, carrier)
        delivered_at = ship_at + (days(rng, 1, 3) if domestic else days(rng, 3, 9))
        lost = customer.type is CustomerType.good and rng.random() < 0.004
        delivered = not lost and delivered_at <= now
        fulfillment = self.rows.add(
            "fulfillments",
            {
                "order_id": ctx.row["id"],
                "platform_id": None,
                "state": "delivered" if delivered else "open",
                "carrier": carrier,
                "tracking_number": tracking,
                "tracking_url": TRACKING_URLS[carrier].format(n=tracking),
                "created_at": ship_at,
                "delivered_at": delivered_at if delivered else None,
                "cancelled_at": None,
            },
        )
        for line in ctx.lines:
            self.rows.add(
                "fulfillment_lines",
                {
                    "fulfillment_id": fulfillment["id"],
                    "line_item_id": line.row["id"],
                    "quantity": line.quantity,
                },
            )
            line.row["fulfilled_quantity"] = line.quantity
        ctx.row["fulfillment_status"] = "fulfilled"
        ctx.touch(delivered_at if delivered else ship_at)
        if lost:
            self._lost(ctx, ship_at, carrier)
        elif delivered:
            returns_before = customer.played["return"]
            self._after_delivery(customer, ctx, delivered_at, carrier, tracking)
            # Settled: something came back, or the return window has closed with nothing back.
            returned = customer.played["return"] > returns_before
            if returned or delivered_at + RETURN_WINDOW <= now:
                customer.act("settled_order")
                if returned:
                    customer.act("settled_order_returned")
            if delivered_at + RETURN_WINDOW <= now and not ctx.open_claim:
                ctx.row["status"] = "closed"
                ctx.row["closed_at"] = max(delivered_at + RETURN_WINDOW, ctx.row["updated_at"])

    def _cancel(self, customer: Customer, ctx: _Order, at: datetime, reason: str | None) -> None:
        rng = self.rng
        reason = (
            reason or rng.choices(["customer", "inventory", "fraud", "other"], weights=[65, 18, 10, 7])[0]
        )
        cancelled_at = min(
            # Before now by a minute: a refund's transaction follows the cancellation by seconds.
            at + (timedelta(minutes=6) if reason == "declined" else hours(rng, 0.5, 30)),
            self.now - timedelta(minutes=1),
        )
        staff = rng.choice(STAFF)
        if reason == "customer":
            asked = at + (cancelled_at - at) / 2
            self.rows.add(
                "cancellation_requests",
                {
                    "order_id": ctx.row["id"],
                    "channel": rng.choice(["email", "chat", "email", "phone"]),
                    "message": CANCEL_MESSAGES[customer.person.locale],
                    "status": "accepted",
                    "created_at": asked,
                    "handled_by": f"shopify:{staff}",
                    "handled_at": cancelled_at,
                },
            )
        elif reason == "inventory":
            ctx.notes.append(f"Cancelled by {staff}: {ctx.lines[0].item.title} oversold, none left to ship.")
        elif reason == "fraud":
            ctx.notes.append(
                f"Cancelled by {staff}: card holder did not recognise the purchase when we called."
            )
        elif reason == "declined":
            ctx.notes.append("Payment declined by the card issuer.")
        automatic = reason != "declined" and rng.random() < 0.5
        if automatic:
            self._capture(ctx, at + timedelta(minutes=1))
            picks = [(line, line.quantity, True) for line in ctx.lines]
            self._refund(ctx, cancelled_at, picks, shipping=True, reason="order_cancelled", note=None)
        else:
            if ctx.authorization["status"] == "success":
                self._tx(ctx, "void", ctx.row["total"], cancelled_at, parent=ctx.authorization)
            for line in ctx.lines:
                line.row["restocked_quantity"] = line.quantity
                self._move(line, ctx.row["id"], line.quantity, "restocked", cancelled_at)
            ctx.voided = True
        ctx.row.update(status="cancelled", cancel_reason=reason, cancelled_at=cancelled_at)
        ctx.touch(cancelled_at)

    def _lost(self, ctx: _Order, ship_at: datetime, carrier: str) -> None:
        claim_at = ship_at + days(self.rng, 12, 20)
        if claim_at > self.now:
            return
        ctx.row["tags"].append("claim:item_not_received")
        ctx.notes.append(
            f"{claim_at:%Y-%m-%d}: customer says the parcel never arrived; {carrier} confirms it "
            "was lost in transit. Refunded in full."
        )
        self._refund(
            ctx,
            claim_at + hours(self.rng, 2, 30),
            [(line, line.quantity, False) for line in ctx.lines],
            shipping=True,
            reason="item_not_received",
            note="Lost in transit",
        )

    def _after_delivery(
        self, customer: Customer, ctx: _Order, delivered_at: datetime, carrier: str, tracking: str
    ) -> None:
        rng, now, b = self.rng, self.now, customer.behaviour
        if ctx.one_off:
            self._one_off(customer, ctx, delivered_at)
            return
        staff = rng.choice(STAFF)
        if rng.random() < b.chargeback_rate:
            at = delivered_at + days(rng, 10, 60)
            if at <= now:
                why = rng.choice(["fraudulent", "product_not_received", "unrecognized"])
                customer.act("chargeback")
                ctx.row["tags"].append("chargeback")
                ctx.notes.append(
                    f"Chargeback opened {at:%Y-%m-%d} via {ctx.gateway}: reason '{why}'. {carrier} "
                    f"shows delivery on {delivered_at:%Y-%m-%d} (tracking {tracking})."
                )
                ctx.open_claim = True
                ctx.touch(at)
            return
        if rng.random() < b.not_received_claim_rate:
            at = delivered_at + days(rng, 1, 6)
            if at > now:
                return
            where = rng.choice(
                [
                    "left in the mailbox",
                    "handed to the recipient",
                    "left at the front door",
                    "delivered to a parcel locker",
                ]
            )
            customer.act("not_received_claim")
            ctx.row["tags"].append("claim:item_not_received")
            text = (
                f"{at:%Y-%m-%d}: customer says the parcel never arrived. {carrier} tracking {tracking} shows "
                f"it delivered {delivered_at:%Y-%m-%d %H:%M} UTC ({where})."
            )
            if rng.random() < 0.6:
                ctx.notes.append(text + f" Refunded as goodwill by {staff}.")
                self._refund(
                    ctx,
                    at + hours(rng, 2, 48),
                    [(line, line.quantity, False) for line in ctx.lines],
                    shipping=True,
                    reason="item_not_received",
                    note="Customer claims non-delivery",
                )
            else:
                ctx.notes.append(text + f" Claim declined by {staff}; proof of delivery sent.")
                ctx.touch(at)
            return
        if rng.random() < b.late_claim_rate:
            at = delivered_at + days(rng, 3, 20)
            if at > now - timedelta(minutes=1):  # the refund's transaction follows it by seconds
                return
            customer.act("late_claim")
            reason, says = rng.choice(LATE_CLAIMS)
            self._refund(
                ctx,
                at,
                [(line, line.quantity, False) for line in ctx.lines],
                shipping=False,
                reason=reason,
                note=f"Customer says {says}, {(at - delivered_at).days} days after delivery. Refunded by {staff}.",
            )
            return
        if rng.random() < b.refund_without_return_rate:
            at = delivered_at + days(rng, 1, 5)
            if at > now:
                return
            customer.act("refund_without_return")
            what = rng.choice(["damaged on arrival", "missing from the parcel", "not working"])
            picks = [(line, line.quantity, False) for line in ctx.lines]
            self._refund(
                ctx,
                at,
                picks,
                shipping=False,
                reason="damaged" if "damaged" in what else "missing_item",
                note=f"Customer reported the item {what}; no photo supplied. Refunded without return.",
            )
            return
        has_apparel = any(line.item.category in ("apparel", "footwear") for line in ctx.lines)
        rate = b.return_rate if has_apparel or customer.type is not CustomerType.good else b.return_rate * 0.4
        if rng.random() >= rate:
            return
        at = delivered_at + days(rng, *b.return_after_days)
        if at > now:
            return
        self._return(customer, ctx, at, delivered_at)

    def _one_off(self, customer: Customer, ctx: _Order, delivered_at: datetime) -> None:
        """An honest customer's one-off return: one of two sizes back within a fortnight, or an
        occasion piece back in the window's last week, by the same path as an abuser's return;
        the trap is noted on the person once it has happened."""
        trap = ctx.one_off
        at = delivered_at + days(self.rng, *((5, 14) if trap == "two_sizes" else (22, 29)))
        if trap is None or at > self.now:
            return
        customer.person.traps.append(trap)
        self._return(customer, ctx, at, delivered_at, keep_one=trap == "two_sizes", worn=trap == "late_worn")

    def _return(
        self,
        customer: Customer,
        ctx: _Order,
        at: datetime,
        delivered_at: datetime,
        *,
        keep_one: bool = False,
        worn: bool = False,
    ) -> None:
        """Send goods back; ``keep_one``: of a bracketed order, keep one variant for sure;
        ``worn``: a wardrobing-looking return (late, often not fit to restock) by anyone."""
        rng, b = self.rng, customer.behaviour
        customer.act("return")
        lines = ctx.lines
        bracket = len(lines) > 1 and len({line.product_id for line in lines}) == 1
        if bracket:
            customer.act("bracketed_return")
            if len(lines) >= 3:
                customer.act("wide_bracketed_return")
            keep = rng.randrange(len(lines)) if keep_one or rng.random() < 0.8 else None
            chosen = [line for i, line in enumerate(lines) if i != keep]
            kept = lines[keep].variant if keep is not None else None
            reason = rng.choice(RETURN_REASONS["size"]) if "size" in lines[0].variant else "color"
            note = f"Kept {', '.join(kept.values())}; returned the rest." if kept else "Returned every size."
        else:
            count = max(1, round(len(lines) * b.return_share))
            chosen = rng.sample(lines, k=count)
            kind = "wardrobe" if worn or customer.behaviour.basket == "wardrobe" else "normal"
            reason = rng.choice(RETURN_REASONS[kind])
            note = None
            if kind == "wardrobe":
                day = (at - delivered_at).days
                note = rng.choice(
                    [
                        f"Returned on day {day} of 30. Tags reattached; creases and faint deodorant marks.",
                        f"Returned on day {day} of 30; smells of perfume and smoke.",
                        f"Returned on day {day} of 30 in good condition.",
                    ]
                )
        resellable = BEHAVIOUR[CustomerType.wardrober].resellable if worn else b.resellable
        picks = [(line, line.quantity, rng.random() < resellable) for line in chosen]
        self._refund(ctx, at, picks, shipping=False, reason=reason, note=note)

    def _settle(self, ctx: _Order) -> None:
        """Set the financial status and note from what happened to the money."""
        row = ctx.row
        if ctx.voided or ctx.authorization["status"] == "failure":
            row["financial_status"] = "voided"
        elif ctx.captured == 0:
            row["financial_status"] = "authorized"
        elif ctx.refunded == 0:
            row["financial_status"] = "paid"
        elif ctx.refunded >= ctx.captured:
            row["financial_status"] = "refunded"
        else:
            row["financial_status"] = "partially_refunded"
        row["note"] = "\n".join(ctx.notes) or None
        row["updated_at"] = ctx.updated_at or row["created_at"]


@dataclass
class _Order:
    """What the builder tracks about the order it is building."""

    row: dict[str, Any]
    gateway: str
    notes: list[str]
    lines: list[Line] = field(default_factory=list)
    authorization: dict[str, Any] = field(default_factory=dict)
    capture: dict[str, Any] | None = None
    captured: int = 0
    refunded: int = 0
    voided: bool = False
    open_claim: bool = False
    one_off: str | None = None  # an honest customer's one-off played on this order (types.ONE_OFF_TRAPS)
    updated_at: datetime | None = None

    def touch(self, at: datetime) -> None:
        if self.updated_at is None or at > self.updated_at:
            self.updated_at = at
