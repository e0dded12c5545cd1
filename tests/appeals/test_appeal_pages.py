"""The public appeal page (no login, the customer's language) and the staff queue where a second person decides."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.appeals import public
from storeguard.appeals.actions import submit_appeal
from storeguard.appeals.models import Appeal
from storeguard.appeals.ratelimit import SlidingWindow
from storeguard.lists.blocking import active_block
from storeguard.lists.enums import BlockStatus
from storeguard.shops.models import Shop
from storeguard.staff.actions import staff_actor
from tests.appeals.helpers import PNG, blocked_customer
from tests.factories import make_customer


def _appeals(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Appeal)) or 0


def test_the_public_page_speaks_the_customers_language_right_to_left(client, session: Session) -> None:
    b = blocked_customer(session, locale="he-IL")
    make_customer(session, session.get(Shop, b.customer.shop_id), email="other@example.com")

    page = client.get(f"/appeal/{b.link}")

    assert page.status_code == 200
    assert '<html lang="he" dir="rtl"' in page.text
    assert "other@example.com" not in page.text and "worn" not in page.text  # no one else, no evidence
    assert 'name="csrf_token"' in page.text and public.CSRF_COOKIE in page.headers["set-cookie"]


def test_a_customer_appeals_with_a_file_from_the_public_page(client, session: Session) -> None:
    b = blocked_customer(session)
    token = client.get(f"/appeal/{b.link}").cookies.get(public.CSRF_COOKIE) or client.cookies.get(
        public.CSRF_COOKIE
    )

    sent = client.post(
        f"/appeal/{b.link}",
        data={"csrf_token": token, "message": "הנעליים לא נעלו מעולם"},
        files=[("files", ("receipt.png", PNG, "image/png"))],
        follow_redirects=False,
    )
    page = client.get(sent.headers["location"]).text

    [appeal] = session.scalars(select(Appeal)).all()
    assert sent.status_code == 303 and sent.headers["location"] == f"/appeal/{b.link}?sent=1"
    assert (appeal.message, [a.filename for a in appeal.attachments]) == (
        "הנעליים לא נעלו מעולם",
        ["receipt.png"],
    )
    assert 'name="message"' not in page  # one open appeal at a time: no second form


def test_a_form_without_the_pages_token_is_refused_and_nothing_is_stored(client, session: Session) -> None:
    b = blocked_customer(session)
    client.get(f"/appeal/{b.link}")

    refused = client.post(f"/appeal/{b.link}", data={"csrf_token": "forged", "message": "please"})

    assert refused.status_code == 403 and _appeals(session) == 0


def test_a_forged_link_answers_404_without_a_form(client, session: Session) -> None:
    b = blocked_customer(session)

    page = client.get(f"/appeal/{b.link[:-2]}xx")

    assert page.status_code == 404 and 'name="message"' not in page.text
    assert "This link does not work" in page.text


def test_too_many_sends_from_one_address_answer_429(client, session: Session, monkeypatch) -> None:
    b = blocked_customer(session)
    monkeypatch.setattr(public, "SENDS", SlidingWindow(limit=1, seconds=3600))
    client.post(f"/appeal/{b.link}", data={"csrf_token": "x", "message": "one"})

    refused = client.post(f"/appeal/{b.link}", data={"csrf_token": "x", "message": "two"})

    assert refused.status_code == 429 and _appeals(session) == 0


def test_the_queue_lists_waiting_appeals_and_a_second_person_lifts_the_block(
    client, login, session: Session
) -> None:
    me = login("agent")
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")

    queue = client.get("/appeals").text
    decided = client.post(
        f"/appeals/{appeal.id}/decide",
        data={"csrf_token": me.csrf, "decision": "lift", "note": "Thank you"},
        follow_redirects=False,
    )

    session.expire_all()
    assert f'href="/appeals/{appeal.id}"' in queue
    assert decided.status_code == 303
    assert session.get(Appeal, appeal.id).status == "lifted"
    assert active_block(session, b.customer.id) is None
    assert session.get(type(b.block), b.block.id).status == BlockStatus.lifted


def test_the_person_who_blocked_is_refused_on_the_page_and_nothing_changes(
    client, login, session: Session
) -> None:
    me = login("agent")
    b = blocked_customer(session, actor=staff_actor(me.user))
    appeal = submit_appeal(session, link=b.link, message="please")

    page = client.get(f"/appeals/{appeal.id}").text
    refused = client.post(f"/appeals/{appeal.id}/decide", data={"csrf_token": me.csrf, "decision": "lift"})

    session.expire_all()
    assert "another person decides its appeal" in page
    assert refused.status_code == 403 and session.get(Appeal, appeal.id).status == "open"
    assert active_block(session, b.customer.id) is not None


def test_the_api_lists_the_queue_and_refuses_a_decision_without_a_condition(
    client, auth, session: Session
) -> None:
    headers = auth("agent")
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")

    listed = client.get("/v1/appeals", headers=headers).json()
    refused = client.post(
        f"/v1/appeals/{appeal.id}/decide", json={"decision": "lift_with_conditions"}, headers=headers
    )

    assert [a["id"] for a in listed["items"]] == [appeal.id] and listed["items"][0]["status"] == "open"
    assert refused.status_code == 422 and refused.json()["code"] == "condition_required"
    assert active_block(session, b.customer.id) is not None
