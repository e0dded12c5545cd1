"""The public appeal page a block notice links to: no login, the signed link names the block.

It shows the customer the reason in plain words in their language (right to left for Hebrew), a
form to explain and attach files, and the answer once decided; nothing about other customers, the
evidence or who decided. Forms carry a CSRF token that must match a cookie set with the page, and
each address may open and send only so often.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from storeguard.appeals import actions, service
from storeguard.appeals.enums import AppealError, AppealStatus
from storeguard.appeals.ratelimit import SlidingWindow
from storeguard.appeals.words import block_reason_words, decision_words
from storeguard.core.api import SessionDep
from storeguard.core.config import get_settings
from storeguard.core.enums import Language
from storeguard.core.errors import DomainError, Forbidden
from storeguard.core.http import allow_upload
from storeguard.customers.models import Customer
from storeguard.lists.models import CustomerBlock
from storeguard.notifications.render import notice_language
from storeguard.web import cookies
from storeguard.web.forms import Form, FormDep, sent
from storeguard.web.i18n import N_, Speaker, parse_language
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)
allow_upload("/appeal/{link}")  # files: read up to the appeal's own limit
CSRF_COOKIE = "sg_appeal_csrf"
VIEWS = SlidingWindow(limit=60, seconds=60)
SENDS = SlidingWindow(limit=10, seconds=3600)

register_refusals(
    {
        AppealError.link_forged: N_("This link does not work. Please use the link in the mail we sent you."),
        AppealError.link_expired: N_("This link has expired. Please write to the shop by email instead."),
        AppealError.block_not_active: N_("Nothing to appeal: this block has been lifted."),
        AppealError.appeal_already_open: N_("We already have your request. A person will answer it soon."),
        AppealError.message_required: N_("Please tell us why we should look again."),
        AppealError.message_too_long: N_("Please write at most 5000 characters."),
        AppealError.too_many_files: N_("Please attach at most 5 files."),
        AppealError.file_too_large: N_("A file is too large. Each file may be at most 5 MB."),
        AppealError.file_type_refused: N_("Please attach PDF or image files (PNG, JPEG, GIF, WebP) only."),
        AppealError.too_many_requests: N_(
            "Too many tries from this address. Please wait a while and try again."
        ),
        AppealError.csrf_token_invalid: N_(
            "This form was out of date. Please reload the page and send it again."
        ),
    }
)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _customer_speaker(request: Request, session: Session, block: CustomerBlock | None) -> Speaker:
    """The page speaks the customer's language (``?lang=`` switches it), not a staff user's."""
    asked = parse_language(request.query_params.get("lang"))
    if asked is None and block is not None:
        customer = session.get(Customer, block.customer_id)
        asked = Language(notice_language(block.notice_language or (customer.locale if customer else None)))
    found = Speaker(asked or Language.en, get_settings().ui_timezone)
    request.state.speaker = found
    return found


def _page(
    request: Request,
    session: Session,
    link: str,
    *,
    form: Form | None = None,
    status: int = 200,
    done: bool = False,
    error: DomainError | None = None,
) -> Response:
    try:
        block = actions.block_for_link(session, link)
    except DomainError as error:
        said = _customer_speaker(request, session, None)
        return render(
            request,
            "appeals/public.html",
            {"refusal": describe(error, said), "block": None},
            status_code=error.status,
        )
    said = _customer_speaker(request, session, block)
    lang = said.language.value
    form = form or Form()
    if error is not None:
        form.message = describe(error, said)
    latest = next(iter(service.appeals_of_block(session, block.id)), None)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    context: dict[str, Any] = {
        "refusal": None,
        "block": block,
        "reason_words": block_reason_words(session, block, lang),
        "appeal": latest,
        "decision_words": decision_words(AppealStatus(latest.status), lang)
        if latest and latest.decided_at
        else "",
        "may_appeal": block.status == "active" and (latest is None or latest.status != AppealStatus.open),
        "lifted": block.status != "active",
        "form": form,
        "appeal_token": token,
        "link": link,
        "done": done,
        "max_mb": get_settings().appeal_attachment_max_bytes // (1 << 20),
    }
    response = render(request, "appeals/public.html", context, status_code=status)
    cookies.set_cookie(response, request, CSRF_COOKIE, token)
    return response


@router.get("/appeal/{link}", name="appeals.public_page")
def appeal_page(request: Request, session: SessionDep, link: str) -> Response:
    """The customer's page: why they were blocked, the form to appeal, the answer once decided."""
    if not VIEWS.allow(_client(request)):
        return _too_many(request, session)
    return _page(request, session, link, done=request.query_params.get("sent") == "1")


@router.post("/appeal/{link}", name="appeals.public_submit")
def submit(request: Request, session: SessionDep, link: str, data: FormDep) -> Response:
    """Record the customer's appeal; a refusal shows the form again with why, and nothing is stored."""
    if not SENDS.allow(_client(request)):
        return _too_many(request, session)
    form = sent(data)
    token, expected = data.get("csrf_token"), request.cookies.get(CSRF_COOKIE)
    if not (isinstance(token, str) and expected and hmac.compare_digest(token.encode(), expected.encode())):
        return _refused(
            request, session, link, form, Forbidden(AppealError.csrf_token_invalid, "out of date")
        )
    limit = get_settings().appeal_attachment_max_bytes
    files = []
    for item in data.getlist("files"):
        if isinstance(item, UploadFile) and item.filename:
            files.append(actions.Upload(item.filename, item.file.read(limit + 1)))  # spooled by the parser
    try:
        with session.begin_nested():
            actions.submit_appeal(
                session,
                link=link,
                message=str(form.value("message")),
                files=files,
                language=parse_language(request.query_params.get("lang")),
            )
    except DomainError as error:
        session.expire_all()
        return _refused(request, session, link, form, error)
    session.commit()
    lang = request.query_params.get("lang")
    return Response(
        status_code=303, headers={"location": f"/appeal/{link}?sent=1" + (f"&lang={lang}" if lang else "")}
    )


def _refused(request: Request, session: Session, link: str, form: Form, error: DomainError) -> Response:
    return _page(request, session, link, form=form, status=error.status, error=error)


def _too_many(request: Request, session: Session) -> Response:
    said = _customer_speaker(request, session, None)
    error = Forbidden(AppealError.too_many_requests, "too many requests")
    return render(
        request,
        "appeals/public.html",
        {"refusal": describe(error, said), "block": None},
        status_code=429,
        headers={"retry-after": "600"},
    )
