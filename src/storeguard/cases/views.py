"""Cases on the admin pages: the inbox by time left, a case with its thread, the reply composer and
notes, incidents with confirm / dismiss and the precision, the legal queue, and the customer's cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from storeguard.cases import actions, conduct_actions, service
from storeguard.cases.enums import CaseError, CasePriority, CaseStatus, ConductCategory
from storeguard.cases.models import Case
from storeguard.core.api import SessionDep
from storeguard.core.audit import events_for
from storeguard.core.clock import now
from storeguard.core.schemas import Id
from storeguard.staff.pages import PageRead, PageWorkOrders
from storeguard.web.context import NavItem, add_nav
from storeguard.web.forms import Form, FormDep, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import ATTENTION, Panel, add_panel, tile
from storeguard.web.refusals import register_refusals
from storeguard.web.steps import take_step
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words, timeline_items

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Cases"), "/cases", order=22))

STATUS = {
    CaseStatus.new: (N_("New"), "warn"),
    CaseStatus.open: (N_("Open"), "info"),
    CaseStatus.waiting_on_customer: (N_("Waiting on customer"), ""),
    CaseStatus.resolved: (N_("Resolved"), "ok"),
    CaseStatus.closed: (N_("Closed"), ""),
}
PRIORITY = {
    CasePriority.low: N_("Low"),
    CasePriority.normal: N_("Normal"),
    CasePriority.high: N_("High"),
    CasePriority.urgent: N_("Urgent"),
}
CATEGORY = {
    ConductCategory.abuse: (N_("Abusive language"), "bad"),
    ConductCategory.legal_threat: (N_("Legal threat"), "warn"),
    ConductCategory.physical_threat: (N_("Physical threat"), "bad"),
}
OUTCOME = {
    "warned": N_("Warning sent"),
    "block_proposed": N_("Block proposed"),
    "blocked": N_("Blocked"),
    "escalated_legal": N_("Sent to the legal queue"),
    "escalated_urgent": N_("Flagged urgent"),
    "recorded": N_("Recorded"),
}
INCIDENT_STATUS = {
    "detected": (N_("To review"), "warn"),
    "confirmed": (N_("Confirmed"), "bad"),
    "dismissed": (N_("Dismissed"), ""),
}
CHANNEL = {"email": N_("Email"), "chat": N_("Chat"), "phone": N_("Phone"), "form": N_("Form")}
register_refusals(
    {
        CaseError.body_required: N_("Write the message first."),
        CaseError.case_closed: N_("This case is closed."),
        CaseError.channel_not_allowed: N_("This customer is answered by email only."),
        CaseError.no_customer_address: N_("The case has no email address to answer."),
        CaseError.incident_reviewed: N_("This was decided already."),
        CaseError.unknown_assignee: N_("No staff member has this email address."),
    }
)
register_event_words(
    {
        "case.opened": N_("Case opened"),
        "case.message_received": N_("Message received"),
        "case.answered": N_("Answered"),
        "case.note_added": N_("Note added"),
        "case.updated": N_("Case updated"),
        "case.linked": N_("Linked"),
        "conduct.detected": N_("Conduct detected"),
        "conduct.warned": N_("Conduct warning sent"),
    }
)


def _labels() -> dict[str, Any]:
    return {
        "case_status": STATUS,
        "priorities": PRIORITY,
        "categories": CATEGORY,
        "outcomes": OUTCOME,
        "incident_status": INCIDENT_STATUS,
        "channels": CHANNEL,
    }


def _row(case: Case, at: datetime) -> dict[str, Any]:
    clock = service.clock_of(case, at)
    return {"c": case, "clock": clock, "late": clock.left is not None and clock.left.total_seconds() < 0}


def case_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Cases past a service target, and detections waiting for a person."""
    at = now()
    late = sum(1 for c in service.list_cases(session, limit=1000) if _row(c, at)["late"])
    waiting = service.incident_counts(session)["detected"]
    return [
        tile(
            N_("Cases past their target"), late, attention=late > 0, order=30, group=ATTENTION, href="/cases"
        ),
        tile(
            N_("Conduct detections to review"),
            waiting,
            attention=waiting > 0,
            order=31,
            group=ATTENTION,
            href="/cases/incidents",
        ),
    ]


add_panel("dashboard.tiles", "cases.due", case_tiles)


def customer_cases_panel(request: Request, session: Session, customer: Any) -> Panel | None:
    """The customer's cases, incidents and any legal hold on the customer page."""
    cases = service.list_cases(session, customer_id=customer.id) + service.list_cases(
        session, customer_id=customer.id, done=True, limit=10
    )
    holds = service.active_holds(session, customer.id)
    if not cases and not holds:
        return None
    at = now()
    return Panel(
        "cases/_customer_cases.html",
        {"rows": [_row(c, at) for c in cases], "holds": holds, "now": at, **_labels()},
        order=12,
    )


add_panel("customer.main", "cases.of_customer", customer_cases_panel)


def _inbox(request: Request, session: Session, *, legal: bool) -> Response:
    at = now()
    rows = service.list_cases(session, queue="legal" if legal else None)
    context = {
        "rows": [_row(c, at) for c in rows],
        "done": [_row(c, at) for c in service.list_cases(session, done=True, limit=20)] if not legal else [],
        "breaches": service.breach_counts(session, at),
        "legal": legal,
        "holds": service.active_holds(session) if legal else [],
        "now": at,
        **_labels(),
    }
    return render(request, "cases/inbox.html", context)


