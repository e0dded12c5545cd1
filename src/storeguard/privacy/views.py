"""Privacy on the customer page: export a customer's data, erase it on request (admins), and say
plainly when a customer's data was erased."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.customers.models import Customer
from storeguard.customers.service import get_customer
from storeguard.privacy.actions import erase_customer, export_customer
from storeguard.privacy.enums import PrivacyError
from storeguard.staff.pages import PageErasePersonalData, PageReadAudit
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.forms import FormDep, attempt
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.timeline import register_event_words

register_refusals(
    {
        PrivacyError.legal_hold: N_(
            "A legal hold keeps this customer's records: nothing of theirs may be erased until it is lifted."
        ),
        PrivacyError.erasure_key_not_set: N_(
            "No erasure key is set on the server (STOREGUARD_ERASURE_KEY): a block keeps an erased customer's identifiers only as hashes under it."
        ),
        PrivacyError.already_erased: N_("This customer's personal data was erased already."),
        PrivacyError.invalid_retention: N_("A retention limit is 1 to 36500 days, or empty to keep."),
    }
)
register_event_words(
    {
        "customer.exported": N_("Data exported"),
        "customer.erased": N_("Personal data erased"),
        "privacy.retention_set": N_("Retention limits changed"),
        "privacy.retention_applied": N_("Retention applied"),
    }
)


def _user_can(request: Request, permission: Permission) -> bool:
    user = getattr(request.state, "page_user", None)
    return user is not None and user.can(permission)


def privacy_panel(request: Request, session: Session, customer: Customer) -> Panel | None:
    """Export and erasure, for those who may do them; an erased customer is said to be erased."""
    may_export = _user_can(request, Permission.read_audit)
    may_erase = _user_can(request, Permission.erase_personal_data)
    if customer.erased_at is None and not (may_export or may_erase):
        return None
    context: dict[str, Any] = {"may_export": may_export, "may_erase": may_erase}
    return Panel(
        "privacy/_customer_privacy.html", context, order=90, title=N_("Personal data"), anchor="privacy-h"
    )


add_panel("customer.side", "privacy.actions", privacy_panel)

router = APIRouter(include_in_schema=False)


@router.get("/customers/{customer_id}/export.json", name="privacy.page_export")
def export(actor: PageReadAudit, session: SessionDep, customer_id: Id) -> Response:
    """Download everything held about the customer as a JSON file; the export is audited."""
    data = export_customer(session, customer_id=customer_id, actor=actor)
    session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'},
    )


@router.post("/customers/{customer_id}/erase", name="privacy.page_erase")
def erase(
    actor: PageErasePersonalData, request: Request, session: SessionDep, customer_id: Id, data: FormDep
) -> Response:
    """Erase the customer's personal data, with the reason given; a refusal is said and nothing changes."""
    said = speaker(request)
    get_customer(session, customer_id)
    response = RedirectResponse(f"/customers/{customer_id}#privacy-h", status_code=303)
    try:
        with attempt(session):
            result = erase_customer(
                session, customer_id=customer_id, actor=actor, reason=str(data.get("reason") or "")
            )
    except DomainError as error:
        flash.add(response, request, describe(error, said))
        return response
    session.commit()
    result.remove_files()
    flash.add(response, request, said.gettext("Customer #%(id)s's personal data is erased.", id=customer_id))
    return response
