"""The conduct policy: a warning first, then a block proposal; legal threats held; physical threats urgent."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases import service
from storeguard.cases.actions import receive_email
from storeguard.cases.conduct_actions import decide_block_proposal, lift_legal_hold, review_incident
from storeguard.cases.inbound import parse_mail
from storeguard.cases.models import BlockProposal, CaseEntry, ConductIncident
from storeguard.core.actor import Actor
from storeguard.core.enums import OutboxStatus, Role
from storeguard.core.errors import Conflict
from storeguard.core.models import OutboxMessage
from storeguard.lists.models import CustomerBlock
from storeguard.notifications.actions import save_template
from storeguard.notifications.service import mail_to_customer
from tests.cases.mails import raw_mail
from tests.factories import make_customer
from tests.refusals import row_counts

RELAY = Actor("webhook", "mail-relay")
AGENT = Actor("api_key", "agent-key", Role.agent)
ABUSE_NB = "Faen ta dere, jævla idioter! Hvor er pakken min?"


def _mail(session: Session, shop, body: str, **kw):  # noqa: ANN001, ANN202
    return receive_email(session, shop_id=shop.id, mail=parse_mail(raw_mail(body, **kw)), actor=RELAY)


def _outbox(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_first_abusive_mail_records_the_incident_with_its_words_and_queues_one_warning_in_norwegian(
    session: Session, shop
) -> None:
    case, entry = _mail(session, shop, ABUSE_NB)

    [incident] = service.incidents_of_case(session, case.id)
    assert (incident.category, incident.language, incident.outcome) == ("abuse", "nb", "warned")
    assert [t["term"] for t in incident.triggers] == ["faen", "jævla*", "idioter"]
    [warning] = _outbox(session)
    assert (warning.kind, warning.status, warning.payload["to"], warning.payload["language"]) == (
        "email",
        OutboxStatus.pending,
        "kari@example.no",
        "nb",
    )
    assert warning.payload["subject"] == "Et ord om hvordan vi snakker sammen hos Nordlys Sko"
    assert (warning.payload["template"], warning.payload["context"]) == (
        "conduct_warning",
        {
            "reason": "fornærmende eller krenkende språk mot medarbeiderne våre.",
            "case_reference": str(case.id),
        },
    )
    assert warning.payload["in_reply_to"] == "<m1@example.no>"
    assert case.official_channels_only is False


def test_the_warning_is_the_merchants_own_template_and_is_logged_once_in_the_case_and_the_customers_mail(
    session: Session, shop
) -> None:
    kari = make_customer(session, shop, email="kari@example.no", first_name="Kari")
    save_template(
        session,
        shop_id=shop.id,
        kind="conduct_warning",
        language="nb",
        subject="Hei {{ customer_name }}, sak {{ case_reference }}",
        body="Vi godtar ikke {{ reason }}",
        actor=AGENT,
    )

    case, _ = _mail(session, shop, ABUSE_NB)

    [warning] = _outbox(session)
    [logged] = session.scalars(select(CaseEntry).where(CaseEntry.kind == "outbound")).all()
    [sent] = mail_to_customer(session, kari.id)
    assert warning.payload["subject"] == f"Hei Kari, sak {case.id}"
    assert (logged.subject, logged.body, logged.outbox_message_id) == (
        f"Hei Kari, sak {case.id}",
        "Vi godtar ikke fornærmende eller krenkende språk mot medarbeiderne våre.\n",
        warning.id,
    )
    assert (sent.kind, sent.outbox_message_id) == ("conduct_warning", warning.id)


def test_a_second_abusive_mail_proposes_a_block_with_both_incidents_and_moves_the_case_to_email_only(
    session: Session, shop
) -> None:
    case, _ = _mail(session, shop, ABUSE_NB)
    warning = session.scalars(select(CaseEntry).where(CaseEntry.kind == "outbound")).one()

    again, _ = _mail(
        session, shop, "Dere er noen jævla svin", message_id="<m2@example.no>", in_reply_to=warning.message_id
    )

    incidents = service.incidents_of_case(session, case.id)
    [proposal] = service.open_proposals(session)
    assert again.id == case.id
    assert [i.outcome for i in incidents] == ["warned", "block_proposed"]
    assert proposal.incident_ids == [i.id for i in incidents]
    assert (proposal.customer_id, proposal.case_id) == (case.customer_id, case.id)
    assert case.official_channels_only is True
    assert len(_outbox(session)) == 1  # one warning, never a second


def test_a_block_proposal_accepted_blocks_the_customer_with_the_case_and_incidents_as_evidence(
    session: Session, shop
) -> None:
    case, _ = _mail(session, shop, ABUSE_NB)
    other, _ = _mail(session, shop, "jævla svin", message_id="<m2@example.no>")  # not a reply: a new case
    proposal = service.open_proposals(session)[0]

    decide_block_proposal(session, proposal_id=proposal.id, actor=AGENT, accept=True)

    block = session.get(CustomerBlock, proposal.block_id)
    assert (proposal.status, block.customer_id, block.reason_code) == (
        "accepted",
        case.customer_id,
        "abusive_language",
    )
    assert block.evidence == {"case_ids": [case.id, other.id], "incident_ids": proposal.incident_ids}


def test_a_shop_whose_policy_blocks_at_once_blocks_on_the_second_abusive_mail(session: Session, shop) -> None:
    shop.settings = {"conduct_policy": {"on_repeat": "block"}}
    case, _ = _mail(session, shop, ABUSE_NB)

    _mail(session, shop, "jævla svin", message_id="<m2@example.no>")

    proposal = session.scalars(select(BlockProposal)).one()
    assert proposal.status == "accepted"
    assert (
        session.scalar(select(CustomerBlock.customer_id).where(CustomerBlock.id == proposal.block_id))
        == case.customer_id
    )


def test_a_legal_threat_escalates_the_case_to_legal_and_holds_the_customers_records(
    session: Session, shop
) -> None:
    case, _ = _mail(session, shop, "Jeg kommer til å saksøke dere.")

    assert (case.queue, case.priority) == ("legal", "high")
    assert service.is_on_legal_hold(session, case.customer_id) is True
    assert [c.id for c in service.legal_queue(session)] == [case.id]
    assert _outbox(session) == []  # a legal threat is not argued with by mail


def test_a_lifted_legal_hold_no_longer_holds(session: Session, shop) -> None:
    case, _ = _mail(session, shop, "Jeg kommer til å saksøke dere.")
    [hold] = service.active_holds(session, case.customer_id)

    lift_legal_hold(session, hold_id=hold.id, actor=AGENT)

    assert service.is_on_legal_hold(session, case.customer_id) is False


def test_a_physical_threat_flags_the_case_urgent(session: Session, shop) -> None:
    case, _ = _mail(session, shop, "Jeg vet hvor du bor.")

    assert (case.urgent, case.priority) == (True, "urgent")
    assert [i.outcome for i in service.incidents_of_case(session, case.id)] == ["escalated_urgent"]


def test_an_ordinary_complaint_records_no_incident(session: Session, shop) -> None:
    case, _ = _mail(session, shop, "Dette er helt latterlig, elendig service.")

    assert service.incidents_of_case(session, case.id) == []
    assert _outbox(session) == []


def test_dismissed_detections_count_against_the_precision_shown_to_the_merchant(
    session: Session, shop
) -> None:
    first, _ = _mail(session, shop, ABUSE_NB)
    second, _ = _mail(
        session, shop, "Jeg vet hvor du bor.", sender="ola@example.no", message_id="<m9@example.no>"
    )
    [a] = service.incidents_of_case(session, first.id)
    [b] = service.incidents_of_case(session, second.id)

    review_incident(session, incident_id=a.id, actor=AGENT, confirm=True)
    review_incident(session, incident_id=b.id, actor=AGENT, confirm=False)

    assert service.detection_precision(session) == 0.5
    assert service.incident_counts(session) == {"detected": 0, "confirmed": 1, "dismissed": 1}


def test_a_detection_reviewed_twice_is_refused_and_nothing_changes(session: Session, shop) -> None:
    case, _ = _mail(session, shop, ABUSE_NB)
    [incident] = service.incidents_of_case(session, case.id)
    review_incident(session, incident_id=incident.id, actor=AGENT, confirm=True)
    before = row_counts(session)

    with pytest.raises(Conflict) as refused:
        review_incident(session, incident_id=incident.id, actor=AGENT, confirm=False)

    assert refused.value.code == "incident_reviewed"
    assert session.get(ConductIncident, incident.id).status == "confirmed"
    assert row_counts(session) == before


def test_a_polite_reply_quoting_the_abusive_mail_is_judged_on_its_own_words(session: Session, shop) -> None:
    case, _ = _mail(session, shop, ABUSE_NB)
    quoted = f"Beklager, det var dumt sagt.\n\nDen 5. des. 2026 kl. 19:50 skrev Kari <kari@example.no>:\n> {ABUSE_NB}"

    _mail(session, shop, quoted, message_id="<m2@example.no>", in_reply_to="<m1@example.no>")

    assert [i.outcome for i in service.incidents_of_case(session, case.id)] == ["warned"]
    assert service.open_proposals(session) == []


def test_a_line_that_only_looks_like_a_reply_header_is_still_read(session: Session, shop) -> None:
    case, _ = _mail(session, shop, "Jeg skrev til dere i går:\nDere er noen jævla idioter.")

    assert [i.category for i in service.incidents_of_case(session, case.id)] == ["abuse"]
