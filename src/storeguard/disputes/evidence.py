"""The evidence pack: everything storeguard holds about a disputed order, gathered for the answer.

Reading only; the merchant's edits (letter, language, left-out items, extra text) live on the
dispute and are applied here, so the preview, the PDF and the gateway fields say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storeguard.core.models import OutboxMessage
from storeguard.core.money import to_decimal_str
from storeguard.customers.links import cluster_of
from storeguard.customers.models import Customer
from storeguard.disputes import policy
from storeguard.disputes.enums import DisputeReason, EvidenceItem
from storeguard.disputes.letters import LANGUAGES, builtin_template, letter_language, render_letter
from storeguard.disputes.models import Dispute, DisputeFile, DisputeLetterTemplate
from storeguard.orders.enums import TransactionKind
from storeguard.orders.models import Fulfillment, Order
from storeguard.policies.models import PolicyVersion
from storeguard.policies.service import policies_in_effect
from storeguard.shops.models import Shop

PRIOR_ORDERS_SHOWN = 100
MESSAGES_SHOWN = 500

# (session, customer, email) -> entries of the communication log ({"at", "source", "author", "text"},
# with "outbox_message_id" when the entry is a mail that was queued): support cases add theirs.
CommunicationSource = Callable[[Session, Customer | None, str | None], list[dict[str, Any]]]
_COMMUNICATION_SOURCES: dict[str, CommunicationSource] = {}


def add_communication_source(name: str, source: CommunicationSource) -> None:
    """Register a domain's messages with the customer for the pack's communication log (by name: replaced)."""
    _COMMUNICATION_SOURCES[name] = source


@dataclass(slots=True)
class PriorOrder:
    """An earlier order by the same customer or a linked one, and what it shares with the disputed one."""

    order_id: int
    number: str
    placed_at: datetime
    total: str
    disputed: bool
    shared: list[str]
    charge: str | None
    ip: str | None = None
    device: str | None = None
    email: str | None = None
    shipping_address: dict[str, Any] | None = None
    compelling: bool = False


@dataclass(slots=True)
class EvidencePack:
    """What the answer to one dispute says, section by section, after the merchant's edits."""

    dispute_id: int
    gateway: str
    reason: DisputeReason
    amount: str
    language: str
    letter: str
    letter_edited: bool
    merchant: str
    order: dict[str, Any] | None
    lines: list[dict[str, Any]]
    customer: dict[str, Any]
    purchase: dict[str, Any]
    fulfilments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    communication: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    prior_orders: list[PriorOrder]
    compelling: list[PriorOrder]
    files: list[dict[str, Any]]
    extra_text: str | None
    excluded: list[str] = field(default_factory=list)

    def present(self, *, with_excluded: bool = False) -> list[EvidenceItem]:
        """The items this pack holds, in index order (those left out only when asked)."""
        held = {
            EvidenceItem.letter: bool(self.letter),
            EvidenceItem.order: self.order is not None,
            EvidenceItem.customer: bool(self.customer.get("email") or self.customer.get("name")),
            EvidenceItem.purchase_device: bool(self.purchase.get("ip") or self.purchase.get("device")),
            EvidenceItem.fulfilment: bool(self.fulfilments),
            EvidenceItem.proof_of_delivery: any(f["delivered_at"] for f in self.fulfilments),
            EvidenceItem.refunds: bool(self.refunds),
            EvidenceItem.communication: bool(self.communication),
            EvidenceItem.policies: bool(self.policies),
            EvidenceItem.prior_orders: bool(self.prior_orders),
            EvidenceItem.compelling_evidence_3: bool(self.compelling),
            EvidenceItem.files: bool(self.files),
        }
        return [
            item for item, yes in held.items() if yes and (with_excluded or item.value not in self.excluded)
        ]


