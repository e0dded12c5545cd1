"""The evidence pack: gathered from the records, CE3.0 found when it exists, edited, and refused when it cannot go."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storeguard.cases.actions import add_case_note, receive_email, reply_to_case
from storeguard.cases.inbound import parse_mail
from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid
from storeguard.disputes.actions import (
    add_dispute_file,
    record_dispute_outcome,
    save_evidence,
    submit_evidence,
)
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.fields import over_limits, stripe_evidence
from tests.cases.mails import raw_mail
from tests.disputes.conftest import NOW, open_dispute
from tests.disputes.evidence_story import ELSEWHERE, fraud_story, prior_order

AGENT = Actor("staff", "agent@example.no")


def test_the_pack_holds_the_order_customer_delivery_policy_and_log(session):
    dispute = fraud_story(session)

    with frozen(NOW):
        pack = build_evidence_pack(session, dispute)

    assert (pack.order["number"], pack.customer["name"], pack.customer["email"]) == (
        "#2001",
        "Kari Nordmann",
        "kari@example.no",
    )
    assert (pack.purchase["ip"], pack.purchase["device"]) == ("84.210.1.1", "dev-kari")
    assert [(f["carrier"], f["tracking_number"]) for f in pack.fulfilments] == [("Posten", "70712345678")]
    assert [(p["title"], p["version"]) for p in pack.policies] == [("Angrerett", 1)]
    assert [m["source"] for m in pack.communication] == ["mail to customer", "dispute note"]


def test_two_undisputed_orders_120_to_365_days_old_sharing_device_and_address_are_ce3(session):
    dispute = fraud_story(session, priors=(60, 150, 200, 400))

    pack = build_evidence_pack(session, dispute)

    assert [p.number for p in pack.compelling] == ["#P150", "#P200"]
    assert pack.compelling[0].shared == ["ip", "device", "account", "shipping_address", "email"]
    assert [p.number for p in pack.prior_orders] == ["#P60", "#P150", "#P200", "#P400"]


def test_one_qualifying_order_is_not_enough_for_ce3(session):
    dispute = fraud_story(session, priors=(150,))

    pack = build_evidence_pack(session, dispute)

    assert (len(pack.prior_orders), pack.compelling) == (1, [])


def test_an_earlier_order_sharing_only_the_account_is_not_ce3(session):
    dispute = fraud_story(session, priors=(150,))
    shop_id, customer_id = dispute.shop_id, dispute.customer_id
    from storeguard.customers.models import Customer
    from storeguard.shops.models import Shop

    prior_order(
        session,
        session.get(Shop, shop_id),
        session.get(Customer, customer_id),
        180,
        ip="10.9.9.9",
        device="other",
        address=ELSEWHERE,
    )

    pack = build_evidence_pack(session, dispute)

    assert [(p.number, p.shared) for p in pack.prior_orders][1] == ("#P180", ["account", "email"])
    assert pack.compelling == []


def test_a_disputed_earlier_order_does_not_count_for_ce3(session):
    dispute = fraud_story(session, priors=(150, 200))
    pack = build_evidence_pack(session, dispute)
    open_dispute(session, _order(session, pack.prior_orders[1].order_id), gid="dp_old")

    again = build_evidence_pack(session, dispute)

    assert ([p.disputed for p in again.prior_orders], again.compelling) == ([False, True], [])


def test_ce3_is_only_proposed_for_fraud(session):
    dispute = fraud_story(session, reason="product_not_received")

    pack = build_evidence_pack(session, dispute)

    assert (len(pack.prior_orders), pack.compelling) == (2, [])


def test_the_letter_is_written_in_the_customers_language_with_the_ce3_orders(session):
    dispute = fraud_story(session, locale="nb")

    pack = build_evidence_pack(session, dispute)

    assert pack.language == "nb"
    assert pack.letter.startswith("Tvist dp_1 – ordre #2001 av 2026-12-03, 1299.00 NOK.")
    assert "#P150 (2026-07-08), #P200 (2026-05-19)" in pack.letter


def test_a_hebrew_customer_gets_the_hebrew_letter(session):
    dispute = fraud_story(session, locale="he")

    pack = build_evidence_pack(session, dispute)

    assert pack.letter.startswith("מחלוקת dp_1 – הזמנה #2001")


def test_stripe_fields_carry_ip_tracking_policy_and_ce3(session):
    dispute = fraud_story(session)

    fields = stripe_evidence(build_evidence_pack(session, dispute))

    assert (
        fields["customer_purchase_ip"],
        fields["shipping_tracking_number"],
        fields["shipping_carrier"],
    ) == (
        "84.210.1.1",
        "70712345678",
        "Posten",
    )
    assert fields["refund_policy_disclosure"].startswith("Angrerett (version 1, in effect from 2025-10-31)")
    ce3 = fields["enhanced_evidence"]["visa_compelling_evidence_3"]
    assert [p["charge"] for p in ce3["prior_undisputed_transactions"]] == ["ch_prior_150", "ch_prior_200"]
    assert ce3["disputed_transaction"]["customer_device_id"] == "dev-kari"


def test_a_stripe_field_over_20000_characters_is_named_with_the_limit():
    problems = over_limits("stripe", {"uncategorized_text": "x" * 20_001, "customer_name": "Kari"}, 0)

    assert problems == [
        "uncategorized_text has 20,001 characters; Stripe: a text field up to 20,000 characters, "
        "all fields together up to 150,000, files together up to 4.5 MB"
    ]


def test_edits_change_the_letter_language_and_leave_items_out(session):
    dispute = fraud_story(session)

    with frozen(NOW):
        save_evidence(
            session,
            dispute_id=dispute.id,
            actor=AGENT,
            language="he",
            excluded=["communication"],
            extra_text="Se vedlagt bilde.",
        )
    pack = build_evidence_pack(session, dispute)

    assert pack.language == "he"
    assert "communication" not in pack.present()
    assert pack.extra_text == "Se vedlagt bilde."


def test_an_unknown_evidence_item_is_refused_and_nothing_changes(session):
    dispute = fraud_story(session)

    with frozen(NOW), pytest.raises(Invalid) as refused:
        save_evidence(session, dispute_id=dispute.id, actor=AGENT, excluded=["horoscope"])

    assert (refused.value.code, refused.value.field) == ("unknown_evidence_item", "excluded")
    assert dispute.evidence == {}


def test_a_file_that_is_not_a_pdf_or_image_is_refused_by_its_bytes(session):
    dispute = fraud_story(session)

    with frozen(NOW), pytest.raises(Invalid) as refused:
        add_dispute_file(
            session, dispute_id=dispute.id, actor=AGENT, filename="proof.pdf", data=b"MZ\x90\x00exe"
        )

    assert refused.value.code == "file_not_pdf_or_image"
    assert dispute.files == []


def test_a_png_is_kept_with_its_sniffed_type(session):
    dispute = fraud_story(session)

    with frozen(NOW):
        added = add_dispute_file(
            session,
            dispute_id=dispute.id,
            actor=AGENT,
            filename="label.jpg",
            data=b"\x89PNG\r\n\x1a\n" + b"0" * 10,
        )

    assert (added.content_type, added.size) == ("image/png", 18)


def test_submitting_marks_contested_with_the_items_used_and_queues_the_event(session):
    dispute = fraud_story(session)

    with frozen(NOW):
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)

    assert (dispute.response, dispute.evidence_submitted_at) == ("contested", NOW)
    assert "compelling_evidence_3" in dispute.evidence_used
    from sqlalchemy import select

    from storeguard.core.models import OutboxMessage

    event = session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "event").order_by(OutboxMessage.id.desc())
    )
    assert (event.payload["name"], event.payload["data"]["gateway_dispute_id"]) == (
        "dispute.evidence_submitted",
        "dp_1",
    )


def test_submitting_twice_is_refused(session):
    dispute = fraud_story(session)
    with frozen(NOW):
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)

        with pytest.raises(Conflict) as refused:
            submit_evidence(session, dispute_id=dispute.id, actor=AGENT)

    assert refused.value.code == "evidence_already_submitted"


def test_submitting_after_the_deadline_is_refused_and_nothing_is_sent(session):
    dispute = fraud_story(session)

    with frozen(dispute.evidence_due_at + timedelta(hours=1)), pytest.raises(Conflict) as refused:
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)

    assert refused.value.code == "past_due"
    assert (dispute.evidence_submitted_at, dispute.evidence_used, dispute.response) == (None, [], None)


def test_a_dispute_without_a_known_order_is_kept_but_its_evidence_is_refused(session, order):
    dispute = open_dispute(session, None, gid="dp_unmatched")

    with frozen(NOW), pytest.raises(Conflict) as refused:
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)

    assert (refused.value.code, dispute.order_id, dispute.evidence_submitted_at) == (
        "order_unmatched",
        None,
        None,
    )


def _order(session, order_id):
    from storeguard.orders.models import Order

    return session.get(Order, order_id)


def test_a_lost_dispute_records_its_amount_as_lost_and_a_won_one_nothing(session):
    lost = fraud_story(session)
    won = open_dispute(session, _order(session, lost.order_id), gid="dp_won")

    record_dispute_outcome(session, dispute_id=lost.id, actor=AGENT, outcome="lost")
    record_dispute_outcome(session, dispute_id=won.id, actor=AGENT, outcome="won")

    assert (lost.amount_lost, won.amount_lost) == (129_900, 0)


def test_the_log_holds_the_customers_case_messages_both_ways_in_time_order_but_not_the_teams_notes(session):
    dispute = fraud_story(session)
    relay, agent = Actor("webhook", "mail-relay"), Actor("api_key", "agent-key", Role.agent)
    with frozen(NOW - timedelta(days=1)):
        case, _ = receive_email(
            session, shop_id=dispute.shop_id, mail=parse_mail(raw_mail("Hvor er pakken min?")), actor=relay
        )
    with frozen(NOW - timedelta(hours=23)):
        reply_to_case(session, case_id=case.id, actor=agent, body="Den ble levert i går.")
    with frozen(NOW - timedelta(hours=22)):
        add_case_note(session, case_id=case.id, actor=agent, body="Sjekk sporingen")

    with frozen(NOW):
        pack = build_evidence_pack(session, dispute)

    assert [(m["source"], m["text"]) for m in pack.communication] == [
        ("mail to customer", "Ordren er sendt\nSporingsnummer 70712345678"),
        (f"case {case.id}: from customer", "Bestilling 1001\nHvor er pakken min?"),
        (f"case {case.id}: to customer", "Re: Bestilling 1001\nDen ble levert i går."),
        ("dispute note", "Kunden har ikke svart på e-post."),
    ]
