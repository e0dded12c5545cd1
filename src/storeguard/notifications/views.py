"""Notices on the admin pages: the template editor with a preview (a settings section and its page),
and the mail a customer was sent, on the customer's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.customers.models import Customer
from storeguard.notifications import actions, service
from storeguard.notifications.enums import NoticeKind, NotificationError
from storeguard.notifications.kinds import COMMON, VARIABLES, sample_context
from storeguard.notifications.render import NOTICE_LANGUAGES, Notice, check_template
from storeguard.notifications.render import render as render_notice
from storeguard.shops.service import first_shop
from storeguard.staff.pages import PageManageSettings, PageRead
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.forms import Form, FormDep, attempt, refuse, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel
from storeguard.web.refusals import register_refusals
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words

router = APIRouter(include_in_schema=False)
KINDS = {
    NoticeKind.block_notice: N_("Block notice"),
    NoticeKind.conduct_warning: N_("Conduct warning"),
    NoticeKind.order_cancelled: N_("Order cancelled"),
    NoticeKind.order_refunded: N_("Refund confirmation"),
    NoticeKind.cancellation_request_declined: N_("Cancellation request declined"),
    NoticeKind.return_authorized: N_("Return authorized"),
    NoticeKind.appeal_received: N_("Appeal received"),
    NoticeKind.appeal_decided: N_("Appeal decided"),
    NoticeKind.dispute_message: N_("Payment dispute message"),
}
MAIL_STATUS = {
    "pending": (N_("Waiting to be sent"), "warn"),
    "sent": (N_("Sent"), "ok"),
    "dead": (N_("Could not be sent"), "bad"),
}
register_refusals(
    {
        NotificationError.subject_required: N_("Write a subject."),
        NotificationError.body_required: N_("Write the message first."),
    }
)
register_event_words(
    {"notice_template.saved": N_("Mail template saved"), "notice_template.reset": N_("Mail template reset")}
)


def templates_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """Every kind of notice in every language, each a link to its editor; the merchant's own marked."""
    shop = first_shop(session)
    if shop is None:
        return None
    custom = {(t.kind, t.language) for t in service.templates(session, shop.id) if t.custom}
    return Panel(
        "notifications/_templates.html",
        {"kinds": KINDS, "languages": NOTICE_LANGUAGES, "custom": custom},
        order=26,
        title=N_("Mail templates"),
        anchor="templates-h",
    )


add_panel("settings.sections", "notifications.templates", templates_section)


def customer_mail_panel(request: Request, session: Session, customer: Customer) -> Panel:
    """The mail sent to this customer, newest first, with how sending went."""
    return Panel(
        "notifications/_customer_mail.html",
        {"mails": service.mail_to_customer(session, customer.id), "kinds": KINDS, "statuses": MAIL_STATUS},
        order=60,
        title=N_("Mail to the customer"),
        anchor="mail-h",
    )


add_panel("customer.main", "notifications.mail", customer_mail_panel)


def _editor(
    request: Request,
    session: Session,
    kind: NoticeKind,
    language: str,
    *,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    shop = first_shop(session)
    if form is None:
        subject, body = service.template_for(session, shop.id, kind, language) if shop else ("", "")
        form = Form(values={"subject": subject, "body": body})
    preview: Notice | None = None
    if form.ok:
        try:
            check_template(kind, language, str(form.value("subject")), str(form.value("body")))
            preview = render_notice(
                kind,
                language,
                str(form.value("subject")),
                str(form.value("body")),
                sample_context(kind, language),
            )
        except DomainError as error:
            form = refuse(form, error, speaker(request))
    context: dict[str, Any] = {
        "kind": kind,
        "kind_label": KINDS[kind],
        "language": language,
        "languages": NOTICE_LANGUAGES,
        "variables": {**COMMON, **VARIABLES[kind]},
        "form": form,
        "preview": preview,
        "custom": shop is not None
        and any(
            t.custom for t in service.templates(session, shop.id) if (t.kind, t.language) == (kind, language)
        ),
    }
    return render(request, "notifications/editor.html", context, status_code=status)


@router.get("/settings/templates/{kind}/{language}", name="notifications.page_editor")
def editor(actor: PageRead, request: Request, session: SessionDep, kind: str, language: str) -> Response:
    """One template: its words, the variables it may use, and a preview with sample values."""
    return _editor(request, session, actions.parse_kind(kind), actions.parse_language(language))


@router.post("/settings/templates/{kind}/{language}", name="notifications.page_save")
def save(
    actor: PageManageSettings, request: Request, session: SessionDep, kind: str, language: str, data: FormDep
) -> Response:
    """Preview the words as written, or save them (refused, and nothing saved, when they do not render)."""
    the_kind, lang = actions.parse_kind(kind), actions.parse_language(language)
    form = sent(data)
    said = speaker(request)
    shop = first_shop(session)
    if data.get("do") == "preview" or shop is None:
        return _editor(request, session, the_kind, lang, form=form)
    try:
        with attempt(session):
            if data.get("do") == "reset":
                actions.reset_template(session, shop_id=shop.id, kind=the_kind, language=lang, actor=actor)
            else:
                actions.save_template(
                    session,
                    shop_id=shop.id,
                    kind=the_kind,
                    language=lang,
                    subject=str(form.value("subject")),
                    body=str(form.value("body")),
                    actor=actor,
                )
    except DomainError as error:
        session.expire_all()
        return _editor(request, session, the_kind, lang, form=refuse(form, error, said), status=error.status)
    session.commit()
    response = RedirectResponse(f"/settings/templates/{the_kind}/{lang}", status_code=303)
    flash.add(response, request, said.gettext("Saved: new mail uses these words."))
    return response
