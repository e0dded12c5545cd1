"""The kinds of customer the demo store has, and how each one behaves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from storeguard.demo.people import Person


class CustomerType(StrEnum):
    good = "good"
    vip = "vip"
    wardrober = "wardrober"  # buys for an occasion, wears it, returns it
    bracketer = "bracketer"  # buys several sizes or colours of one item, returns most
    serial_returner = "serial_returner"
    low_value_refund_abuser = "low_value_refund_abuser"  # small orders refunded without sending anything back
    item_not_received_claimer = "item_not_received_claimer"
    chargeback_abuser = "chargeback_abuser"
    late_claimer = "late_claimer"  # "wrong address", "ordered twice", "site error", once the parcel is in
    abusive = "abusive"  # abusive language and threats to support
    evader = "evader"  # a new account of a customer the shop had trouble with


# Share of customers of each type; the rest are good.
MIX: dict[CustomerType, float] = {
    CustomerType.vip: 0.04,
    CustomerType.wardrober: 0.02,
    CustomerType.bracketer: 0.03,
    CustomerType.serial_returner: 0.02,
    CustomerType.low_value_refund_abuser: 0.015,
    CustomerType.item_not_received_claimer: 0.015,
    CustomerType.chargeback_abuser: 0.01,
    CustomerType.late_claimer: 0.01,
    CustomerType.abusive: 0.01,
    CustomerType.evader: 0.015,
}

# The accounts an evader comes back from.
EVADED_TYPES = (
    CustomerType.chargeback_abuser,
    CustomerType.item_not_received_claimer,
    CustomerType.low_value_refund_abuser,
    CustomerType.abusive,
    CustomerType.serial_returner,
    CustomerType.wardrober,
)


@dataclass(frozen=True)
class Behaviour:
    """How a type of customer orders and what happens after delivery."""

    orders: tuple[int, int]  # how many orders in the year, before scaling to the requested total
    basket: str  # normal, premium, bracket, small, wardrobe, electronics, multi
    return_rate: float  # chance a delivered order has goods sent back
    return_share: float  # share of the order's units sent back when it does
    return_after_days: tuple[float, float]  # from delivery to the refund
    cancel_rate: float = 0.025
    refund_without_return_rate: float = 0.0
    not_received_claim_rate: float = 0.0
    chargeback_rate: float = 0.0
    late_claim_rate: float = 0.0  # refund asked after delivery for a wrong address, duplicate, site error
    resellable: float = 0.95  # share of returned goods fit to restock


BEHAVIOUR: dict[CustomerType, Behaviour] = {
    # Now and then an honest customer really did order twice or mistype the address: once.
    CustomerType.good: Behaviour((1, 4), "normal", 0.09, 0.7, (6, 18), late_claim_rate=0.004),
    CustomerType.vip: Behaviour((8, 30), "premium", 0.05, 0.5, (5, 15), cancel_rate=0.015),
    CustomerType.wardrober: Behaviour((4, 10), "wardrobe", 0.75, 1.0, (22, 29), resellable=0.5),
    CustomerType.bracketer: Behaviour((3, 8), "bracket", 0.85, 0.75, (5, 14)),
    # "Sends most of every order back": most orders, not two in five.
    CustomerType.serial_returner: Behaviour((5, 12), "multi", 0.85, 0.8, (4, 20), cancel_rate=0.04),
    CustomerType.low_value_refund_abuser: Behaviour(
        (5, 14), "small", 0.05, 1.0, (3, 10), refund_without_return_rate=0.65, resellable=0.0
    ),
    CustomerType.item_not_received_claimer: Behaviour(
        (3, 8), "normal", 0.05, 1.0, (5, 15), not_received_claim_rate=0.5
    ),
    CustomerType.chargeback_abuser: Behaviour((2, 6), "electronics", 0.05, 1.0, (5, 15), chargeback_rate=0.5),
    CustomerType.late_claimer: Behaviour((3, 8), "normal", 0.05, 1.0, (5, 15), late_claim_rate=0.5),
    CustomerType.abusive: Behaviour((2, 6), "normal", 0.2, 0.8, (5, 20), cancel_rate=0.06),
    CustomerType.evader: Behaviour((2, 5), "normal", 0.1, 1.0, (5, 15)),
}


# The act that is each type's abuse, as the order builder plays it out. The ground truth counts
# only these: a chargeback abuser who has so far only returned a jumper has no abuse in the data.
ACT_OF_TYPE: dict[CustomerType, str] = {
    CustomerType.wardrober: "return",
    # Sizes or colours of one product bought together, the rest sent back: a bracketer who has so
    # far kept every bracketed order and only returned plain ones has not bracketed in the data.
    CustomerType.bracketer: "bracketed_return",
    CustomerType.serial_returner: "return",
    CustomerType.low_value_refund_abuser: "refund_without_return",
    CustomerType.item_not_received_claimer: "not_received_claim",
    CustomerType.chargeback_abuser: "chargeback",
    CustomerType.late_claimer: "late_claim",
}
# How many of its acts make a type knowable from the data. Good customers make the very same late
# claim now and then (``late_claim_rate`` above, by the same code path, same reasons and days): a
# late claimer with one claim so far leaves exactly what an honest customer who mistyped an
# address once leaves, so no detector can tell them apart without flagging the honest ones; two
# claims from one honest customer happen about once in ten stores of this size.
#
# Honest customers also buy two sizes of one thing once and send one back, or once send back a
# dress late and worn-looking (``ONE_OFF_TRAPS``, laid by ``traps.pick_one_offs``): a wardrober
# with one return so far leaves just that record, and so does a bracketer with one bracketed
# order of two variants (see ``Customer.knowable``). A single occurrence is not evidence of a
# habit; the second is what tells the habit from the slip.
ACTS_TO_KNOW: dict[CustomerType, int] = {
    CustomerType.late_claimer: 2,
    CustomerType.wardrober: 2,
    # Good customers place one to four orders, and now and then each comes back. In the development
    # stores (seeds 7, 11, 12 and 13), of the customers who sent most of each of most of their
    # settled orders back, 142 honest customers and 6 serial returners did so with one or two
    # orders (1 of 1, 2 of 2, 2 of 3); 7 honest customers and 221 serial returners with three or
    # more. A serial returner's habit shows from the third order sent back on (and only while most
    # settled orders came back: ``Customer.knowable``).
    CustomerType.serial_returner: 3,
}


# An honest customer who buys clothes often and sends back about a third: choosier than most, not
# an abuser. The trap for a return-ratio detector that counts returns instead of weighing them.
HEAVY_RETURNER = Behaviour((4, 10), "multi", 0.3, 0.6, (6, 20))

# What an honest customer does once in a real store, and an abuser does again and again:
# ``two_sizes``: order two sizes of one garment, keep the one that fits and send the other back
# (one bracketed order); ``late_worn``: send an occasion piece back in the last days of the
# return window, sometimes not fit to sell again (one wardrobing-looking return).
ONE_OFF_TRAPS = ("two_sizes", "late_worn")


@dataclass
class Customer:
    """A customer being generated: identity, type, behaviour, and what the order builder needs."""

    index: int
    id: int
    type: CustomerType
    behaviour: Behaviour
    person: Person
    created_at: datetime
    order_times: list[datetime] = field(default_factory=list)
    original: Customer | None = None
    disabled_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    orders_built: int = 0
    played: Counter[str] = field(default_factory=Counter)  # acts played out so far, by kind
    # An honest customer's one-off (``ONE_OFF_TRAPS``) and the order time it happens on.
    one_off: str | None = None
    one_off_at: datetime | None = None

    def act(self, kind: str) -> None:
        """Note an act played out: a chargeback, a claim, a refund without return, a return."""
        self.played[kind] += 1

    @property
    def acts(self) -> int:
        """How many times the customer's own abuse has played out (every act for a type without one)."""
        kind = ACT_OF_TYPE.get(self.type)
        return self.played[kind] if kind else sum(self.played.values())

    @property
    def knowable(self) -> bool:
        """Whether the abuse has played out enough to be told apart from what honest customers do.

        A serial returner "sends most of every order back": each order comes back by a draw, and
        one whose draws came out at half or fewer of their settled orders (3 of 6, 2 of 4) has the
        record of an honest heavy returner (``HEAVY_RETURNER``, a third back, twice as many
        people), which no detector can tell apart without flagging those honest customers. Nor
        can one with fewer than three returns (``ACTS_TO_KNOW``): one of one back, two of two or
        two of three is "most", and good customers leave those records more often than serial
        returners do.

        A bracketer whose only bracketed order so far had two variants leaves what an honest
        customer who once ordered two sizes leaves (the ``two_sizes`` one-off; sending both back
        is no stronger: neither fitted): a single bracketed order is not evidence of bracketing.
        The second bracketed order, or one of three or more variants with all but one sent back
        (which no honest one-off does), tells the habit apart. A wardrober with one late return
        leaves the ``late_worn`` one-off's record (``ACTS_TO_KNOW``).
        """
        if self.type is CustomerType.serial_returner:
            back = self.played["settled_order_returned"]
            return back >= ACTS_TO_KNOW[self.type] and 2 * back > self.played["settled_order"]
        if self.type is CustomerType.bracketer:
            return self.played["bracketed_return"] >= 2 or self.played["wide_bracketed_return"] >= 1
        if self.type is CustomerType.evader and self.original is not None:
            return self._comeback_knowable(self.original)
        return self.acts >= ACTS_TO_KNOW.get(self.type, 1)

    def _comeback_knowable(self, original: Customer) -> bool:
        """An evader who shares only the old account's address, and has not yet done what got it
        blocked, leaves what an honest housemate of a blocked customer leaves (``traps.households``
        puts one at 40 % of blocked addresses): a shared phone, device or card, or the old abuse
        played out again, is what tells the same person back."""
        if set(self.person.shared) - {"address"}:
            return True
        kind = ACT_OF_TYPE.get(original.type)
        return bool(kind and self.played[kind])
