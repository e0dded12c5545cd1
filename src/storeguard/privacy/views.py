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
from storeguard.core.pseudonyms import erasure_key
from storeguard.core.schemas import Id
from storeguard.customers.models import Customer
from storeguard.customers.service import get_customer
from storeguard.privacy.actions import erase_customer, export_customer
from storeguard.privacy.enums import PrivacyError
from storeguard.privacy.retention import KINDS, LIMITS, retention_limits, set_retention, would_erase
from storeguard.shops.service import first_shop
from storeguard.staff.pages import PageErasePersonalData, PageManageSettings, PageReadAudit
from storeguard.staff.settings_views import form_sent_to, show_settings_again
from storeguard.web import flash
from storeguard.web.context import Speaker, speaker
from storeguard.web.forms import Form, FormDep, attempt, refuse, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.timeline import register_event_words

REFUSAL_WORDS: dict[PrivacyError, str] = {
    PrivacyError.legal_hold: N_(
        "A legal hold keeps this customer's records: nothing of theirs may be erased until it is lifted."
    ),
    PrivacyError.erasure_key_not_set: N_(
        "No erasure key is set on the server (STOREGUARD_ERASURE_KEY): a block keeps an erased customer's identifiers only as hashes under it."
    ),
    PrivacyError.already_erased: N_("This customer's personal data was erased already."),
    PrivacyError.invalid_retention: N_("A retention limit is 1 to 36500 days, or empty to keep."),
}
register_refusals(REFUSAL_WORDS)
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


# ---- settings: retention limits ------------------------------------------------------------------

LIMIT_WORDS = {
    "closed_cases_days": (
        N_("Closed cases, after days"),
        N_("A resolved or closed case loses its messages and the customer's name and email."),
    ),
    "messages_days": (N_("Messages, after days"), N_("Any message loses its words and attachments.")),
    "expired_blocks_days": (
        N_("Ended blocks' identifiers, after days"),
        N_("An expired or lifted block's identifiers are kept only as keyed hashes."),
    ),
}
KIND_WORDS = {
    "closed_case": N_("Closed cases erased"),
    "message": N_("Messages erased"),
    "expired_block_identifier": N_("Ended blocks' identifiers hashed"),
}


def retention_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """The shop's retention limits, a form to change them, and what a dry run found."""
    shop = first_shop(session)
    if shop is None:
        return None
    saved = retention_limits(shop)
    form = form_sent_to(request, "retention") or Form(
        values={name: "" if days is None else str(days) for name, days in saved.items()}
    )
    dry_run: dict[str, int] | None = getattr(request.state, "retention_dry_run", None)
    return Panel(
        "privacy/_retention.html",
        {
            "form": form,
            "limits": [(name, *LIMIT_WORDS[name]) for name in LIMITS],
            "dry_run": None if dry_run is None else [(KIND_WORDS[kind], dry_run[kind]) for kind in KINDS],
            "without_key": dry_run is not None
            and dry_run["expired_block_identifier"] > 0
            and erasure_key() is None,
            "may_change": _user_can(request, Permission.manage_settings),
        },
        order=80,
        title=N_("Retention"),
        anchor="retention-h",
    )


add_panel("settings.sections", "privacy.retention", retention_section)


def _limits_sent(form: Form, said: Speaker) -> dict[str, int | None]:
    """Read the form's limits: empty keeps the data (None); a field that is not a whole number is marked."""
    limits: dict[str, int | None] = {}
    for name in LIMITS:
        text = str(form.value(name, "")).strip()
        if not text:
            limits[name] = None
        elif text.isdigit() and len(text) <= 9:
            limits[name] = int(text)
        else:
            form.errors[name] = said.gettext(REFUSAL_WORDS[PrivacyError.invalid_retention])
    return limits


@router.post("/settings/retention", name="privacy.page_retention")
def change_retention(
    actor: PageManageSettings, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Save the retention limits, or (the dry-run button) show what the scheduled pass would erase
    under the limits typed, saving nothing; a bad number is shown again on its field."""
    said, form = speaker(request), sent(data)
    shop = first_shop(session)
    if shop is None:
        return RedirectResponse("/settings", status_code=303)
    limits = _limits_sent(form, said)
    if not form.ok:
        return show_settings_again(request, session, "retention", form, status=422)
    try:
        if form.value("intent") == "dry_run":
            request.state.retention_dry_run = would_erase(session, shop_id=shop.id, limits=limits)
            return show_settings_again(request, session, "retention", form, status=200)
        with attempt(session):
            set_retention(session, shop_id=shop.id, limits=limits, actor=actor)
    except DomainError as error:
        return show_settings_again(
            request, session, "retention", refuse(form, error, said), status=error.status
        )
    session.commit()
    response = RedirectResponse("/settings#retention-h", status_code=303)
    flash.add(
        response, request, said.gettext("The retention limits are saved; the hourly pass applies them.")
    )
    return response
