"""The only code that changes returns: request, authorize or decline, receive, inspect, refund or
reject, photos and the shop's return policy. Each locks, checks, changes, audits and flushes; the
entry point commits. The money moves through the orders refund action, so the ledger stays whole.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import Conflict, Invalid, NotFound, parse_choice
from storeguard.core.events import publish
from storeguard.orders.enums import FulfillmentState
from storeguard.orders.locking import lock_order, queue_customer_mail, require_email
from storeguard.orders.models import Order
from storeguard.orders.payments import RefundLineSpec, refund_order
from storeguard.orders.policy import line_refund_amount
from storeguard.returns import policy
from storeguard.returns.enums import Condition, ReturnError, ReturnReason, ReturnStatus
from storeguard.returns.models import Return, ReturnLine, ReturnPhoto, ReturnPolicy
from storeguard.returns.service import photos_dir, return_policy, units_in_returns
from storeguard.risk.service import segment_of
from storeguard.shops.models import Product

SUBJECT = "return"
MAX_PIXELS = 40_000_000  # a larger image is a decompression bomb, not a photo of a parcel
STORED_EDGE = 2400  # photos are kept at most this many pixels on their longer side


@dataclass(frozen=True, slots=True)
class LineAsked:
    """Units of one order line the customer wants to return."""

    line_item_id: int
    quantity: int
    reason: ReturnReason | str | None = None


def request_return(
    session: Session,
    *,
    order_id: int,
    reason: ReturnReason | str,
    lines: Sequence[LineAsked],
    actor: Actor,
    note: str | None = None,
    late: bool = False,
    platform_id: str | None = None,
    at: datetime | None = None,
    mirrored: bool = False,
) -> Return:
    """Open a return for shipped units of an order, within the shop's return window.

    ``mirrored`` records a return the platform (``platform_id``) has already taken: the window is
    the merchant's to apply there, so it is not applied again; the audit says whether it was past.
    """
    at = at or now()
    reason = _reason(reason)
    if not lines:
        raise Invalid(ReturnError.no_lines, "a return needs at least one line", field="lines")
    order = lock_order(session, order_id)
    if not any(line.fulfilled_quantity for line in order.line_items):
        raise Conflict(
            ReturnError.order_not_fulfilled,
            f"order {order.number} has not been shipped: cancel or refund it instead of a return",
        )
    rules, _ = return_policy(session, order.shop_id)
    by_id = {line.id: line for line in order.line_items}
    in_returns = units_in_returns(session, order.id)
    asked = Counter[int]()
    for spec in lines:
        asked[spec.line_item_id] += spec.quantity
    categories = _categories(session, [by_id[i].product_id for i in asked if i in by_id])
    delivered = _delivered_at(order)
    past_window = False
    for line_id, quantity in asked.items():
        line = by_id.get(line_id)
        if line is None:
            raise Invalid(
                ReturnError.line_not_in_order,
                f"line {line_id} is not a line of order {order.number}",
                field="lines",
            )
        may = policy.returnable_quantity(
            quantity=line.quantity,
            fulfilled=line.fulfilled_quantity,
            refunded=line.refunded_quantity,
            in_returns=in_returns.get(line_id, 0),
        )
        if quantity > may:
            raise Conflict(
                ReturnError.quantity_exceeds_returnable,
                f"line {line_id} ({line.title}) has {may} unit(s) that may be returned; {quantity} asked",
                field="lines",
            )
        days = policy.window_days(rules, [categories.get(line.product_id, "")])
        started = delivered.get(line_id)
        late_ok = late and rules["late_returns_allowed"]
        closed_before = started is not None and policy.window_closed(started, days, at)
        past_window = past_window or closed_before
        if started is not None and closed_before and not late_ok and not mirrored:
            closed = policy.window_end(started, days).date().isoformat()
            raise Conflict(
                ReturnError.outside_return_window,
                f"the {days}-day return window for {line.title} closed on {closed}",
                field="lines",
            )
    rma = Return(
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=order.customer_id,
        platform_id=platform_id,
        status=ReturnStatus.requested,
        reason=reason,
        customer_note=(note or "").strip() or None,
        currency=order.currency,
        requested_at=at,
        lines=[
            ReturnLine(line_item_id=s.line_item_id, quantity=s.quantity, reason=_reason(s.reason or reason))
            for s in lines
        ],
    )
    session.add(rma)
    session.flush()
    facts = _facts(rma) | {"late": late}
    if mirrored:
        facts |= {"mirrored": True, "past_window": past_window}
    _record(session, rma, actor, "return.requested", after=facts)
    return rma


def authorize_return(
    session: Session, *, return_id: int, actor: Actor, note: str | None = None, notify_customer: bool = False
) -> Return:
    """Let the customer send the goods back; with ``notify_customer`` they are told by mail (the note as instructions)."""
    rma = _step(session, return_id, "authorize")
    order = session.get(Order, rma.order_id)
    assert order is not None  # a return's order is never deleted
    require_email(order, notify_customer)
    before = rma.status
    rma.status, rma.authorized_at = ReturnStatus.authorized, now()
    rma.decision_note = (note or "").strip() or rma.decision_note
    done = _done(session, rma, actor, "return.authorized", before)
    if notify_customer:
        queue_customer_mail(
            session,
            order,
            template="return_authorized",
            context={"return_reference": f"R-{rma.id}", "instructions": rma.decision_note or ""},
            dedupe_key=f"return_authorized:{rma.id}",
        )
    return done


def decline_return(session: Session, *, return_id: int, actor: Actor, reason: str) -> Return:
    """Refuse a return request, saying why (the customer is told)."""
    why = _required(reason)
    rma = _step(session, return_id, "decline")
    before = rma.status
    rma.status, rma.decision_note, rma.closed_at = ReturnStatus.declined, why, now()
    return _done(session, rma, actor, "return.declined", before, reason=why)


def receive_return(session: Session, *, return_id: int, actor: Actor) -> Return:
    """Record that the goods arrived back."""
    rma = _step(session, return_id, "receive")
    before = rma.status
    rma.status, rma.received_at = ReturnStatus.received, now()
    return _done(session, rma, actor, "return.received", before)


def inspect_return(
    session: Session,
    *,
    return_id: int,
    actor: Actor,
    conditions: Mapping[int, Condition | str],
    note: str | None = None,
) -> Return:
    """Record the condition of every returned line; it sets the fee kept and whether it is restocked."""
    rma = _step(session, return_id, "inspect")
    rules, _ = return_policy(session, rma.shop_id)
    found = {line.id for line in rma.lines}
    unknown = sorted(set(conditions) - found)
    if unknown:
        raise Invalid(
            ReturnError.condition_missing,
            f"line {unknown[0]} is not a line of return {rma.id}",
            field="lines",
        )
    missing = sorted(found - set(conditions))
    if missing:
        raise Invalid(
            ReturnError.condition_missing,
            f"say the condition of every line; line {missing[0]} has none",
            field="lines",
        )
    order = lock_order(session, rma.order_id)
    items = {line.id: line for line in order.line_items}
    before = rma.status
    for line in rma.lines:
        condition = _condition(conditions[line.id])
        value = line_refund_amount(items[line.line_item_id], line.quantity)
        line.condition = condition
        line.fee = policy.line_fee(value, condition, rules)
        line.restock = policy.restocks(condition, rules)
    rma.fee = sum(line.fee for line in rma.lines)
    rma.status, rma.inspected_at = ReturnStatus.inspected, now()
    rma.inspection_note = (note or "").strip() or None
    return _done(session, rma, actor, "return.inspected", before)


def refund_return(
    session: Session, *, return_id: int, actor: Actor, shipping: int = 0, notify_customer: bool = False
) -> Return:
    """Refund a return through the order: the lines' value less the fees kept, restocking what may go back.

    Before inspection only when the policy lets the customer's segment; then nothing is restocked
    (nobody has seen the goods) and no fee is kept.
    """
    rma = _lock(session, return_id)
    if rma.status in policy.EARLY_REFUND_FROM:
        rules, _ = return_policy(session, rma.shop_id)
        segment = segment_of(session, rma.customer_id)
        if policy.refund_needs_inspection(rules, segment):
            raise Conflict(
                ReturnError.inspection_required,
                f"return {rma.id} must be inspected before it is refunded ({segment} customers are not refunded"
                " before inspection under this shop's policy)",
            )
    elif not policy.step_allowed("refund", rma.status):
        raise _wrong_state(rma, "refund")
    paid = [line for line in rma.lines if line.condition is None or line.fee < _value(session, rma, line)]
    kept = sum(line.fee for line in paid)
    before = rma.status
    refund = refund_order(
        session,
        order_id=rma.order_id,
        actor=actor,
        lines=[RefundLineSpec(line.line_item_id, line.quantity, line.restock) for line in paid],
        shipping=shipping,
        kept=kept,
        reason="return",
        note=f"Return #{rma.id}",
        notify_customer=notify_customer,
        returned=True,  # the goods came back, restocked or not: they count as returned items
    )
    whole = kept == 0 and len(paid) == len(rma.lines)
    rma.status = ReturnStatus.refunded if whole else ReturnStatus.partly_refunded
    rma.refund_id, rma.refunded, rma.closed_at = refund.id, refund.amount, now()
    return _done(
        session, rma, actor, "return.refunded", before, data={"refund_id": refund.id, "amount": refund.amount}
    )


def reject_return(session: Session, *, return_id: int, actor: Actor, reason: str) -> Return:
    """Refuse a received return after looking at it (not the item sent, outside policy); no money moves."""
    why = _required(reason)
    rma = _step(session, return_id, "reject")
    before = rma.status
    rma.status, rma.decision_note, rma.closed_at = ReturnStatus.rejected, why, now()
    return _done(session, rma, actor, "return.rejected", before, reason=why)


def add_return_photo(session: Session, *, return_id: int, data: bytes, actor: Actor) -> ReturnPhoto:
    """Keep a photo of the returned goods: checked to be an image by its bytes, re-encoded without metadata."""
    limit = get_settings().return_photo_max_bytes
    if len(data) > limit:
        raise Invalid(
            ReturnError.photo_too_large,
            f"a photo may be {limit // (1 << 20)} MB at most; this is {len(data):,} bytes",
            field="photo",
        )
    rma = _lock(session, return_id)
    clean, kind, size = _clean_image(data)
    digest = hashlib.sha256(clean).hexdigest()
    relative = f"{rma.id}/{digest}.{kind}"
    target = photos_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(clean)
    photo = ReturnPhoto(
        return_id=rma.id,
        path=relative,
        content_type=f"image/{kind}",
        width=size[0],
        height=size[1],
        size=len(clean),
        sha256=digest,
        uploaded_by=str(actor),
    )
    rma.photos.append(photo)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="return.photo_added",
        subject_type=SUBJECT,
        subject_id=rma.id,
        data={"photo_id": photo.id, "sha256": digest, "bytes": len(clean)},
    )
    return photo


def update_return_policy(
    session: Session, *, shop_id: int, actor: Actor, changes: Mapping[str, Any]
) -> ReturnPolicy:
    """Change parts of a shop's return policy (windows, fees by condition, early refunds)."""
    row = session.scalar(
        select(ReturnPolicy).where(ReturnPolicy.shop_id == shop_id).with_for_update(key_share=True)
    )
    current = dict(row.data) if row else {}
    merged = policy.validate_policy_change(current, changes)
    before = {"revision": row.revision if row else 0, "data": current}
    if row is None:
        row = ReturnPolicy(shop_id=shop_id, revision=1, data=merged, updated_by=str(actor))
        session.add(row)
    else:
        row.data, row.revision, row.updated_by = merged, row.revision + 1, str(actor)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="return_policy.updated",
        subject_type="shop",
        subject_id=shop_id,
        before=before,
        after={"revision": row.revision, "data": merged},
    )
    return row


