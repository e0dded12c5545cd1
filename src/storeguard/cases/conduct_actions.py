"""Conduct incidents: what the policy does with a detection, the team's verdict, blocks and legal holds.

First abuse: one warning mail in the customer's language. A repeat within the window: a block
proposal with the incidents as evidence (or a block at once, per policy), and the case moves to
email only. A legal threat: the case goes to the legal queue and the customer's records on hold.
A physical threat: the case is flagged urgent.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases import policy
from storeguard.cases.conduct import Finding, detector
from storeguard.cases.enums import CaseError, CasePriority, CaseQueue, ConductCategory, IncidentStatus
from storeguard.cases.inbound import own_words
from storeguard.cases.mail import log_sent_mail, next_mail_headers
from storeguard.cases.models import BlockProposal, Case, CaseEntry, ConductIncident, LegalHold
from storeguard.core.actor import SYSTEM, Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.customers.service import get_customer
from storeguard.lists.blocking import active_block, block_customer
from storeguard.notifications.actions import send_notice
from storeguard.notifications.enums import NoticeKind
from storeguard.notifications.render import notice_language
from storeguard.shops.service import get_shop


def check_inbound(session: Session, *, case: Case, entry: CaseEntry, actor: Actor) -> list[ConductIncident]:
    """Check a customer's message and apply the shop's conduct policy to what it finds."""
    shop = get_shop(session, case.shop_id)
    finding = detector(shop.settings.get("conduct_lexicon")).check(own_words(entry.body))
    entry.language = finding.language
    case.language = finding.language
    rules = policy.conduct_policy(shop.settings)
    incidents = []
    for category in finding.categories:
        incident = ConductIncident(
            shop_id=case.shop_id,
            case_id=case.id,
            entry_id=entry.id,
            customer_id=case.customer_id,
            category=category,
            language=finding.language,
            triggers=[t for t in finding.as_dict()["triggers"] if t["category"] == category],
            created_at=now(),
        )
        session.add(incident)
        session.flush()
        if category == ConductCategory.abuse:
            _answer_abuse(session, case=case, incident=incident, rules=rules)
        elif category == ConductCategory.legal_threat:
            _escalate_legal(session, case=case, incident=incident, rules=rules)
        else:
            incident.outcome = policy.outcome_of(category)
            case.urgent = True
            case.priority = CasePriority.urgent
        session.flush()
        record_event(
            session,
            actor=actor,
            action="conduct.detected",
            subject_type="case",
            subject_id=case.id,
            data={
                "incident_id": incident.id,
                "category": str(category),
                "terms": [t["term"] for t in incident.triggers],
                "outcome": incident.outcome,
            },
        )
        incidents.append(incident)
    return incidents


def _earlier_abuse(
    session: Session, case: Case, incident: ConductIncident, window_days: int
) -> list[ConductIncident]:
    """The customer's other abusive incidents in the window, not dismissed (the case's, without a customer)."""
    owner = (
        ConductIncident.customer_id == case.customer_id
        if case.customer_id is not None
        else ConductIncident.case_id == case.id
    )
    return list(
        session.scalars(
            select(ConductIncident)
            .where(
                owner,
                ConductIncident.category == ConductCategory.abuse,
                ConductIncident.status != IncidentStatus.dismissed,
                ConductIncident.id != incident.id,
                ConductIncident.created_at >= now() - timedelta(days=window_days),
            )
            .order_by(ConductIncident.id)
        )
    )


def _answer_abuse(session: Session, *, case: Case, incident: ConductIncident, rules: dict) -> None:
    earlier = _earlier_abuse(session, case, incident, int(rules["repeat_window_days"]))
    step = policy.abuse_step(rules, len(earlier))
    if step == "warned":
        send_conduct_warning(session, case=case, incident=incident)
    elif case.customer_id is not None and active_block(session, case.customer_id) is None:
        evidence = [*(i.id for i in earlier), incident.id]
        proposal = session.scalar(
            select(BlockProposal).where(
                BlockProposal.customer_id == case.customer_id, BlockProposal.status == "proposed"
            )
        )
        if proposal is None:
            proposal = BlockProposal(
                shop_id=case.shop_id,
                customer_id=case.customer_id,
                case_id=case.id,
                incident_ids=evidence,
                created_at=now(),
            )
            session.add(proposal)
        else:
            proposal.incident_ids = list(dict.fromkeys([*proposal.incident_ids, *evidence]))
        session.flush()
        incident.proposal_id = proposal.id
        if step == "blocked":
            _block_from(session, proposal, actor=SYSTEM, reason_code=str(rules["block_reason_code"]))
    case.official_channels_only = case.official_channels_only or step != "warned"
    incident.outcome = step


# The warning's ``reason``: what broke the policy, in plain words in the message's language.
ABUSE_REASON = {
    "en": "insulting or abusive language towards our staff.",
    "nb": "fornærmende eller krenkende språk mot medarbeiderne våre.",
    "he": "שפה מעליבה או פוגענית כלפי הצוות שלנו.",
    "zh": "对我们员工的侮辱性或辱骂性语言。",
}


def send_conduct_warning(session: Session, *, case: Case, incident: ConductIncident) -> CaseEntry:
    """Queue the one conduct warning in the message's language and keep it in the case's log.

    The words are the merchant's ``conduct_warning`` notice template (the shipped one until edited),
    so the warning is also in the customer's log of mail; it is threaded after the case's messages.
    """
    if not case.customer_email:
        raise Conflict(CaseError.no_customer_address, "the case has no customer email address to warn")
    shop = get_shop(session, case.shop_id)
    customer = get_customer(session, case.customer_id) if case.customer_id is not None else None
    language = notice_language(incident.language)
    outbox = send_notice(
        session,
        kind=NoticeKind.conduct_warning,
        customer=customer,
        shop=shop,
        to=case.customer_email,
        language=language,
        context={"reason": ABUSE_REASON[language], "case_reference": str(case.id)},
        links={"case_id": case.id, "incident_id": incident.id, **next_mail_headers(session, case)},
    )
    entry = log_sent_mail(session, case=case, outbox=outbox, author=str(SYSTEM))
    record_event(
        session,
        actor=SYSTEM,
        action="conduct.warned",
        subject_type="case",
        subject_id=case.id,
        data={"incident_id": incident.id, "language": language, "entry_id": entry.id},
    )
    return entry


def _escalate_legal(session: Session, *, case: Case, incident: ConductIncident, rules: dict) -> None:
    case.queue = CaseQueue.legal
    case.priority = CasePriority.high if case.priority != CasePriority.urgent else case.priority
    incident.outcome = policy.outcome_of(ConductCategory.legal_threat)
    if rules.get("legal_hold") and case.customer_id is not None:
        place_legal_hold(
            session,
            customer_id=case.customer_id,
            case_id=case.id,
            actor=SYSTEM,
            reason=f"legal threat in case {case.id}: " + ", ".join(t["term"] for t in incident.triggers),
        )


def place_legal_hold(
    session: Session, *, customer_id: int, actor: Actor, reason: str, case_id: int | None = None
) -> LegalHold:
    """Keep a customer's records (orders, messages, disputes, blocks) from erasure; one open hold at a time."""
    customer = get_customer(session, customer_id)
    held = session.scalar(
        select(LegalHold).where(LegalHold.customer_id == customer.id, LegalHold.lifted_at.is_(None))
    )
    if held is not None:
        return held
    if not reason.strip():
        raise Invalid(CaseError.body_required, "say why the records are held", field="reason")
    hold = LegalHold(
        shop_id=customer.shop_id,
        customer_id=customer.id,
        case_id=case_id,
        reason=reason.strip(),
        placed_by=str(actor),
        placed_at=now(),
    )
    session.add(hold)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="legal_hold.placed",
        subject_type="legal_hold",
        subject_id=hold.id,
        data={"customer_id": customer.id, "case_id": case_id},
    )
    return hold


