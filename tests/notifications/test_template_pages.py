"""The template editor in settings: a preview, a save, a refusal that saves nothing; the API the same."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.notifications.models import NoticeTemplate
from tests.appeals.helpers import blocked_customer
from tests.factories import make_shop


def test_settings_list_every_kind_and_link_to_its_editor(client, login, session: Session) -> None:
    make_shop(session)
    login("admin")

    page = client.get("/settings").text

    assert 'href="/settings/templates/conduct_warning/he"' in page and "Mail templates" in page


def test_the_editor_previews_without_saving(client, login, session: Session) -> None:
    make_shop(session, name="Nordlys Sko")
    me = login("admin")

    page = client.post(
        "/settings/templates/appeal_received/he",
        data={
            "csrf_token": me.csrf,
            "do": "preview",
            "subject": "שלום {{ customer_name }}",
            "body": "עד {{ answer_by }}",
        },
    )

    assert page.status_code == 200
    assert '<article class="mail" lang="he" dir="rtl">' in page.text and "שלום נועה" in page.text
    assert session.scalar(select(func.count()).select_from(NoticeTemplate)) == 0


def test_saving_a_template_with_an_unknown_variable_is_refused_on_the_page(
    client, login, session: Session
) -> None:
    make_shop(session)
    me = login("admin")

    refused = client.post(
        "/settings/templates/order_refunded/en",
        data={"csrf_token": me.csrf, "do": "save", "subject": "Refund", "body": "{{ bank_account }}"},
    )

    assert refused.status_code == 422 and "bank_account" in refused.text
    assert session.scalar(select(func.count()).select_from(NoticeTemplate)) == 0


def test_saving_a_template_keeps_the_merchants_words(client, login, session: Session) -> None:
    shop = make_shop(session)
    me = login("admin")

    saved = client.post(
        "/settings/templates/order_refunded/en",
        data={
            "csrf_token": me.csrf,
            "do": "save",
            "subject": "Money back",
            "body": "{{ refund_amount }} is on its way",
        },
        follow_redirects=False,
    )

    row = session.scalar(select(NoticeTemplate).where(NoticeTemplate.shop_id == shop.id))
    assert saved.status_code == 303 and (row.kind, row.language, row.subject) == (
        "order_refunded",
        "en",
        "Money back",
    )


def test_the_api_refuses_an_unknown_variable_with_a_problem(client, auth, session: Session) -> None:
    make_shop(session)

    refused = client.put(
        "/v1/notifications/templates/block_notice/zh",
        json={"subject": "x", "body": "{{ password }}"},
        headers=auth("admin"),
    )

    assert refused.status_code == 422 and refused.json()["code"] == "unknown_variable"
    assert session.scalar(select(func.count()).select_from(NoticeTemplate)) == 0


def test_the_customer_page_lists_the_mail_sent_to_them(client, login, session: Session) -> None:
    b = blocked_customer(session, locale="he-IL")
    login("viewer")

    page = client.get(f"/customers/{b.customer.id}").text

    assert "Mail to the customer" in page and "בנוגע לחשבון שלך ב-Nordlys Sko" in page