# ---- helpers ----------------------------------------------------------------------------------


def _lock(session: Session, return_id: int) -> Return:
    rma = session.scalar(
        select(Return)
        .where(Return.id == return_id)
        .options(selectinload(Return.lines), selectinload(Return.photos))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if rma is None:
        raise NotFound(ReturnError.return_not_found, f"no return {return_id}")
    return rma


def _step(session: Session, return_id: int, step: str) -> Return:
    rma = _lock(session, return_id)
    if not policy.step_allowed(step, rma.status):
        raise _wrong_state(rma, step)
    return rma


def _wrong_state(rma: Return, step: str) -> Conflict:
    allowed = ", ".join(sorted(policy.STEPS[step]))
    return Conflict(
        ReturnError.wrong_state,
        f"return {rma.id} is {rma.status}; it can be {step}d only when {allowed}",
        field="status",
    )


def _done(
    session: Session,
    rma: Return,
    actor: Actor,
    action: str,
    before: ReturnStatus | str,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> Return:
    session.flush()
    _record(
        session,
        rma,
        actor,
        action,
        before={"status": str(before)},
        after={"status": str(rma.status)},
        reason=reason,
        data=data,
    )
    return rma


def _record(
    session: Session,
    rma: Return,
    actor: Actor,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        subject_type=SUBJECT,
        subject_id=rma.id,
        before=before,
        after=after,
        reason=reason,
        data={"order_id": rma.order_id, **(data or {})},
    )
    # Platforms hear of it through the outbox (Shopify's return, a mail to the customer).
    publish(
        session,
        action,
        shop_id=rma.shop_id,
        subject_type=SUBJECT,
        subject_id=rma.id,
        data={
            "order_id": rma.order_id,
            "platform_id": rma.platform_id,
            "status": str(rma.status),
            "reason": reason,
        },
        key=str(rma.status),
    )


def _facts(rma: Return) -> dict[str, Any]:
    return {
        "status": str(rma.status),
        "reason": str(rma.reason),
        "lines": [{"line_item_id": line.line_item_id, "quantity": line.quantity} for line in rma.lines],
    }


def _delivered_at(order: Order) -> dict[int, datetime]:
    """When each line reached the customer: its latest delivery, or its latest shipment if none is known."""
    started: dict[int, datetime] = {}
    for fulfillment in order.fulfillments:
        if fulfillment.state == FulfillmentState.cancelled:
            continue
        moment = fulfillment.delivered_at or fulfillment.created_at
        for line in fulfillment.lines:
            if line.line_item_id not in started or moment > started[line.line_item_id]:
                started[line.line_item_id] = moment
    return started


def _categories(session: Session, product_ids: list[int | None]) -> dict[int | None, str]:
    ids = [i for i in product_ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(Product.id, Product.category).where(Product.id.in_(ids))).all())


def _value(session: Session, rma: Return, line: ReturnLine) -> int:
    order = session.get(Order, rma.order_id)
    assert order is not None  # a return's order is never deleted
    item = next(i for i in order.line_items if i.id == line.line_item_id)
    return line_refund_amount(item, line.quantity)


def _clean_image(data: bytes) -> tuple[bytes, str, tuple[int, int]]:
    """The image re-encoded from its pixels alone (no EXIF, no GPS), turned upright, at most STORED_EDGE."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = (probe.format or "").lower()
            width, height = probe.size
            if kind not in ("jpeg", "png", "webp", "gif") or width * height > MAX_PIXELS:
                raise Invalid(
                    ReturnError.photo_not_an_image, "a photo is a JPEG, PNG, WebP or GIF image", field="photo"
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((STORED_EDGE, STORED_EDGE))
            keeps_alpha = upright.mode in ("RGBA", "LA", "P") and kind != "jpeg"
            out = io.BytesIO()
            if keeps_alpha:
                upright.save(out, format="PNG", optimize=True)
                return out.getvalue(), "png", upright.size
            upright.convert("RGB").save(out, format="JPEG", quality=85)
            return out.getvalue(), "jpeg", upright.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Invalid(ReturnError.photo_not_an_image, "the file is not an image", field="photo") from None


def _reason(value: ReturnReason | str) -> ReturnReason:
    return parse_choice(
        ReturnReason, value, code=ReturnError.invalid_reason, field="reason", what="a return reason"
    )


def _condition(value: Condition | str) -> Condition:
    return parse_choice(
        Condition, value, code=ReturnError.invalid_condition, field="lines", what="a condition"
    )


def _required(reason: str | None) -> str:
    why = (reason or "").strip()
    if not why:
        raise Invalid(ReturnError.reason_required, "say why; the customer is told", field="reason")
    return why