def lift_legal_hold(session: Session, *, hold_id: int, actor: Actor) -> LegalHold:
    """Lift a legal hold: the records may be erased again."""
    hold = session.scalar(select(LegalHold).where(LegalHold.id == hold_id).with_for_update(key_share=True))
    if hold is None:
        raise NotFound(CaseError.hold_not_found, f"no legal hold {hold_id}")
    if hold.lifted_at is not None:
        raise Conflict(CaseError.incident_reviewed, "this hold was lifted already")
    hold.lifted_at, hold.lifted_by = now(), str(actor)
    session.flush()
    record_event(
        session, actor=actor, action="legal_hold.lifted", subject_type="legal_hold", subject_id=hold.id
    )
    return hold


def review_incident(session: Session, *, incident_id: int, actor: Actor, confirm: bool) -> ConductIncident:
    """Confirm a detection, or dismiss it as a false positive (it then counts against precision)."""
    incident = session.scalar(
        select(ConductIncident).where(ConductIncident.id == incident_id).with_for_update(key_share=True)
    )
    if incident is None:
        raise NotFound(CaseError.incident_not_found, f"no incident {incident_id}")
    if incident.status != IncidentStatus.detected:
        raise Conflict(CaseError.incident_reviewed, f"incident {incident.id} was {incident.status} already")
    incident.status = IncidentStatus.confirmed if confirm else IncidentStatus.dismissed
    incident.reviewed_by, incident.reviewed_at = str(actor), now()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="conduct.confirmed" if confirm else "conduct.dismissed",
        subject_type="conduct_incident",
        subject_id=incident.id,
        data={"case_id": incident.case_id, "category": str(incident.category)},
    )
    return incident


