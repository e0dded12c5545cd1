"""Blocking a customer and lifting the block: rules, history, account state and notices."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.errors import Conflict, Forbidden, Invalid
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.customers.models import Customer
from storeguard.customers.service import timeline
from storeguard.lists.blocking import add_block_evidence, block_customer, lift_block
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.lists.notices import notice_language, render_notice
from tests.factories import make_customer, make_order, make_shop
from tests.lists.helpers import AGENT, OWNER, VIEWER, arrive, match_order


@pytest.fixture
def shop(session: Session):  # noqa: ANN201
    return make_shop(session, name="Nordic Sneakers", country="NO", currency="NOK")


def _counts(session: Session) -> tuple[int, int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(t))
        for t in (  # type: ignore[return-value]
            CustomerBlock,
            ListEntry,
            OutboxMessage,
            AuditEvent,
        )
    )


def test_block_customer_blocks_the_customer_and_their_own_identifiers(session: Session, shop) -> None:
    ola = make_customer(session, shop, email="ola@gmail.com")
    order = arrive(
        session,
        make_order(session, shop, customer=ola, phone="91234567", browser_ip="192.0.2.1", device_id="dev-1"),
    )

    block = block_customer(
        session,
        customer_id=ola.id,
        actor=AGENT,
        reason_code="chargeback_abuse",
        evidence={"order_ids": [order.id], "notes": ["disputed a delivered parcel"]},
    )

    entries = session.scalars(
        select(ListEntry).where(ListEntry.block_id == block.id).order_by(ListEntry.id)
    ).all()
    assert [(e.type, e.value) for e in entries] == [
        ("customer", str(ola.id)),
        ("email", "ola@gmail.com"),
        ("phone", "+4791234567"),
        ("device_id", "dev-1"),
    ]
    assert all(e.reason_code == "chargeback_abuse" and e.evidence["order_ids"] == [order.id] for e in entries)
    assert all(e.customer_id == ola.id for e in entries)
    # an email domain (gmail.com) and an IP are shared with strangers: not blocked unless asked
    assert block.identifier_types == [
        "email",
        "phone",
        "shipping_address",
        "billing_address",
        "device_id",
        "payment_fingerprint",
        "platform_id",
        "name_address",
    ]
    assert [e.action for e in events_for(session, "customer", ola.id)] == ["customer.blocked"]


def test_block_customer_can_disable_the_account_and_lift_block_re_enables_it(session: Session, shop) -> None:
    ola = make_customer(session, shop)
    block_customer(
        session,
        customer_id=ola.id,
        actor=AGENT,
        reason_code="threats",
        evidence={"notes": ["threatening email 3 May"]},
        disable_account=True,
        notify=False,
    )
    assert session.get(Customer, ola.id).state == "disabled"

    lifted = lift_block(session, customer_id=ola.id, actor=AGENT, reason="apologised; agreed with the owner")

    assert session.get(Customer, ola.id).state == "enabled"
    assert (lifted.status, lifted.lift_reason) == ("lifted", "apologised; agreed with the owner")
    statuses = set(session.scalars(select(ListEntry.status).where(ListEntry.block_id == lifted.id)))
    assert statuses == {"lifted"}
    assert [e.action for e in timeline(session, ola.id)] == ["customer.blocked", "customer.block_lifted"]


def test_lifting_a_block_stops_the_match_and_keeps_the_history(session: Session, shop) -> None:
    ola = make_customer(session, shop)
    order = arrive(session, make_order(session, shop, customer=ola, phone="91234567"))
    block_customer(
        session,
        customer_id=ola.id,
        actor=AGENT,
        reason_code="fraud",
        evidence={"order_ids": [order.id]},
        notify=False,
    )
    assert match_order(session, order).effective

    lift_block(session, customer_id=ola.id, actor=AGENT, reason="the bank confirmed it was their error")

    assert match_order(session, order).effective == []
    kept = session.execute(
        select(ListEntry.type, ListEntry.status).where(ListEntry.customer_id == ola.id)
    ).all()
    assert sorted(kept) == [("customer", "lifted"), ("email", "lifted"), ("phone", "lifted")]


def test_a_shared_phone_stays_blocked_while_its_other_blocked_owner_is(session: Session, shop) -> None:
    a = make_customer(session, shop)
    b = make_customer(session, shop)
    arrive(session, make_order(session, shop, customer=a, phone="91234567"))
    arrive(session, make_order(session, shop, customer=b, phone="91234567"))
    block_customer(
        session, customer_id=a.id, actor=AGENT, reason_code="fraud", evidence={"notes": ["a"]}, notify=False
    )
    second = block_customer(
        session, customer_id=b.id, actor=AGENT, reason_code="fraud", evidence={"notes": ["b"]}, notify=False
    )

    lift_block(session, customer_id=a.id, actor=AGENT, reason="mistaken identity")

    phone = session.scalar(select(ListEntry).where(ListEntry.type == "phone"))
    assert (phone.status, phone.block_id) == ("active", second.id)


@pytest.mark.parametrize(
    ("actor", "kwargs", "code"),
    [
        (AGENT, {"reason_code": None, "evidence": {"notes": ["x"]}}, "reason_code_required"),
        (AGENT, {"reason_code": "fraud", "evidence": {}}, "evidence_required"),
        (
            OWNER,
            {"reason_code": "fraud", "evidence": {}, "justification": "too short"},
            "justification_required",
        ),
        (AGENT, {"reason_code": "made_up", "evidence": {"notes": ["x"]}}, "unknown_reason_code"),
        (AGENT, {"reason_code": "fraud", "evidence": {"order_ids": [999999]}}, "evidence_order_not_found"),
        (AGENT, {"reason_code": "fraud", "evidence": {"notes": ["x"]}, "action": "shoot"}, "invalid_action"),
        (
            AGENT,
            {"reason_code": "fraud", "evidence": {"notes": ["x"]}, "identifier_types": ["aura"]},
            "invalid_identifier_type",
        ),
    ],
)
def test_block_customer_refuses_and_changes_nothing(
    session: Session, shop, actor, kwargs: dict, code: str
) -> None:
    ola = make_customer(session, shop)
    arrive(session, make_order(session, shop, customer=ola, phone="91234567"))
    before = _counts(session)

    with pytest.raises(Invalid) as err:
        block_customer(session, customer_id=ola.id, actor=actor, **kwargs)

    assert err.value.code == code
    assert _counts(session) == before
    assert session.get(Customer, ola.id).state == "enabled"


def test_a_viewer_may_not_block(session: Session, shop) -> None:
    ola = make_customer(session, shop)
    with pytest.raises(Forbidden) as err:
        block_customer(
            session, customer_id=ola.id, actor=VIEWER, reason_code="fraud", evidence={"notes": ["x"]}
        )
    assert err.value.code == "role_too_weak"


def test_an_owner_may_block_without_evidence_with_a_written_justification(session: Session, shop) -> None:
    ola = make_customer(session, shop)
    block = block_customer(
        session,
        customer_id=ola.id,
        actor=OWNER,
        reason_code="threats",
        evidence={},
        justification="Threatened our driver at the door on 2 May; police report filed",
        notify=False,
    )
    assert block.justification.startswith("Threatened our driver")
    assert events_for(session, "customer", ola.id)[0].data["justification"] == block.justification


def test_blocking_twice_is_refused_and_unblocking_an_unblocked_customer_is_refused(
    session: Session, shop
) -> None:
    ola = make_customer(session, shop)
    with pytest.raises(Conflict) as err:
        lift_block(session, customer_id=ola.id, actor=AGENT, reason="x")
    assert err.value.code == "customer_not_blocked"
    block = block_customer(
        session, customer_id=ola.id, actor=AGENT, reason_code="fraud", evidence={"notes": ["x"]}, notify=False
    )
    before = _counts(session)
    with pytest.raises(Conflict) as err:
        block_customer(
            session, customer_id=ola.id, actor=AGENT, reason_code="fraud", evidence={"notes": ["y"]}
        )
    assert (err.value.code, err.value.extra["block_id"]) == ("customer_already_blocked", block.id)
    assert _counts(session) == before


def test_evidence_found_later_is_added_to_the_block_and_its_entries(session: Session, shop) -> None:
    ola = make_customer(session, shop)
    order = make_order(session, shop, customer=ola)
    block = block_customer(
        session, customer_id=ola.id, actor=AGENT, reason_code="fraud", evidence={"notes": ["x"]}, notify=False
    )
    add_block_evidence(
        session, block_id=block.id, actor=AGENT, evidence={"order_ids": [order.id], "notes": ["called back"]}
    )
    entry = session.scalar(select(ListEntry).where(ListEntry.block_id == block.id))
    assert entry.evidence == {"notes": ["x", "called back"], "order_ids": [order.id]}


def test_evidence_naming_a_case_the_shop_lacks_is_refused_and_nothing_changes(session: Session, shop) -> None:
    ola = make_customer(session, shop)
    block = block_customer(
        session, customer_id=ola.id, actor=AGENT, reason_code="fraud", evidence={"notes": ["x"]}, notify=False
    )

    with pytest.raises(Invalid) as refused:
        add_block_evidence(session, block_id=block.id, actor=AGENT, evidence={"case_ids": [7]})

    assert (refused.value.code, refused.value.field) == ("evidence_case_not_found", "evidence.case_ids")
    assert session.scalar(select(ListEntry.evidence).where(ListEntry.block_id == block.id)) == {
        "notes": ["x"]
    }


def test_block_customer_writes_the_notice_to_the_outbox_in_the_customers_language(
    session: Session, shop
) -> None:
    ola = make_customer(session, shop, email="ola@example.no", first_name="Ola", locale="nb-NO")
    block = block_customer(
        session,
        customer_id=ola.id,
        actor=AGENT,
        reason_code="return_abuse",
        evidence={"notes": ["12 returns worn"]},
    )

    message = session.get(OutboxMessage, block.notice_message_id)
    assert (message.kind, message.payload["to"], message.payload["language"]) == (
        "email",
        "ola@example.no",
        "nb",
    )
    assert message.payload["subject"] == "Om kontoen din hos Nordic Sneakers"
    assert "Returer på kontoen din fulgte ikke returreglene våre." in message.payload["text"]
    assert f"/appeal/{block.appeal_token}" in message.payload["text"]
    assert message.dedupe_key == f"block-notice:{block.id}"


@pytest.mark.parametrize(
    ("language", "subject", "reason_words", "direction"),
    [
        ("en", "About your account at Nordic Sneakers", "Why: Payments were disputed", "ltr"),
        ("nb", "Om kontoen din hos Nordic Sneakers", "Hvorfor: Payments were disputed", "ltr"),
        ("he", "בנוגע לחשבון שלך ב-Nordic Sneakers", "הסיבה: Payments were disputed", "rtl"),
        ("zh", "关于您在 Nordic Sneakers 的账户", "原因：Payments were disputed", "ltr"),
    ],
)
def test_render_notice_in_all_four_languages(
    language: str, subject: str, reason_words: str, direction: str
) -> None:
    notice = render_notice(
        language=language,
        shop_name="Nordic Sneakers",
        customer_name="Ola",
        reason="Payments were disputed",
        appeal_url="https://shop.example/appeal/tok",
        action="block",
    )
    assert (notice.language, notice.subject, notice.direction) == (language, subject, direction)
    assert reason_words in notice.text
    assert "https://shop.example/appeal/tok" in notice.text
    assert f'<html lang="{language}" dir="{direction}">' in notice.html
    assert 'href="https://shop.example/appeal/tok"' in notice.html


def test_render_notice_escapes_html_in_names() -> None:
    notice = render_notice(
        language="en",
        shop_name="A&B",
        customer_name="<script>",
        reason="r",
        appeal_url="https://x/appeal/t",
        action="review",
    )
    assert "<script>" not in notice.html and "&lt;script&gt;" in notice.html
    assert "will check orders from your account" in notice.text


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn_NO", "nb"),
        ("iw", "he"),
        ("zh-Hant-TW", "zh"),
        ("de", "en"),
        (None, "en"),
    ],
)
def test_notice_language_maps_locales(locale: str | None, language: str) -> None:
    assert notice_language(locale) == language
