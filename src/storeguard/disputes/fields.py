"""The gateways' own evidence fields from a pack, and their limits checked before anything is sent.

Pure: a pack in, a field map out. Stripe and Shopify take the map through their APIs; Square and
PayPal's maps are for the merchant to enter by hand where their APIs are not wired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storeguard.disputes.enums import DisputeReason, EvidenceItem
from storeguard.disputes.evidence import EvidencePack, PriorOrder

# Where the sender puts the id of the uploaded evidence-pack PDF (Stripe: a File, purpose dispute_evidence).
PACK_FILE = "{evidence_pack_pdf}"


@dataclass(frozen=True, slots=True)
class Limit:
    """A gateway's limit, named as its documentation names it."""

    gateway: str
    per_field: int | None  # characters in one text field
    total: int | None  # characters across every text field
    files_bytes: int | None  # bytes across every file sent
    note: str


LIMITS = {
    "stripe": Limit(
        "stripe",
        20_000,
        150_000,
        4_500_000,
        "Stripe: a text field up to 20,000 characters, all fields together up to 150,000, files together up to 4.5 MB",
    ),
    "shopify_payments": Limit(
        "shopify_payments", None, None, 4_500_000, "Shopify Payments: files together up to 4.5 MB"
    ),
    "square": Limit("square", 500, None, None, "Square: each evidence text up to 500 characters"),
    "paypal": Limit("paypal", 2_000, None, None, "PayPal: the evidence note up to 2,000 characters"),
}


def _use(pack: EvidencePack, item: EvidenceItem) -> bool:
    return item.value not in pack.excluded


def _policy_text(pack: EvidencePack, *kinds: str) -> str | None:
    if not _use(pack, EvidenceItem.policies):
        return None
    texts = [
        f"{p['title']} (version {p['version']}, in effect from {p['effective_from'][:10]})\n{p['body']}"
        for p in pack.policies
        if p["kind"] in kinds
    ]
    return "\n\n".join(texts) or None


def _products(pack: EvidencePack) -> str | None:
    return (
        "\n".join(
            f"{li['quantity']} × {li['title']} ({li['sku']}) at {li['unit_price']}" for li in pack.lines
        )
        or None
    )


def _shipped(pack: EvidencePack) -> dict[str, Any] | None:
    if not _use(pack, EvidenceItem.fulfilment) or not pack.fulfilments:
        return None
    return next((f for f in pack.fulfilments if f["delivered_at"]), pack.fulfilments[0])


def summary_text(pack: EvidencePack) -> str:
    """The letter and what no field of its own holds: prior orders, the communication log, extra text."""
    parts = [pack.letter] if _use(pack, EvidenceItem.letter) else []
    if pack.extra_text:
        parts.append(pack.extra_text)
    if pack.compelling and _use(pack, EvidenceItem.compelling_evidence_3):
        parts.append(
            "Visa Compelling Evidence 3.0 – prior undisputed orders:\n"
            + "\n".join(_prior_line(p) for p in pack.compelling)
        )
    elif pack.prior_orders and _use(pack, EvidenceItem.prior_orders):
        undisputed = [p for p in pack.prior_orders if not p.disputed and p.shared][:10]
        if undisputed:
            parts.append("Earlier undisputed orders:\n" + "\n".join(_prior_line(p) for p in undisputed))
    return "\n\n".join(parts)


def _prior_line(p: PriorOrder) -> str:
    return f"{p.number} {p.placed_at:%Y-%m-%d} {p.total}, shares: {', '.join(p.shared)}"


def communication_text(pack: EvidencePack) -> str | None:
    """The communication log as text, oldest first."""
    if not _use(pack, EvidenceItem.communication) or not pack.communication:
        return None
    return "\n\n".join(
        f"{m['at'][:16].replace('T', ' ')} {m['source']}: {m['text']}" for m in pack.communication
    )


def _stripe_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not address:
        return None
    return {
        "line1": address.get("address1"),
        "line2": address.get("address2"),
        "city": address.get("city"),
        "postal_code": address.get("zip"),
        "state": address.get("province_code") or address.get("province"),
        "country": address.get("country_code"),
    }


def stripe_evidence(pack: EvidencePack) -> dict[str, Any]:
    """Stripe's dispute ``evidence`` object; the pack PDF goes in as ``uncategorized_file`` once uploaded."""
    customer = pack.customer if _use(pack, EvidenceItem.customer) else {}
    purchase = pack.purchase if _use(pack, EvidenceItem.purchase_device) else {}
    shipped = _shipped(pack)
    fields: dict[str, Any] = {
        "customer_name": customer.get("name"),
        "customer_email_address": customer.get("email"),
        "billing_address": customer.get("billing_address"),
        "shipping_address": customer.get("shipping_address"),
        "customer_purchase_ip": purchase.get("ip"),
        "product_description": _products(pack) if _use(pack, EvidenceItem.order) else None,
        "shipping_carrier": shipped["carrier"] if shipped else None,
        "shipping_tracking_number": shipped["tracking_number"] if shipped else None,
        "shipping_date": shipped["shipped_at"][:10] if shipped else None,
        "refund_policy_disclosure": _policy_text(pack, "refund", "return"),
        "cancellation_policy_disclosure": _policy_text(pack, "cancellation"),
        "refund_refusal_explanation": pack.letter
        if pack.reason is DisputeReason.credit_not_processed
        else None,
        "cancellation_rebuttal": pack.letter if pack.reason is DisputeReason.subscription else None,
        "duplicate_charge_explanation": pack.letter if pack.reason is DisputeReason.duplicate else None,
        "uncategorized_text": summary_text(pack) or None,
        "uncategorized_file": PACK_FILE,
    }
    if pack.compelling and _use(pack, EvidenceItem.compelling_evidence_3):
        fields["enhanced_evidence"] = {"visa_compelling_evidence_3": _stripe_ce3(pack)}
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _stripe_ce3(pack: EvidencePack) -> dict[str, Any]:
    disputed = {
        "customer_account_id": str(pack.customer.get("account") or "") or None,
        "customer_device_id": pack.purchase.get("device"),
        "customer_email_address": pack.customer.get("email"),
        "customer_purchase_ip": pack.purchase.get("ip"),
        "merchandise_or_services": "merchandise",
        "product_description": _products(pack),
        "shipping_address": _stripe_address(pack.customer.get("shipping_address_fields")),
    }
    priors = [
        {
            "charge": p.charge,
            "customer_device_id": p.device,
            "customer_email_address": p.email,
            "customer_purchase_ip": p.ip,
            "shipping_address": _stripe_address(p.shipping_address),
        }
        for p in pack.compelling
    ]
    return {
        "disputed_transaction": _clean(disputed),
        "prior_undisputed_transactions": [_clean(p) for p in priors],
    }


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (_clean(v) if isinstance(v, dict) else v) for k, v in d.items() if v not in (None, "", {})}


