"""Returns from request to refund: each step, what it changes, and what a refusal leaves alone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from storeguard.core.clock import frozen
from storeguard.core.errors import DomainError
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.orders.models import LineItem, Refund
from storeguard.returns import actions
from storeguard.returns.actions import LineAsked
from storeguard.returns.models import Return
from storeguard.returns.service import photos_dir
from storeguard.screening.metrics import customer_metrics
from storeguard.shops.models import Product
from tests.factories import FACTORY_ACTOR, place_order
from tests.returns.conftest import SHIPPED, line_of

SOON = SHIPPED + timedelta(days=5)


def _request(session, order, *lines, reason="size", **kw):
    with frozen(kw.pop("at", SOON)):
        return actions.request_return(
            session, order_id=order.id, reason=reason, lines=list(lines), actor=FACTORY_ACTOR, **kw
        )


def _to_inspected(session, order, shirt, conditions):
    rma = _request(session, order, LineAsked(line_of(order, shirt), 2))
    actions.authorize_return(session, return_id=rma.id, actor=FACTORY_ACTOR)
    actions.receive_return(session, return_id=rma.id, actor=FACTORY_ACTOR)
    actions.inspect_return(
        session, return_id=rma.id, actor=FACTORY_ACTOR, conditions={rma.lines[0].id: conditions}
    )
    return rma


def _returns(session) -> int:
    return session.scalar(select(func.count()).select_from(Return)) or 0


def test_a_return_is_requested_for_shipped_units_with_its_reason(session, shipped, shirt):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1), note="Too small")

    assert (rma.status, rma.reason, rma.customer_note, rma.currency) == (
        "requested",
        "size",
        "Too small",
        "NOK",
    )
    assert [(x.line_item_id, x.quantity, x.reason) for x in rma.lines] == [
        (line_of(shipped, shirt), 1, "size")
    ]
    audit = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "return")).all()
    assert audit == ["return.requested"]


def test_more_units_than_were_shipped_and_not_yet_returned_are_refused(session, shipped, shirt):
    _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    with pytest.raises(DomainError) as refused:
        _request(session, shipped, LineAsked(line_of(shipped, shirt), 2))

    assert (refused.value.code, refused.value.status) == ("quantity_exceeds_returnable", 409)
    assert "1 unit(s) that may be returned; 2 asked" in refused.value.message
    assert _returns(session) == 1


def test_units_of_a_declined_return_may_be_asked_back_again(session, shipped, shirt):
    first = _request(session, shipped, LineAsked(line_of(shipped, shirt), 2))
    actions.decline_return(session, return_id=first.id, actor=FACTORY_ACTOR, reason="Worn")

    again = _request(session, shipped, LineAsked(line_of(shipped, shirt), 2))

    assert (first.status, again.status) == ("declined", "requested")


def test_an_order_not_yet_shipped_cannot_be_returned(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])

    with pytest.raises(DomainError) as refused:
        _request(session, order, LineAsked(order.line_items[0].id, 1))

    assert refused.value.code == "order_not_fulfilled"
    assert _returns(session) == 0


def test_a_return_after_the_window_is_refused_with_the_closing_date(session, shipped, shirt):
    with pytest.raises(DomainError) as refused:
        _request(session, shipped, LineAsked(line_of(shipped, shirt), 1), at=SHIPPED + timedelta(days=31))

    assert refused.value.code == "outside_return_window"
    assert refused.value.message == "the 30-day return window for Linen shirt closed on 2026-12-31"
    assert _returns(session) == 0


def test_a_return_the_platform_already_took_is_recorded_after_the_window_and_audited_as_past_it(
    session, shipped, shirt
):
    rma = _request(
        session,
        shipped,
        LineAsked(line_of(shipped, shirt), 1),
        at=SHIPPED + timedelta(days=31),
        platform_id="945000961",
        mirrored=True,
    )

    assert (rma.status, rma.platform_id) == ("requested", "945000961")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "return.requested")).one()
    assert (event.after["late"], event.after["mirrored"], event.after["past_window"]) == (False, True, True)


def test_a_mirrored_return_inside_the_window_is_audited_as_not_past_it(session, shipped, shirt):
    _request(session, shipped, LineAsked(line_of(shipped, shirt), 1), platform_id="945000961", mirrored=True)

    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "return.requested")).one()
    assert (event.after["mirrored"], event.after["past_window"]) == (True, False)


def test_a_category_has_its_own_window(session, shop, shipped, swimsuit):
    actions.update_return_policy(
        session, shop_id=shop.id, actor=FACTORY_ACTOR, changes={"category_windows": {"swimwear": 14}}
    )

    with pytest.raises(DomainError) as refused:
        _request(session, shipped, LineAsked(line_of(shipped, swimsuit), 1), at=SHIPPED + timedelta(days=15))

    assert refused.value.message == "the 14-day return window for Swimsuit closed on 2026-12-15"


def test_a_late_return_is_accepted_only_where_the_policy_allows_it(session, shop, shipped, shirt):
    late = SHIPPED + timedelta(days=40)
    with pytest.raises(DomainError):
        _request(session, shipped, LineAsked(line_of(shipped, shirt), 1), at=late, late=True)
    actions.update_return_policy(
        session, shop_id=shop.id, actor=FACTORY_ACTOR, changes={"late_returns_allowed": True}
    )

    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1), at=late, late=True)

    assert rma.status == "requested"


def test_steps_out_of_order_are_refused_and_change_nothing(session, shipped, shirt):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    with pytest.raises(DomainError) as refused:
        actions.receive_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    assert (refused.value.code, refused.value.status) == ("wrong_state", 409)
    assert (rma.status, rma.received_at) == ("requested", None)


def test_inspection_sets_each_lines_fee_and_restock_from_its_condition(session, shipped, shirt):
    rma = _to_inspected(session, shipped, shirt, "used")

    line = rma.lines[0]
    assert (rma.status, line.condition, line.fee, line.restock, rma.fee) == (
        "inspected",
        "used",
        20_000,  # 20 % of two shirts at 50,000 øre
        False,
        20_000,
    )


def test_a_refund_after_inspection_returns_the_value_less_the_fee_through_the_order(session, shipped, shirt):
    rma = _to_inspected(session, shipped, shirt, "used")

    actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    refund = session.get(Refund, rma.refund_id)
    line = session.get(LineItem, line_of(shipped, shirt))
    assert (rma.status, rma.refunded, refund.amount) == ("partly_refunded", 80_000, 80_000)
    assert (line.refunded_quantity, line.restocked_quantity) == (2, 0)


def test_goods_refunded_through_a_return_count_as_returned_even_when_too_worn_to_restock(
    session, shipped, shirt
):
    rma = _to_inspected(session, shipped, shirt, "used")

    actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    refund = session.get(Refund, rma.refund_id)
    assert [(x.quantity, x.restock, x.returned) for x in refund.lines] == [(2, False, True)]
    assert customer_metrics(session, shipped.customer_id).items_returned == 2


def test_goods_back_as_new_are_refunded_in_full_and_restocked(session, shipped, shirt):
    rma = _to_inspected(session, shipped, shirt, "new_with_tags")
    stock_before = session.get(Product, shirt.id).stock

    actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    session.refresh(shirt)
    assert (rma.status, rma.refunded) == ("refunded", 100_000)
    assert shirt.stock == stock_before + 2


def test_a_refund_before_inspection_is_refused_for_a_neutral_customer(session, shipped, shirt):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))
    actions.authorize_return(session, return_id=rma.id, actor=FACTORY_ACTOR)
    refunds_before = session.scalar(select(func.count()).select_from(Refund))

    with pytest.raises(DomainError) as refused:
        actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    assert (refused.value.code, refused.value.status) == ("inspection_required", 409)
    assert (rma.status, rma.refund_id) == ("authorized", None)
    assert session.scalar(select(func.count()).select_from(Refund)) == refunds_before


def test_a_refund_before_inspection_is_allowed_when_the_policy_names_the_customers_segment(
    session, shop, shipped, shirt
):
    actions.update_return_policy(
        session,
        shop_id=shop.id,
        actor=FACTORY_ACTOR,
        changes={"refund_before_inspection": ["neutral", "vip"]},
    )
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))
    actions.authorize_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    assert (rma.status, rma.refunded, rma.lines[0].restock) == ("refunded", 50_000, False)


def test_not_the_item_sent_refunds_nothing_for_that_line(session, shipped, shirt):
    rma = _to_inspected(session, shipped, shirt, "not_the_item_sent")

    with pytest.raises(DomainError) as refused:
        actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    assert refused.value.code == "nothing_to_refund"
    assert rma.status == "inspected"


def test_a_rejected_return_closes_without_money(session, shipped, shirt):
    rma = _to_inspected(session, shipped, shirt, "not_the_item_sent")

    actions.reject_return(
        session, return_id=rma.id, actor=FACTORY_ACTOR, reason="A different shirt came back"
    )

    assert (rma.status, rma.decision_note, rma.refund_id) == ("rejected", "A different shirt came back", None)
    assert rma.closed_at is not None


def test_declining_needs_a_reason(session, shipped, shirt):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    with pytest.raises(DomainError) as refused:
        actions.decline_return(session, return_id=rma.id, actor=FACTORY_ACTOR, reason="  ")

    assert (refused.value.code, rma.status) == ("reason_required", "requested")


def test_inspection_must_name_every_line(session, shipped, shirt, swimsuit):
    rma = _request(
        session, shipped, LineAsked(line_of(shipped, shirt), 1), LineAsked(line_of(shipped, swimsuit), 1)
    )
    actions.authorize_return(session, return_id=rma.id, actor=FACTORY_ACTOR)
    actions.receive_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    with pytest.raises(DomainError) as refused:
        actions.inspect_return(
            session, return_id=rma.id, actor=FACTORY_ACTOR, conditions={rma.lines[0].id: "used"}
        )

    assert refused.value.code == "condition_missing"
    assert (rma.status, [x.condition for x in rma.lines]) == ("received", [None, None])


def _image(kind: str = "JPEG", size=(64, 48), exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        image.save(out, format=kind, exif=data)
    else:
        image.save(out, format=kind)
    return out.getvalue()


def test_a_photo_is_stored_re_encoded_without_its_metadata(session, shipped, shirt):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    photo = actions.add_return_photo(session, return_id=rma.id, data=_image(exif=True), actor=FACTORY_ACTOR)

    stored = (photos_dir() / photo.path).read_bytes()
    with Image.open(io.BytesIO(stored)) as kept:
        assert (kept.format, kept.size, dict(kept.getexif())) == ("JPEG", (64, 48), {})
    assert (photo.content_type, photo.width, photo.height, photo.size) == ("image/jpeg", 64, 48, len(stored))


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(session, shipped, shirt):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    with pytest.raises(DomainError) as refused:
        actions.add_return_photo(session, return_id=rma.id, data=b"%PDF-1.7 not a photo", actor=FACTORY_ACTOR)

    assert refused.value.code == "photo_not_an_image"
    assert rma.photos == []


def test_a_photo_over_the_size_limit_is_refused(session, shipped, shirt, monkeypatch):
    from storeguard.core.config import get_settings

    monkeypatch.setattr(get_settings(), "return_photo_max_bytes", 100)
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    with pytest.raises(DomainError) as refused:
        actions.add_return_photo(session, return_id=rma.id, data=_image(), actor=FACTORY_ACTOR)

    assert refused.value.code == "photo_too_large"
    assert rma.photos == []


def test_a_customer_a_person_placed_in_vip_is_refunded_before_inspection(session, shipped, shirt):
    from storeguard.core.clock import now
    from storeguard.risk.models import CustomerRisk

    session.add(
        CustomerRisk(
            customer_id=shipped.customer_id,
            shop_id=shipped.shop_id,
            score=0,
            suggested="vip",
            segment="vip",
            model_version="test",
            decided_at=now(),
            decided_by="staff:owner@example.com",
        )
    )
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))
    actions.authorize_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    actions.refund_return(session, return_id=rma.id, actor=FACTORY_ACTOR)

    assert (rma.status, rma.refunded) == ("refunded", 50_000)


def test_authorize_return_can_tell_the_customer_by_mail_with_the_note_as_instructions(
    session, shipped, shirt
):
    rma = _request(session, shipped, LineAsked(line_of(shipped, shirt), 1))

    actions.authorize_return(
        session,
        return_id=rma.id,
        actor=FACTORY_ACTOR,
        note="Drop the parcel at any post office.",
        notify_customer=True,
    )

    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"return_authorized:{rma.id}")
    )
    assert (message.payload["template"], message.payload["to"]) == ("return_authorized", shipped.email)
    assert message.payload["subject"] == f"Your return R-{rma.id} is approved"
    assert "Drop the parcel at any post office." in message.payload["text"]