def build_evidence_pack(session: Session, dispute: Dispute) -> EvidencePack:
    """Gather the pack for a dispute from the order, the customer, their links and the records."""
    edits = dispute.evidence or {}
    order = _order(session, dispute.order_id)
    customer = session.get(Customer, order.customer_id) if order and order.customer_id else None
    shop = session.get(Shop, dispute.shop_id) if dispute.shop_id else None
    reason = policy.normalized_reason(dispute.reason)
    money = _money(dispute.currency)
    priors = _prior_orders(session, order, money) if order is not None else []
    compelling = _compelling(dispute, priors)
    policies = (
        policies_in_effect(session, shop_id=order.shop_id, at=order.created_at) if order is not None else []
    )
    language = edits.get("language") or letter_language(customer.locale if customer else None)
    pack = EvidencePack(
        dispute_id=dispute.id,
        gateway=str(dispute.gateway),
        reason=reason,
        amount=money(dispute.amount),
        language=language,
        letter="",
        letter_edited=bool(edits.get("letter")),
        merchant=shop.name if shop else "",
        order=_order_facts(order, money) if order else None,
        lines=[
            {
                "sku": li.sku,
                "title": li.title,
                "quantity": li.quantity,
                "unit_price": money(li.unit_price),
                "refunded_quantity": li.refunded_quantity,
            }
            for li in (order.line_items if order else [])
        ],
        customer=_customer_facts(order, customer),
        purchase={
            "ip": order.browser_ip if order else None,
            "device": order.device_id if order else None,
            "user_agent": order.user_agent if order else None,
            "card": f"{order.card_bin or '••••••'}…{order.card_last4}"
            if order and order.card_last4
            else None,
        },
        fulfilments=[_fulfilment_facts(f, order) for f in (order.fulfillments if order else [])],
        refunds=_refunds(order, money) if order else [],
        communication=_communication(session, dispute, order, customer),
        policies=[_policy_facts(p) for p in policies],
        prior_orders=priors,
        compelling=compelling,
        files=[
            {"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size}
            for f in session.scalars(
                select(DisputeFile).where(DisputeFile.dispute_id == dispute.id).order_by(DisputeFile.id)
            )
        ],
        extra_text=edits.get("extra_text"),
        excluded=list(edits.get("excluded") or []),
    )
    pack.letter = edits.get("letter") or render_letter(
        letter_template(session, reason, language), letter_facts(dispute, pack)
    )
    return pack


def letter_template(session: Session, reason: DisputeReason, language: str) -> str:
    """The merchant's template for a reason and language, else storeguard's own."""
    own = session.scalar(
        select(DisputeLetterTemplate.body).where(
            DisputeLetterTemplate.reason == reason.value, DisputeLetterTemplate.language == language
        )
    )
    return own or builtin_template(reason, language)


def letter_facts(dispute: Dispute, pack: EvidencePack) -> dict[str, Any]:
    """The facts a letter template may name, from the pack."""
    delivered = next((f for f in pack.fulfilments if f["delivered_at"]), None)
    shipped = delivered or (pack.fulfilments[0] if pack.fulfilments else None)
    policy_names = ", ".join(f"{p['title']} v{p['version']}" for p in pack.policies)
    compelling = ", ".join(f"{p.number} ({p.placed_at:%Y-%m-%d})" for p in pack.compelling)
    return {
        "dispute_reference": dispute.gateway_dispute_id,
        "merchant": pack.merchant,
        "amount": pack.amount,
        "order_number": pack.order["number"] if pack.order else None,
        "order_date": pack.order["placed_at"][:10] if pack.order else None,
        "customer_name": pack.customer.get("name"),
        "customer_email": pack.customer.get("email"),
        "purchase_ip": pack.purchase.get("ip"),
        "device": pack.purchase.get("device"),
        "carrier": shipped["carrier"] if shipped else None,
        "tracking_number": shipped["tracking_number"] if shipped else None,
        "delivered_on": delivered["delivered_at"][:10] if delivered else None,
        "refunds_summary": "; ".join(f"{r['amount']} {r['at'][:10]}" for r in pack.refunds) or None,
        "policy_version": policy_names or None,
        "prior_orders_summary": _PRIOR_SENTENCE[pack.language].format(orders=compelling)
        if compelling
        else "",
    }


_PRIOR_SENTENCE = {
    "en": "The same customer placed earlier orders that were never disputed, from the same device or IP address: {orders}.",
    "nb": "Samme kunde har tidligere bestillinger som aldri ble bestridt, fra samme enhet eller IP-adresse: {orders}.",
    "he": "אותו לקוח ביצע הזמנות קודמות שמעולם לא נפתחה עליהן מחלוקת, מאותו מכשיר או כתובת IP: {orders}.",
    "zh": "同一客户此前从同一设备或 IP 地址下过从未发生争议的订单：{orders}。",
}
assert set(_PRIOR_SENTENCE) == set(LANGUAGES)


def _order(session: Session, order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    return session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.line_items),
            selectinload(Order.fulfillments).selectinload(Fulfillment.lines),
            selectinload(Order.refunds),
            selectinload(Order.transactions),
        )
    )