def _block_from(session: Session, proposal: BlockProposal, *, actor: Actor, reason_code: str) -> None:
    # Every case the incidents came from is evidence, not only the one that proposed the block.
    incident_cases = session.scalars(
        select(ConductIncident.case_id)
        .where(ConductIncident.id.in_(proposal.incident_ids))
        .order_by(ConductIncident.id)
    )
    case_ids = list(dict.fromkeys([*incident_cases, proposal.case_id]))
    block = block_customer(
        session,
        customer_id=proposal.customer_id,
        actor=actor,
        reason_code=reason_code,
        evidence={"case_ids": case_ids, "incident_ids": list(proposal.incident_ids)},
    )
    proposal.status, proposal.block_id = "accepted", block.id
    proposal.decided_by, proposal.decided_at = str(actor), now()
    session.flush()


def decide_block_proposal(session: Session, *, proposal_id: int, actor: Actor, accept: bool) -> BlockProposal:
    """Block the customer with the incidents as evidence, or turn the proposal down."""
    proposal = session.scalar(
        select(BlockProposal).where(BlockProposal.id == proposal_id).with_for_update(key_share=True)
    )
    if proposal is None:
        raise NotFound(CaseError.incident_not_found, f"no block proposal {proposal_id}")
    if proposal.status != "proposed":
        raise Conflict(
            CaseError.incident_reviewed, f"block proposal {proposal.id} was {proposal.status} already"
        )
    shop = get_shop(session, proposal.shop_id)
    if accept:
        _block_from(
            session,
            proposal,
            actor=actor,
            reason_code=str(policy.conduct_policy(shop.settings)["block_reason_code"]),
        )
    else:
        proposal.status, proposal.decided_by, proposal.decided_at = "rejected", str(actor), now()
        session.flush()
    record_event(
        session,
        actor=actor,
        action="block_proposal.accepted" if accept else "block_proposal.rejected",
        subject_type="block_proposal",
        subject_id=proposal.id,
        data={
            "customer_id": proposal.customer_id,
            "incident_ids": list(proposal.incident_ids),
            "block_id": proposal.block_id,
        },
    )
    return proposal


def check_text(text: str, *, language: str | None = None, edits: dict | None = None) -> Finding:
    """Check a text without storing anything (the check route, a merchant's helpdesk)."""
    if not text.strip():
        raise Invalid(CaseError.text_required, "give the text to check", field="text")
    return detector(edits).check(text, language)