def shopify_evidence(pack: EvidencePack) -> dict[str, Any]:
    """Shopify's ``ShopifyPaymentsDisputeEvidenceUpdateInput`` for ``disputeEvidenceUpdate``."""
    customer = pack.customer if _use(pack, EvidenceItem.customer) else {}
    first, _, last = (customer.get("name") or "").partition(" ")
    address = customer.get("shipping_address_fields") or {}
    fields: dict[str, Any] = {
        "customerEmailAddress": customer.get("email"),
        "customerFirstName": first or None,
        "customerLastName": last or None,
        "shippingAddress": _clean(
            {
                "address1": address.get("address1"),
                "address2": address.get("address2"),
                "city": address.get("city"),
                "zip": address.get("zip"),
                "countryCode": address.get("country_code"),
                "provinceCode": address.get("province_code"),
            }
        )
        or None,
        "refundPolicyDisclosure": _policy_text(pack, "refund", "return"),
        "cancellationPolicyDisclosure": _policy_text(pack, "cancellation"),
        "refundRefusalExplanation": pack.letter
        if pack.reason is DisputeReason.credit_not_processed
        else None,
        "cancellationRebuttal": pack.letter if pack.reason is DisputeReason.subscription else None,
        "uncategorizedText": "\n\n".join(t for t in (summary_text(pack), communication_text(pack)) if t)
        or None,
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def square_evidence(pack: EvidencePack) -> list[dict[str, Any]]:
    """Square's evidence texts (``CreateDisputeEvidenceText``), one per type, to enter by hand."""
    shipped = _shipped(pack)
    texts = [
        ("REBUTTAL_EXPLANATION", pack.letter if _use(pack, EvidenceItem.letter) else None),
        (
            "TRACKING_NUMBER",
            f"{shipped['carrier'] or ''} {shipped['tracking_number'] or ''}".strip() if shipped else None,
        ),
        (
            "CARDHOLDER_INFORMATION",
            ", ".join(
                v
                for v in (pack.customer.get("name"), pack.customer.get("email"), pack.purchase.get("ip"))
                if v
            )
            or None,
        ),
        ("CANCELLATION_OR_REFUND_DOCUMENTATION", _policy_text(pack, "refund", "return", "cancellation")),
        ("CARDHOLDER_COMMUNICATION", communication_text(pack)),
    ]
    return [{"evidence_type": t, "evidence_text": v} for t, v in texts if v]


def paypal_evidence(pack: EvidencePack) -> dict[str, Any]:
    """PayPal's ``provide-evidence`` body: tracking, and the letter as the note."""
    shipped = _shipped(pack)
    evidence: dict[str, Any] = {"notes": pack.letter}
    if shipped and shipped["tracking_number"]:
        evidence["evidence_type"] = "PROOF_OF_FULFILLMENT"
        evidence["evidence_info"] = {
            "tracking_info": [
                {"carrier_name": shipped["carrier"], "tracking_number": shipped["tracking_number"]}
            ]
        }
    else:
        evidence["evidence_type"] = "OTHER"
    return {"evidences": [evidence]}


def field_map(pack: EvidencePack) -> dict[str, Any]:
    """The pack as the dispute's own gateway takes it."""
    match pack.gateway:
        case "stripe":
            return stripe_evidence(pack)
        case "shopify_payments":
            return shopify_evidence(pack)
        case "square":
            return {"evidence": square_evidence(pack)}
        case "paypal":
            return paypal_evidence(pack)
        case _:
            return stripe_evidence(pack)  # a dispute entered by hand: Stripe's names are the most complete


def over_limits(gateway: str, fields: dict[str, Any], files_bytes: int) -> list[str]:
    """Every way a field map breaks its gateway's limits, each naming the field and the limit."""
    limit = LIMITS.get(gateway)
    if limit is None:
        return []
    texts = list(_texts(fields, ""))
    found = [
        f"{name} has {len(text):,} characters; {limit.note}"
        for name, text in texts
        if limit.per_field is not None and len(text) > limit.per_field
    ]
    total = sum(len(t) for _, t in texts)
    if limit.total is not None and total > limit.total:
        found.append(f"the fields have {total:,} characters together; {limit.note}")
    if limit.files_bytes is not None and files_bytes > limit.files_bytes:
        found.append(f"the files have {files_bytes:,} bytes together; {limit.note}")
    return found


def _texts(value: Any, path: str) -> Any:
    if isinstance(value, str):
        if value != PACK_FILE:
            yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _texts(v, f"{path}[{i}]")
