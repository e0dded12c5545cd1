"""JSON routes for cases: mail in from a relay, the conduct check, cases, replies, notes and verdicts.

``POST /v1/inbound/email`` is called by a mail relay, signed with the shared secret (no API key);
the rest take an API key: reading ``read``, answering and reviewing ``work_orders``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from storeguard.cases import actions, conduct_actions, service
from storeguard.cases.enums import CaseError
from storeguard.cases.inbound import SIGNATURE_HEADER, parse_mail, signature_ok
from storeguard.core.actor import Actor
from storeguard.core.api import CanRead, CanWorkOrders, SessionDep
from storeguard.core.config import get_settings
from storeguard.core.errors import Forbidden, Invalid
from storeguard.core.schemas import Id
from storeguard.shops.models import Shop
from storeguard.shops.service import first_shop, get_shop_by_domain

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not signed with the shared secret (email_unsigned)", **_PROBLEM},
    404: {"description": "No such case or incident", **_PROBLEM},
    409: {"description": "Closed, reviewed already, or email only", **_PROBLEM},
    422: {"description": "Invalid input (email_malformed, attachment_too_large, …)", **_PROBLEM},
}
router = APIRouter(prefix="/v1", tags=["cases"], responses=PROBLEMS)
inbound_router = APIRouter(prefix="/v1", tags=["cases"], responses=PROBLEMS)
RELAY = Actor("webhook", "mail-relay")


class ConductCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=20_000)
    language: str | None = Field(
        default=None, description="en, nb, he or zh; told from the text when left out"
    )


class TriggerRead(BaseModel):
    category: str
    term: str
    language: str
    matched: str


class ConductCheckRead(BaseModel):
    language: str
    categories: list[str]
    triggers: list[TriggerRead]


class InboundAck(BaseModel):
    case_id: int
    entry_id: int
    incidents: list[int]


class CaseEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    channel: str
    author: str
    subject: str | None
    body: str
    attachments: list[dict[str, Any]]
    message_id: str | None
    in_reply_to: str | None
    language: str | None
    corrects_entry_id: int | None
    created_at: datetime


class CaseLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="order, return or dispute")
    ref_id: int


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    shop_id: int
    customer_id: int | None
    subject: str
    channel: str
    status: str
    priority: str
    queue: str
    urgent: bool
    official_channels_only: bool
    assignee: str | None
    tags: list[str]
    customer_email: str | None
    language: str
    first_answer_due_at: datetime | None
    resolution_due_at: datetime | None
    first_answered_at: datetime | None
    created_at: datetime
    entries: list[CaseEntryRead] = []


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shop_id: int
    channel: str = Field(description="email, chat, phone or form")
    subject: str = Field(default="", max_length=300)
    customer_id: int | None = None
    customer_email: str | None = Field(default=None, max_length=320)
    priority: str = "normal"
    links: list[CaseLinkIn] = []
    message: str | None = Field(default=None, max_length=50_000, description="the customer's first message")


class CustomerMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=50_000)
    channel: str | None = Field(default=None, description="the case's channel when left out")


class CaseReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=50_000)
    channel: str = "email"


class CaseNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(max_length=50_000)
    corrects_entry_id: int | None = None


class CaseUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = None
    priority: str | None = None
    assignee: str | None = None
    tags: list[str] | None = None


class IncidentReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: str = Field(description="confirm or dismiss")


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    customer_id: int | None
    category: str
    language: str
    triggers: list[dict[str, Any]]
    status: str
    outcome: str
    proposal_id: int | None
    created_at: datetime


def _shop_of_mail(session: Session, shop: str | None) -> Shop:
    found = get_shop_by_domain(session, shop) if shop else first_shop(session)
    if found is None:
        raise Invalid(
            CaseError.shop_required, "name the shop the mail is for (?shop=its domain)", field="shop"
        )
    return found


async def _raw(request: Request) -> bytes:
    return await request.body()


@inbound_router.post("/inbound/email", response_model=InboundAck, status_code=201, name="cases.inbound_email")
def inbound_email(
    session: SessionDep,
    raw: Annotated[bytes, Depends(_raw)],
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    shop: Annotated[str | None, Query(max_length=255)] = None,
) -> InboundAck:
    """Take a raw RFC 5322 mail from the relay into its case (threaded), checked for conduct."""
    if not signature_ok(get_settings().inbound_email_secret, raw, signature):
        raise Forbidden(
            CaseError.email_unsigned, f"the mail is not signed with the shared secret ({SIGNATURE_HEADER})"
        )
    mail = parse_mail(raw)
    target = _shop_of_mail(session, shop)
    case, entry = actions.receive_email(session, shop_id=target.id, mail=mail, actor=RELAY)
    incidents = [i.id for i in service.incidents_of_case(session, case.id) if i.entry_id == entry.id]
    session.commit()
    return InboundAck(case_id=case.id, entry_id=entry.id, incidents=incidents)


@router.post("/conduct/check", response_model=ConductCheckRead, name="cases.conduct_check")
def conduct_check(body: ConductCheckIn, session: SessionDep, _: CanRead) -> ConductCheckRead:
    """Say what a text holds (abuse, legal or physical threats), its language and the words; nothing is kept."""
    shop = first_shop(session)
    edits = shop.settings.get("conduct_lexicon") if shop else None
    if body.language is not None and body.language not in ("en", "nb", "he", "zh"):
        raise Invalid(
            CaseError.invalid_language, f"{body.language!r} is not en, nb, he or zh", field="language"
        )
    finding = conduct_actions.check_text(body.text, language=body.language, edits=edits)
    return ConductCheckRead.model_validate(finding.as_dict())


@router.get("/cases", response_model=list[CaseRead], name="cases.list")
def list_cases(
    session: SessionDep, _: CanRead, queue: Annotated[str | None, Query(pattern="^(support|legal)$")] = None
) -> list[Any]:
    """Open cases, the one due soonest first."""
    return [
        CaseRead.model_validate(c).model_copy(update={"entries": []})
        for c in service.list_cases(session, queue=queue)
    ]


@router.get("/cases/{case_id}", response_model=CaseRead, name="cases.detail")
def get_case(case_id: Id, session: SessionDep, _: CanRead) -> CaseRead:
    """A case with its whole log."""
    return CaseRead.model_validate(service.get_case(session, case_id))


@router.post("/cases", response_model=CaseRead, status_code=201, name="cases.create")
def create_case(body: CaseCreate, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Open a case from chat, phone or a form (mail opens its own), with the customer's first message."""
    case = actions.open_case(
        session,
        shop_id=body.shop_id,
        channel=body.channel,
        actor=actor,
        subject=body.subject,
        customer_id=body.customer_id,
        customer_email=body.customer_email,
        priority=body.priority,
        links=[(link.kind, link.ref_id) for link in body.links],
    )
    if body.message:
        actions.record_message(session, case=case, body=body.message, actor=actor)
    session.commit()
    return service.get_case(session, case.id)


