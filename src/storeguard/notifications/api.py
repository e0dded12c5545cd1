"""JSON routes for notices: the templates per kind and language, a preview, and a customer's mail log.

Reading takes ``read``; saving a template takes ``manage_settings``. A template that names a
variable its kind lacks, or that does not render, is refused (422) and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeguard.core.api import CanManageSettings, CanRead, SessionDep
from storeguard.core.schemas import Id
from storeguard.customers.service import get_customer
from storeguard.notifications import actions, service
from storeguard.notifications.kinds import COMMON, VARIABLES, sample_context
from storeguard.notifications.render import check_template, render
from storeguard.notifications.schemas import (
    MailSentRead,
    NoticePreviewRead,
    NoticeTemplateIn,
    NoticeTemplateRead,
)
from storeguard.shops.service import shop_or_only_shop

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such shop or customer", **_PROBLEM},
    422: {
        "description": "unknown_kind, unknown_language, unknown_variable, template_does_not_render",
        **_PROBLEM,
    },
}
router = APIRouter(prefix="/v1", tags=["notifications"], responses=PROBLEMS)


def _read(t: service.TemplateText) -> NoticeTemplateRead:
    kind = actions.parse_kind(t.kind)
    return NoticeTemplateRead(
        kind=t.kind,
        language=t.language,
        subject=t.subject,
        body=t.body,
        custom=t.custom,
        variables={**COMMON, **VARIABLES[kind]},
    )


@router.get("/notifications/templates", name="notifications.templates")
def list_templates(
    actor: CanRead, session: SessionDep, shop_id: Id | None = None
) -> list[NoticeTemplateRead]:
    """Every kind of notice in every language, with the variables each may use."""
    shop = shop_or_only_shop(session, shop_id)
    return [_read(t) for t in service.templates(session, shop.id)]


@router.put("/notifications/templates/{kind}/{language}", name="notifications.save_template")
def save_template(
    actor: CanManageSettings,
    kind: str,
    language: str,
    body: NoticeTemplateIn,
    session: SessionDep,
    shop_id: Id | None = None,
) -> NoticeTemplateRead:
    """Save the shop's words for one kind and language (checked first: known variables, renders)."""
    shop = shop_or_only_shop(session, shop_id)
    actions.save_template(
        session,
        shop_id=shop.id,
        kind=kind,
        language=language,
        subject=body.subject,
        body=body.body,
        actor=actor,
    )
    session.commit()
    found = next(t for t in service.templates(session, shop.id) if (t.kind, t.language) == (kind, language))
    return _read(found)


@router.delete(
    "/notifications/templates/{kind}/{language}", status_code=204, name="notifications.reset_template"
)
def reset_template(
    actor: CanManageSettings, kind: str, language: str, session: SessionDep, shop_id: Id | None = None
) -> None:
    """Go back to the shipped words for one kind and language."""
    shop = shop_or_only_shop(session, shop_id)
    actions.reset_template(session, shop_id=shop.id, kind=kind, language=language, actor=actor)
    session.commit()


@router.post("/notifications/templates/{kind}/{language}/preview", name="notifications.preview")
def preview(actor: CanRead, kind: str, language: str, body: NoticeTemplateIn) -> NoticePreviewRead:
    """Render a template with sample values, without saving it (refused as a save would be)."""
    the_kind, lang = actions.parse_kind(kind), actions.parse_language(language)
    check_template(the_kind, lang, body.subject, body.body)
    notice = render(the_kind, lang, body.subject, body.body, sample_context(the_kind, lang))
    return NoticePreviewRead(
        language=notice.language,
        direction=notice.direction,
        subject=notice.subject,
        text=notice.text,
        html=notice.html,
    )


@router.get("/customers/{customer_id}/mail", name="notifications.customer_mail")
def customer_mail(actor: CanRead, customer_id: Id, session: SessionDep) -> list[MailSentRead]:
    """The mail sent (or waiting to be sent) to a customer, newest first, with how sending went."""
    get_customer(session, customer_id)
    return [MailSentRead.model_validate(m) for m in service.mail_to_customer(session, customer_id)]
