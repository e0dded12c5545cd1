"""The login page, logging out, and logging out everywhere."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from storeguard.core.api import SessionDep
from storeguard.core.config import get_settings
from storeguard.core.errors import Forbidden
from storeguard.staff import actions, policy
from storeguard.staff.errors import StaffError
from storeguard.staff.pages import LoggedIn, find_staff
from storeguard.web import cookies
from storeguard.web.context import speaker
from storeguard.web.forms import Form, FormDep, sent
from storeguard.web.i18n import N_
from storeguard.web.refusals import register_refusals, sentence_for
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)

# Why the login page is shown, when a page sent the browser there (?m=...).
NOTES = {
    "logged_out": N_("You are logged out."),
    "logged_out_everywhere": N_("You are logged out on every device."),
}
register_refusals(
    {
        StaffError.invalid_credentials: N_("The email or the password is not right."),
        StaffError.account_locked: N_(
            "Too many wrong passwords: this account is locked for a while. Try again later, or ask an owner to reset your password."
        ),
        StaffError.last_owner: N_(
            "This is the last active owner. Make someone else owner first, so that somebody can still manage the team."
        ),
        StaffError.csrf_token_invalid: N_(
            "This form was out of date or did not come from this site. Reload the page and try again."
        ),
    }
)


@router.get("/login", name="staff.login")
def login_page(request: Request, session: SessionDep) -> Response:
    """Show the login form (or go on, for someone already logged in)."""
    next_path = request.query_params.get("next")
    if find_staff(request, session) is not None:
        return RedirectResponse(next_path if policy.is_safe_next(next_path) else "/", status_code=303)
    note = NOTES.get(request.query_params.get("m", ""))
    form = Form(values={"next": next_path if policy.is_safe_next(next_path) else ""})
    return _login_form(request, form, note=speaker(request).gettext(note) if note else None)


@router.post("/login", name="staff.log_in")
def log_in(request: Request, session: SessionDep, data: FormDep) -> Response:
    """Check the email and password; open a new session under a new token, and go on."""
    token = data.get("csrf_token")
    expected = request.cookies.get(cookies.LOGIN_CSRF_COOKIE)
    if not (isinstance(token, str) and expected and hmac.compare_digest(token.encode(), expected.encode())):
        raise Forbidden(
            StaffError.csrf_token_invalid, "the login form is out of date; reload it and try again"
        )
    form = sent(data)
    settings = get_settings()
    lifetime = timedelta(hours=settings.session_hours)
    outcome = actions.log_in(
        session,
        email=form.value("email"),
        password=str(data.get("password") or ""),
        lifetime=lifetime,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        replaces=request.cookies.get(cookies.SESSION_COOKIE),
    )
    session.commit()  # a failure counts towards the lock, so it is kept too
    if outcome.refusal is not None or outcome.token is None:
        form.message = sentence_for(outcome.refusal or StaffError.invalid_credentials, speaker(request))
        return _login_form(request, form, status_code=401)
    next_path = form.value("next")
    response = RedirectResponse(next_path if policy.is_safe_next(next_path) else "/", status_code=303)
    cookies.set_cookie(
        response, request, cookies.SESSION_COOKIE, outcome.token, max_age=int(lifetime.total_seconds())
    )
    cookies.delete_cookie(response, request, cookies.LOGIN_CSRF_COOKIE)
    cookies.delete_cookie(response, request, cookies.LANGUAGE_COOKIE)  # the user's own language now
    return response


@router.post("/logout", name="staff.log_out")
def log_out(request: Request, session: SessionDep, staff: LoggedIn) -> Response:
    """End this browser's session."""
    actions.log_out(session, staff_session=staff.staff_session, actor=staff.actor)
    session.commit()
    return _logged_out(request, "logged_out")


@router.post("/logout/everywhere", name="staff.log_out_everywhere")
def log_out_everywhere(request: Request, session: SessionDep, staff: LoggedIn) -> Response:
    """End every session of this user, on every device."""
    actions.log_out_everywhere(session, user_id=staff.user.id, actor=staff.actor)
    session.commit()
    return _logged_out(request, "logged_out_everywhere")


def _logged_out(request: Request, note: str) -> Response:
    response = RedirectResponse(f"/login?m={note}", status_code=303)
    cookies.delete_cookie(response, request, cookies.SESSION_COOKIE)
    return response


def _login_form(request: Request, form: Form, *, note: str | None = None, status_code: int = 200) -> Response:
    token = request.cookies.get(cookies.LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "staff/login.html",
        {"form": form, "login_token": token, "note": note},
        status_code=status_code,
    )
    cookies.set_cookie(response, request, cookies.LOGIN_CSRF_COOKIE, token)
    return response