@router.post(
    "/cases/{case_id}/messages", response_model=CaseEntryRead, status_code=201, name="cases.customer_message"
)
def customer_message(case_id: Id, body: CustomerMessageIn, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Log what the customer said on chat, phone or a form; it is checked for conduct like mail."""
    case = actions.locked_case(session, case_id)
    entry = actions.record_message(session, case=case, body=body.body, actor=actor, channel=body.channel)
    session.commit()
    return entry


@router.post("/cases/{case_id}/links", response_model=CaseRead, name="cases.link")
def link(case_id: Id, body: CaseLinkIn, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Link an order, return or dispute of the shop to the case."""
    case = actions.locked_case(session, case_id)
    actions.link_case(session, case=case, kind=body.kind, ref_id=body.ref_id, actor=actor)
    session.commit()
    return case


@router.post("/cases/{case_id}/replies", response_model=CaseEntryRead, status_code=201, name="cases.reply")
def reply(case_id: Id, body: CaseReplyIn, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Answer the customer (by mail through the outbox, threaded)."""
    entry = actions.reply_to_case(session, case_id=case_id, actor=actor, body=body.body, channel=body.channel)
    session.commit()
    return entry


@router.post("/cases/{case_id}/notes", response_model=CaseEntryRead, status_code=201, name="cases.note")
def note(case_id: Id, body: CaseNoteIn, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Keep a note for the team, or a correction of an earlier entry."""
    entry = actions.add_case_note(
        session, case_id=case_id, actor=actor, body=body.body, corrects_entry_id=body.corrects_entry_id
    )
    session.commit()
    return entry


@router.patch("/cases/{case_id}", response_model=CaseRead, name="cases.update")
def update(case_id: Id, body: CaseUpdateIn, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Change a case's status, priority, assignee or tags."""
    case = actions.update_case(session, case_id=case_id, actor=actor, **body.model_dump())
    session.commit()
    return case


@router.get("/conduct/incidents", response_model=list[IncidentRead], name="cases.incidents")
def incidents(
    session: SessionDep,
    _: CanRead,
    status: Annotated[str | None, Query(pattern="^(detected|confirmed|dismissed)$")] = None,
) -> list[Any]:
    """Detections, newest first."""
    return list(service.list_incidents(session, status=status))


@router.post(
    "/conduct/incidents/{incident_id}/review", response_model=IncidentRead, name="cases.review_incident"
)
def review(incident_id: Id, body: IncidentReviewIn, session: SessionDep, actor: CanWorkOrders) -> Any:
    """Confirm a detection, or dismiss it as a false positive."""
    if body.verdict not in ("confirm", "dismiss"):
        raise Invalid(CaseError.invalid_status, "the verdict is confirm or dismiss", field="verdict")
    incident = conduct_actions.review_incident(
        session, incident_id=incident_id, actor=actor, confirm=body.verdict == "confirm"
    )
    session.commit()
    return incident
