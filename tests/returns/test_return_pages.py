"""The returns pages: the queue by state, a return worked step by step, starting one from an order."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from storeguard.returns.models import Return
from tests.returns.conftest import line_of


def _start(client, me, order, product, quantity="1"):
    return client.post(
        f"/orders/{order.id}/return",
        data={
            "csrf_token": me.csrf,
            "reason": "size",
            f"qty-{line_of(order, product)}": quantity,
            "note": "Too tight",
        },
        follow_redirects=False,
    )


def test_an_agent_starts_a_return_from_the_order_and_lands_on_it(client, login, session, shipped, shirt):
    me = login("agent")

    started = _start(client, me, shipped, shirt, "2")
    page = client.get(started.headers["location"])

    rma = session.scalar(select(Return))
    assert (started.status_code, started.headers["location"]) == (303, f"/returns/{rma.id}")
    assert [(x.quantity, x.reason) for x in rma.lines] == [(2, "size")]
    assert f"Return #{rma.id} opened." in page.text and "Authorize the return" in page.text


def test_too_many_units_show_the_form_again_and_open_nothing(client, login, session, shipped, shirt):
    me = login("agent")

    refused = _start(client, me, shipped, shirt, "5")

    assert refused.status_code == 409
    assert "More units than were shipped and not yet returned." in refused.text
    assert 'value="5"' in refused.text
    assert session.scalar(select(Return)) is None


def test_no_units_chosen_is_refused_on_the_form(client, login, session, shipped, shirt):
    me = login("agent")

    refused = _start(client, me, shipped, shirt, "0")

    assert refused.status_code == 422 and "Choose at least one item to return." in refused.text
    assert session.scalar(select(Return)) is None


def test_a_return_is_worked_from_authorize_to_refund_on_its_page(client, login, session, shipped, shirt):
    me = login("agent")
    rid = int(_start(client, me, shipped, shirt, "2").headers["location"].rsplit("/", 1)[1])
    rma = session.get(Return, rid)
    line_id = rma.lines[0].id

    for step, data in (
        ("authorize", {}),
        ("receive", {}),
        ("inspect", {f"condition-{line_id}": "used", "inspection_note": "Worn once"}),
    ):
        assert (
            client.post(
                f"/returns/{rid}/{step}", data={"csrf_token": me.csrf, **data}, follow_redirects=False
            ).status_code
            == 303
        )
    page = client.get(f"/returns/{rid}").text
    refunded = client.post(f"/returns/{rid}/refund", data={"csrf_token": me.csrf}, follow_redirects=False)

    session.expire_all()
    assert "Refund 800,00" in page or "Refund NOK 800.00" in page or "800.00" in page
    assert refunded.status_code == 303
    assert (session.get(Return, rid).status, session.get(Return, rid).refunded) == ("partly_refunded", 80_000)


def test_a_refund_before_inspection_is_refused_on_the_page_with_the_reason(
    client, login, session, shipped, shirt
):
    me = login("agent")
    rid = int(_start(client, me, shipped, shirt).headers["location"].rsplit("/", 1)[1])
    client.post(f"/returns/{rid}/authorize", data={"csrf_token": me.csrf})

    refused = client.post(f"/returns/{rid}/refund", data={"csrf_token": me.csrf})

    session.expire_all()
    assert refused.status_code == 409 and "must be inspected before it is refunded" in refused.text
    assert (session.get(Return, rid).status, session.get(Return, rid).refund_id) == ("authorized", None)


def test_a_photo_is_uploaded_from_the_page(client, login, session, shipped, shirt):
    me = login("agent")
    rid = int(_start(client, me, shipped, shirt).headers["location"].rsplit("/", 1)[1])
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (9, 9, 9)).save(out, format="JPEG")

    added = client.post(
        f"/returns/{rid}/photos",
        data={"csrf_token": me.csrf},
        files={"photo": ("box.jpg", out.getvalue(), "image/jpeg")},
    )

    assert added.status_code == 200 and "Photo added." in added.text
    assert re.search(rf'<img src="/returns/{rid}/photos/\d+"', added.text)


def test_a_viewer_sees_the_queue_but_no_step_and_may_not_post_one(client, login, session, shipped, shirt):
    agent = login("agent")
    rid = int(_start(client, agent, shipped, shirt).headers["location"].rsplit("/", 1)[1])
    viewer = login("viewer")

    queue = client.get("/returns?status=requested")
    page = client.get(f"/returns/{rid}")
    refused = client.post(f"/returns/{rid}/authorize", data={"csrf_token": viewer.csrf})

    session.expire_all()
    assert queue.status_code == 200 and f'href="/returns/{rid}"' in queue.text
    assert "Authorize the return" not in page.text
    assert refused.status_code == 403 and session.get(Return, rid).status == "requested"


def test_the_order_page_offers_a_return_while_units_may_come_back(client, login, shipped):
    login("agent")

    page = client.get(f"/orders/{shipped.id}").text

    assert f'href="/orders/{shipped.id}/return"' in page


def test_an_admin_changes_the_return_policy_in_settings(client, login, session, shop):
    from storeguard.returns.service import return_policy

    me = login("admin")
    form = {
        "csrf_token": me.csrf,
        "window_days": "21",
        "category_windows": "swimwear=14",
        "fee.new_with_tags": "0",
        "fee.used": "25",
        "fee.damaged_by_customer": "50",
        "fee.not_the_item_sent": "100",
        "restock.new_with_tags": "on",
        "early.vip": "on",
        "early.good": "on",
    }

    saved = client.post("/settings/returns", data=form, follow_redirects=False)
    bad = client.post("/settings/returns", data={**form, "window_days": "soon"})

    rules, revision = return_policy(session, shop.id)
    assert saved.status_code == 303
    assert (rules["window_days"], rules["category_windows"], rules["fees"]["used"], revision) == (
        21,
        {"swimwear": 14},
        25,
        1,
    )
    assert rules["refund_before_inspection"] == ["vip", "good"]
    assert bad.status_code == 422 and "A whole number." in bad.text
    assert return_policy(session, shop.id)[1] == 1


def test_an_upload_without_a_file_asks_for_one(client, login, session, shipped, shirt):
    me = login("agent")
    rid = int(_start(client, me, shipped, shirt).headers["location"].rsplit("/", 1)[1])

    refused = client.post(
        f"/returns/{rid}/photos", data={"csrf_token": me.csrf}, files={"photo": ("x.jpg", b"", "image/jpeg")}
    )

    assert refused.status_code == 422 and "Choose a photo to upload first." in refused.text
    assert session.get(Return, rid).photos == []


def test_a_rejection_without_a_reason_marks_the_field_and_changes_nothing(
    client, login, session, shipped, shirt
):
    me = login("agent")
    rid = int(_start(client, me, shipped, shirt).headers["location"].rsplit("/", 1)[1])
    client.post(f"/returns/{rid}/authorize", data={"csrf_token": me.csrf})
    client.post(f"/returns/{rid}/receive", data={"csrf_token": me.csrf})

    refused = client.post(f"/returns/{rid}/reject", data={"csrf_token": me.csrf, "reason": " "})

    session.expire_all()
    assert refused.status_code == 422
    assert '<p class="field-error" id="reason-error">Say why; the customer is told.</p>' in refused.text
    assert session.get(Return, rid).status == "received"