@router.get("/cases", name="cases.page_list")
def inbox(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Open cases, the one with the least time left first; breaches counted."""
    return _inbox(request, session, legal=False)


@router.get("/cases/legal", name="cases.page_legal")
def legal_queue(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Cases escalated after a legal threat, and the customers whose records are held."""
    return _inbox(request, session, legal=True)


@router.get("/cases/incidents", name="cases.page_incidents")
def incidents(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Every detection with its words, to confirm or dismiss; the precision of those reviewed."""
    context = {
        "incidents": service.list_incidents(session),
        "counts": service.incident_counts(session),
        "precision": service.detection_precision(session),
        "proposals": service.open_proposals(session),
        "form": Form(),
        **_labels(),
    }
    return render(request, "cases/incidents.html", context)


def _case_page(
    request: Request, session: Session, case_id: int, form: Form | None = None, status: int = 200
) -> Response:
    case = service.get_case(session, case_id)
    at = now()
    context = {
        "row": _row(case, at),
        "case": case,
        "entries": service.entries_of_case(session, case.id),
        "incidents": service.incidents_of_case(session, case.id),
        "proposals": service.open_proposals(session, case.customer_id) if case.customer_id else [],
        "on_hold": service.is_on_legal_hold(session, case.customer_id) if case.customer_id else False,
        "timeline": timeline_items(events_for(session, "case", case.id)),
        "reply_channels": ["email"] if case.official_channels_only else ["email", "chat", "phone"],
        "statuses": list(CaseStatus),
        "form": form
        or Form(values={"status": case.status, "priority": case.priority, "assignee": case.assignee or ""}),
        "now": at,
        **_labels(),
    }
    return render(request, "cases/detail.html", context, status_code=status)


@router.get("/cases/{case_id}", name="cases.page_detail")
def case_page(actor: PageRead, request: Request, session: SessionDep, case_id: Id) -> Response:
    """A case: the thread, incidents, the reply composer and internal notes."""
    return _case_page(request, session, case_id)


def _act(
    request: Request, session: Session, case_id: int, form: Form, do: Callable[[], object], done: str
) -> Response:
    return take_step(
        request,
        session,
        do,
        form=form,
        done_url=f"/cases/{case_id}",
        done=done,
        show_again=lambda refused, status: _case_page(request, session, case_id, refused, status),
    )


@router.post("/cases/{case_id}/reply", name="cases.page_reply")
def reply(
    actor: PageWorkOrders, request: Request, session: SessionDep, case_id: Id, data: FormDep
) -> Response:
    """Answer the customer."""
    form = sent(data)
    return _act(
        request,
        session,
        case_id,
        form,
        lambda: actions.reply_to_case(
            session,
            case_id=case_id,
            actor=actor,
            body=str(form.value("body")),
            channel=str(form.value("channel") or "email"),
        ),
        N_("Answer sent."),
    )


@router.post("/cases/{case_id}/notes", name="cases.page_note")
def note(
    actor: PageWorkOrders, request: Request, session: SessionDep, case_id: Id, data: FormDep
) -> Response:
    """Keep an internal note (never sent to the customer)."""
    form = sent(data)
    return _act(
        request,
        session,
        case_id,
        form,
        lambda: actions.add_case_note(session, case_id=case_id, actor=actor, body=str(form.value("note"))),
        N_("Note added."),
    )


@router.post("/cases/{case_id}/update", name="cases.page_update")
def update(
    actor: PageWorkOrders, request: Request, session: SessionDep, case_id: Id, data: FormDep
) -> Response:
    """Change the status, priority or assignee."""
    form = sent(data)
    return _act(
        request,
        session,
        case_id,
        form,
        lambda: actions.update_case(
            session,
            case_id=case_id,
            actor=actor,
            status=str(form.value("status")),
            priority=str(form.value("priority")),
            assignee=str(form.value("assignee") or ""),
        ),
        N_("Case updated."),
    )


@router.post("/cases/{case_id}/incidents/{incident_id}/review", name="cases.page_review")
def review(
    actor: PageWorkOrders, request: Request, session: SessionDep, case_id: Id, incident_id: Id, data: FormDep
) -> Response:
    """Confirm a detection, or dismiss it as a false positive."""
    form = sent(data)
    confirm = form.value("verdict") == "confirm"
    return _act(
        request,
        session,
        case_id,
        form,
        lambda: conduct_actions.review_incident(
            session, incident_id=incident_id, actor=actor, confirm=confirm
        ),
        N_("Detection confirmed.") if confirm else N_("Detection dismissed."),
    )


@router.post("/cases/{case_id}/proposals/{proposal_id}", name="cases.page_proposal")
def decide_proposal(
    actor: PageWorkOrders, request: Request, session: SessionDep, case_id: Id, proposal_id: Id, data: FormDep
) -> Response:
    """Block the customer with the incidents as evidence, or turn the proposal down."""
    form = sent(data)
    accept = form.value("decision") == "block"
    return _act(
        request,
        session,
        case_id,
        form,
        lambda: conduct_actions.decide_block_proposal(
            session, proposal_id=proposal_id, actor=actor, accept=accept
        ),
        N_("Customer blocked.") if accept else N_("Block proposal turned down."),
    )
