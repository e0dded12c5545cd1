"""Notice templates: every shipped one renders, a merchant's is checked in a sandbox before it is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.errors import Invalid
from storeguard.core.models import OutboxMessage
from storeguard.notifications.actions import save_template, send_notice
from storeguard.notifications.enums import NoticeKind
from storeguard.notifications.kinds import sample_context
from storeguard.notifications.models import NoticeTemplate, SentNotice
from storeguard.notifications.render import NOTICE_LANGUAGES, check_template, default_template, render
from tests.factories import make_customer, make_shop

ADMIN = Actor("staff", "admin@nordlys.example", Role.admin)


@pytest.mark.parametrize("language", NOTICE_LANGUAGES)
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_shipped_template_renders_in_every_language(kind: NoticeKind, language: str) -> None:
    subject, body = default_template(kind, language)
    check_template(kind, language, subject, body)
    notice = render(kind, language, subject, body, sample_context(kind, language))
    assert notice.subject and notice.text.strip() and "Nordlys Sko" in notice.text
    assert f'<html lang="{language}" dir="{"rtl" if language == "he" else "ltr"}">' in notice.html


def test_a_template_with_an_unknown_variable_is_refused_naming_it() -> None:
    with pytest.raises(Invalid) as refused:
        check_template(NoticeKind.order_refunded, "en", "Refund", "Hi {{ customer_name }}, {{ iban }}")
    assert (refused.value.code, refused.value.field) == ("unknown_variable", "body")
    assert "uses iban" in refused.value.message


def test_a_template_that_does_not_parse_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        check_template(NoticeKind.order_refunded, "en", "Refund", "Hi {% if customer_name %}")
    assert refused.value.code == "template_does_not_render"


def test_the_sandbox_refuses_reaching_into_python() -> None:
    with pytest.raises(Invalid) as refused:
        check_template(
            NoticeKind.block_notice, "en", "x", "{{ shop_name.__class__.__mro__[1].__subclasses__() }}"
        )
    assert refused.value.code == "template_does_not_render"


def test_the_html_part_escapes_values_and_links_urls() -> None:
    notice = render(
        NoticeKind.block_notice,
        "en",
        "About {{ shop_name }}",
        "Hello {{ customer_name }}\n\n{{ appeal_url }}",
        {"customer_name": "<script>", "shop_name": "A&B", "appeal_url": "https://shop.example/appeal/t"},
    )
    assert "<script>" not in notice.html and "&lt;script&gt;" in notice.html
    assert (
        '<a href="https://shop.example/appeal/t" dir="ltr">https://shop.example/appeal/t</a>' in notice.html
    )
    assert notice.text == "Hello <script>\n\nhttps://shop.example/appeal/t\n"


def test_a_refused_template_saves_nothing(session: Session) -> None:
    shop = make_shop(session)
    with pytest.raises(Invalid):
        save_template(
            session,
            shop_id=shop.id,
            kind="conduct_warning",
            language="nb",
            subject="Hei",
            body="{{ x }}",
            actor=ADMIN,
        )
    assert session.scalar(select(func.count()).select_from(NoticeTemplate)) == 0


def test_send_notice_uses_the_merchants_words_in_the_customers_language(session: Session) -> None:
    shop = make_shop(session, name="Nordlys Sko")
    kari = make_customer(session, shop, email="kari@example.no", first_name="Kari", locale="nb-NO")
    save_template(
        session,
        shop_id=shop.id,
        kind="conduct_warning",
        language="nb",
        subject="Hei {{ customer_name }}",
        body="Vi godtar ikke: {{ reason }}",
        actor=ADMIN,
    )

    message = send_notice(
        session,
        kind="conduct_warning",
        customer=kari,
        context={"reason": "skjellsord", "case_reference": "C-7"},
    )

    assert (message.payload["subject"], message.payload["text"]) == (
        "Hei Kari",
        "Vi godtar ikke: skjellsord\n",
    )
    assert (message.payload["language"], message.payload["template"]) == ("nb", "conduct_warning")
    logged = session.scalar(select(SentNotice).where(SentNotice.outbox_message_id == message.id))
    assert (logged.customer_id, logged.kind, logged.to) == (kari.id, "conduct_warning", "kari@example.no")


def test_send_notice_refuses_a_customer_without_an_address_and_queues_nothing(session: Session) -> None:
    shop = make_shop(session)
    nobody = make_customer(session, shop, email=None)
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(Invalid) as refused:
        send_notice(
            session, kind="conduct_warning", customer=nobody, context={"reason": "x", "case_reference": ""}
        )
    assert refused.value.code == "no_address"
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before
