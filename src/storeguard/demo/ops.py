"""What the shop's team has done by now: blocks it would have made, planned from the generated year.

Pure, like the generator: ``plan_blocks`` reads the customers and rows and says whom to block and
why; ``loader.py`` makes each block through ``block_customer``, as a person would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from storeguard.demo.types import Customer, CustomerType
from storeguard.lists.enums import ScopeKind

# What the team saw of each kind of customer they came to know well enough to block.
BLOCK_REASONS: dict[CustomerType, tuple[str, str]] = {
    CustomerType.chargeback_abuser: (
        "chargeback_abuse",
        "Disputed the payment for parcels the carrier shows delivered.",
    ),
    CustomerType.item_not_received_claimer: (
        "policy_exploitation",
        "Claimed parcels never arrived that the carrier shows delivered.",
    ),
    CustomerType.low_value_refund_abuser: (
        "policy_exploitation",
        "Small orders refunded as damaged or missing, with no photo and nothing sent back.",
    ),
    CustomerType.abusive: ("abusive_language", "Abusive messages to support staff."),
    CustomerType.serial_returner: ("return_abuse", "Sends most of every order back."),
    CustomerType.wardrober: (
        "return_abuse",
        "Wears what they buy for an occasion and returns it at the end of the return window.",
    ),
}
RESTRICTION_REASON = (
    "policy_exploitation",
    "Buys up the numbered limited-edition drops to resell them; welcome to buy everything else.",
)
# Tags the order builder puts on orders that went wrong after delivery.
_PROBLEM_TAGS = {"chargeback", "claim:item_not_received"}
MAX_EVIDENCE_ORDERS = 5


@dataclass(frozen=True)
class PlannedBlock:
    """One block the team made: on whom, why, with what evidence, over which items."""

    customer_id: int
    email: str
    type: CustomerType
    reason_code: str
    why: str
    order_ids: tuple[int, ...]
    notes: tuple[str, ...] = ()
    scope: dict[str, Any] = field(default_factory=lambda: {"kind": ScopeKind.everything.value})
    second_accounts: tuple[int, ...] = ()

    def evidence(self) -> dict[str, list[Any]]:
        """Return the evidence as ``block_customer`` takes it."""
        evidence: dict[str, list[Any]] = {"notes": [self.why, *self.notes]}
        if self.order_ids:
            evidence["order_ids"] = list(self.order_ids)
        return evidence

    def truth(self) -> dict[str, Any]:
        """Return the block as the ground-truth file records it."""
        return {
            "customer_id": self.customer_id,
            "email": self.email,
            "type": self.type.value,
            "scope": self.scope["kind"],
            "reason_code": self.reason_code,
            "why": self.why,
            "evidence_order_ids": list(self.order_ids),
            "second_accounts": list(self.second_accounts),
        }


def plan_blocks(
    customers: Sequence[Customer], tables: Mapping[str, list[dict[str, Any]]]
) -> list[PlannedBlock]:
    """Block every customer who came back under a second account, and restrict one drop reseller.

    The original accounts are the abusers the team knows; the restriction goes to the good or VIP
    customer who bought the most limited-edition items, so only those items are kept from them.
    """
    orders_of: dict[int, list[dict[str, Any]]] = {}
    for order in tables["orders"]:
        orders_of.setdefault(order["customer_id"], []).append(order)
    refunded = {refund["order_id"] for refund in tables["refunds"]}
    seconds: dict[int, list[int]] = {}
    for customer in customers:
        if customer.original is not None:
            seconds.setdefault(customer.original.id, []).append(customer.id)
    plans = []
    for customer in customers:
        if customer.id not in seconds:
            continue
        bad = [
            o["id"]
            for o in orders_of.get(customer.id, [])
            if o["id"] in refunded or _PROBLEM_TAGS & set(o["tags"])
        ]
        plans.append(
            _plan(
                customer,
                BLOCK_REASONS[customer.type],
                bad,
                notes=tuple(sorted(customer.notes)),
                second_accounts=tuple(sorted(seconds[customer.id])),
            )
        )
    reseller = _limited_edition_reseller(customers, tables, orders_of)
    if reseller is not None:
        plans.append(reseller)
    return sorted(plans, key=lambda p: p.customer_id)


def _limited_edition_reseller(
    customers: Sequence[Customer],
    tables: Mapping[str, list[dict[str, Any]]],
    orders_of: Mapping[int, list[dict[str, Any]]],
) -> PlannedBlock | None:
    limited = {p["id"] for p in tables["products"] if p["limited_edition"]}
    units: dict[int, int] = {}  # order id -> limited-edition units in it
    for line in tables["line_items"]:
        if line["product_id"] in limited:
            units[line["order_id"]] = units.get(line["order_id"], 0) + line["quantity"]
    best: tuple[int, int, Customer, list[int]] | None = None
    for customer in customers:
        if customer.type not in (CustomerType.good, CustomerType.vip):
            continue
        drops = [o["id"] for o in orders_of.get(customer.id, []) if o["id"] in units]
        bought = sum(units[i] for i in drops)
        if drops and (best is None or (bought, -customer.id) > (best[0], best[1])):
            best = (bought, -customer.id, customer, drops)
    if best is None:
        return None
    _, _, customer, drops = best
    return _plan(customer, RESTRICTION_REASON, drops, scope={"kind": ScopeKind.limited_edition.value})


def _plan(customer: Customer, reason: tuple[str, str], order_ids: Sequence[int], **more: Any) -> PlannedBlock:
    """Plan a block of ``customer`` for ``reason`` (code, why) on their latest of ``order_ids``."""
    return PlannedBlock(
        customer_id=customer.id,
        email=customer.person.email,
        type=customer.type,
        reason_code=reason[0],
        why=reason[1],
        order_ids=tuple(order_ids[-MAX_EVIDENCE_ORDERS:]),
        **more,
    )