def _money(currency: str) -> Any:
    return lambda minor: f"{to_decimal_str(minor, currency)} {currency}"


def _order_facts(order: Order, money: Any) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "placed_at": order.created_at.isoformat(),
        "total": money(order.total),
        "shipping": money(order.shipping),
        "tax": money(order.tax),
        "status": str(order.status),
        "financial_status": str(order.financial_status),
        "charge": _charge(order),
    }


def _charge(order: Order) -> str | None:
    paid = (TransactionKind.sale, TransactionKind.capture)
    return next(
        (t.gateway_reference for t in order.transactions if t.kind in paid and t.gateway_reference), None
    )


def _customer_facts(order: Order | None, customer: Customer | None) -> dict[str, Any]:
    name = f"{customer.first_name} {customer.last_name}".strip() if customer else ""
    shipping = (order.shipping_address or {}) if order else {}
    return {
        "name": name or shipping.get("name") or None,
        "email": (order.email if order else None) or (customer.email if customer else None),
        "phone": (order.phone if order else None) or (customer.phone if customer else None),
        "billing_address": _address_text(order.billing_address if order else None),
        "shipping_address": _address_text(order.shipping_address if order else None),
        "shipping_address_fields": order.shipping_address if order else None,
        "locale": customer.locale if customer else None,
        "account": customer.id if customer else None,
    }


def _address_text(address: dict[str, Any] | None) -> str | None:
    if not address:
        return None
    keys = ("name", "address1", "address2", "zip", "city", "province", "country_code")
    return ", ".join(str(address[k]) for k in keys if address.get(k)) or None


def _fulfilment_facts(f: Fulfillment, order: Order | None) -> dict[str, Any]:
    recipient = ((order.shipping_address or {}).get("name") if order else None) if f.delivered_at else None
    return {
        "carrier": f.carrier,
        "tracking_number": f.tracking_number,
        "tracking_url": f.tracking_url,
        "shipped_at": f.created_at.isoformat(),
        "delivered_at": f.delivered_at.isoformat() if f.delivered_at else None,
        "recipient": recipient,
        "state": str(f.state),
    }


def _refunds(order: Order, money: Any) -> list[dict[str, Any]]:
    made = [
        {
            "kind": "refund",
            "amount": money(r.amount),
            "at": r.created_at.isoformat(),
            "reason": r.reason or r.note,
        }
        for r in order.refunds
    ]
    if order.cancelled_at is not None:
        made.append(
            {
                "kind": "cancellation",
                "amount": None,
                "at": order.cancelled_at.isoformat(),
                "reason": order.cancel_reason,
            }
        )
    return sorted(made, key=lambda r: r["at"])


def _communication(
    session: Session, dispute: Dispute, order: Order | None, customer: Customer | None
) -> list[dict[str, Any]]:
    """The notes on record, the customer's messages in support cases and the mails sent, oldest first."""
    log = [
        {"at": n.created_at.isoformat(), "source": "dispute note", "author": n.author, "text": n.body}
        for n in dispute.notes
    ]
    if order is not None and order.note:
        log.append(
            {"at": order.created_at.isoformat(), "source": "order note", "author": "", "text": order.note}
        )
    email = (order.email if order else None) or (customer.email if customer else None)
    for source in _COMMUNICATION_SOURCES.values():
        log.extend(source(session, customer, email))
    # A case's answer is also a queued mail: shown once, as the case's message.
    logged = {e.pop("outbox_message_id") for e in log if e.get("outbox_message_id") is not None}
    log = [{k: v for k, v in e.items() if k != "outbox_message_id"} for e in log]
    if email:
        mails = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "email", OutboxMessage.payload["to"].as_string() == email)
            .order_by(OutboxMessage.id.desc())
            .limit(MESSAGES_SHOWN)
        )
        log.extend(
            {
                "at": (m.sent_at or m.created_at).isoformat(),
                "source": "mail to customer",
                "author": "",
                "text": f"{m.payload.get('subject', '')}\n{m.payload.get('text', '')}".strip(),
            }
            for m in mails
            if m.id not in logged
        )
    return sorted(log, key=lambda e: e["at"])


def _policy_facts(p: PolicyVersion) -> dict[str, Any]:
    return {
        "kind": str(p.kind),
        "title": p.title,
        "version": p.version,
        "effective_from": p.effective_from.isoformat(),
        "body": p.body,
    }


def _facts(order: Order, disputed: bool) -> policy.PurchaseFacts:
    return policy.PurchaseFacts(
        order_id=order.id,
        placed_at=order.created_at,
        ip=order.browser_ip,
        device=order.device_id,
        account=str(order.customer_id) if order.customer_id else None,
        shipping_address=policy.address_key(order.shipping_address),
        disputed=disputed,
    )


def _prior_orders(session: Session, order: Order, money: Any) -> list[PriorOrder]:
    """Earlier orders by the customer or anyone linked to them, newest first, with what they share."""
    if order.customer_id is None:
        return []
    ids = cluster_of(session, order.customer_id)
    rows = list(
        session.scalars(
            select(Order)
            .where(Order.customer_id.in_(ids), Order.id != order.id, Order.created_at < order.created_at)
            .options(selectinload(Order.transactions))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(PRIOR_ORDERS_SHOWN)
        )
    )
    disputed = set(
        session.scalars(select(Dispute.order_id).where(Dispute.order_id.in_([o.id for o in rows])))
    )
    this = _facts(order, True)
    out = []
    for o in rows:
        shared = policy.shared_elements(this, _facts(o, o.id in disputed))
        if o.email and order.email and o.email.lower() == order.email.lower():
            shared.append("email")
        if o.payment_fingerprint and o.payment_fingerprint == order.payment_fingerprint:
            shared.append("card")
        out.append(
            PriorOrder(
                order_id=o.id,
                number=o.number,
                placed_at=o.created_at,
                total=money(o.total),
                disputed=o.id in disputed,
                shared=shared,
                charge=_charge(o),
                ip=o.browser_ip,
                device=o.device_id,
                email=o.email,
                shipping_address=o.shipping_address,
            )
        )
    return out


def _compelling(dispute: Dispute, priors: list[PriorOrder]) -> list[PriorOrder]:
    """The prior orders that make Visa's Compelling Evidence 3.0 for a fraud dispute, marked on the list."""
    if policy.normalized_reason(dispute.reason) is not DisputeReason.fraud:
        return []
    chosen = policy.compelling_evidence_3(
        [(p.order_id, p.placed_at, p.disputed, p.shared) for p in priors],
        dispute.opened_at or dispute.created_at,
    )
    for p in priors:
        p.compelling = p.order_id in chosen
    return [p for p in priors if p.compelling]
