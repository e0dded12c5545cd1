"""The settings pages: the team (staff users) and API keys, and the sections other domains add
(screening's thresholds) through the ``settings.sections`` panel slot.

A new API key or a generated password is shown once, on the page that made it, and never again:
only its hash is stored.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.apikeys import create_api_key, list_api_keys, revoke_api_key
from storeguard.core.enums import Language, Role
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.staff import actions, service
from storeguard.staff.models import StaffUser
from storeguard.staff.pages import PageManageStaff, PageRead
from storeguard.staff.passwords import generate_password
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, refuse, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import panels
from storeguard.web.refusals import describe
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words

router = APIRouter(include_in_schema=False)
register_event_words(
    {
        "staff_user.created": N_("Staff user added"),
        "staff_user.deactivated": N_("Staff user deactivated"),
        "staff_user.role_changed": N_("Role changed"),
        "staff_user.password_reset": N_("Password reset"),
        "staff_user.locked": N_("Locked after failed logins"),
        "staff_user.logged_in": N_("Logged in"),
        "staff_user.logged_out": N_("Logged out"),
        "staff_user.logged_out_everywhere": N_("Logged out everywhere"),
        "api_key.created": N_("API key made"),
        "api_key.revoked": N_("API key revoked"),
    }
)
add_nav(NavItem(N_("Settings"), "/settings", order=85))
ROLES = {
    Role.owner: N_("Owner"),
    Role.admin: N_("Admin"),
    Role.agent: N_("Agent"),
    Role.viewer: N_("Viewer"),
}


def _may_manage(request: Request) -> bool:
    user = getattr(request.state, "page_user", None)
    return user is not None and user.can(Permission.manage_staff)


def _settings(
    request: Request,
    session: Session,
    *,
    user_form: Form | None = None,
    key_form: Form | None = None,
    shown_once: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    may = _may_manage(request)
    context = {
        "may_manage": may,
        "users": service.list_staff_users(session, include_inactive=True) if may else [],
        "keys": list_api_keys(session) if may else [],
        "roles": [(r.value, speaker(request).gettext(label)) for r, label in ROLES.items()],
        "role_words": ROLES,
        "locales": [(lang.value, lang.value) for lang in Language],
        "user_form": user_form or Form(values={"role": Role.agent.value, "locale": Language.en.value}),
        "key_form": key_form or Form(values={"key_role": Role.agent.value}),
        "shown_once": shown_once,
        "sections": panels("settings.sections", request, session),
    }
    return render(request, "staff/settings.html", context, status_code=status)


def show_settings_again(
    request: Request, session: Session, section: str, form: Form, status: int
) -> Response:
    """Show the settings page again with one section's form as it was sent, its bad fields marked."""
    request.state.settings_forms = {section: form}
    return _settings(request, session, status=status)


def form_sent_to(request: Request, section: str) -> Form | None:
    """The form a section was sent and refused with, for showing it again (None on a fresh page)."""
    forms: dict[str, Form] = getattr(request.state, "settings_forms", {})
    return forms.get(section)


@router.get("/settings", name="staff.page_settings")
def settings_page(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """The settings: screening's thresholds, and for owners the team and the API keys."""
    return _settings(request, session)


@router.post("/settings/users", name="staff.page_create_user")
def create_user(actor: PageManageStaff, request: Request, session: SessionDep, data: FormDep) -> Response:
    """Add a staff user with a generated password, shown once."""
    said, form = speaker(request), sent(data)
    password = generate_password()
    try:
        with attempt(session):
            user = actions.create_staff_user(
                session,
                email=str(form.value("email")),
                name=str(form.value("name")),
                role=str(form.value("role")),
                password=password,
                locale=str(form.value("locale") or "en"),
                actor=actor,
            )
    except DomainError as error:
        return _settings(request, session, user_form=refuse(form, error, said), status=error.status)
    session.commit()
    shown = {"what": said.gettext("Password for %(email)s", email=user.email), "secret": password}
    return _settings(request, session, shown_once=shown)


def _change_user(
    request: Request, session: Session, user_id: int, change: Callable[[StaffUser], str]
) -> Response:
    """Run one change of a staff user and come back to the settings with what happened."""
    said = speaker(request)
    user = session.get(StaffUser, user_id)
    if user is None:
        return _no_such_user(request)
    response = RedirectResponse("/settings#team-h", status_code=303)
    try:
        with attempt(session):
            done = change(user)
    except DomainError as error:
        flash.add(response, request, describe(error, said))
        return response
    session.commit()
    flash.add(response, request, done)
    return response


def _no_such_user(request: Request) -> Response:
    response = RedirectResponse("/settings#team-h", status_code=303)
    flash.add(response, request, speaker(request).gettext("There is no such staff user."))
    return response


@router.post("/settings/users/{user_id}/deactivate", name="staff.page_deactivate_user")
def deactivate_user(actor: PageManageStaff, request: Request, session: SessionDep, user_id: Id) -> Response:
    """Deactivate a staff user: their sessions end and they can no longer log in."""
    said = speaker(request)

    def deactivate(user: StaffUser) -> str:
        actions.deactivate_staff_user(session, email=user.email, actor=actor)
        return said.gettext("%(email)s can no longer log in.", email=user.email)

    return _change_user(request, session, user_id, deactivate)


@router.post("/settings/users/{user_id}/role", name="staff.page_change_role")
def change_role(
    actor: PageManageStaff, request: Request, session: SessionDep, user_id: Id, data: FormDep
) -> Response:
    """Give a staff user another role; the last active owner keeps theirs."""
    said = speaker(request)

    def give_role(user: StaffUser) -> str:
        actions.change_staff_role(session, email=user.email, role=str(data.get("role") or ""), actor=actor)
        role = said.gettext(ROLES[Role(user.role)])
        return said.gettext("%(email)s is now %(role)s.", email=user.email, role=role)

    return _change_user(request, session, user_id, give_role)


@router.post("/settings/users/{user_id}/password", name="staff.page_reset_password")
def reset_password(actor: PageManageStaff, request: Request, session: SessionDep, user_id: Id) -> Response:
    """Give a staff user a new generated password, shown once; their sessions end."""
    said = speaker(request)
    user = session.get(StaffUser, user_id)
    if user is None:
        return _no_such_user(request)
    password = generate_password()
    actions.reset_password(session, email=user.email, password=password, actor=actor)
    session.commit()
    shown = {"what": said.gettext("New password for %(email)s", email=user.email), "secret": password}
    return _settings(request, session, shown_once=shown)


@router.post("/settings/keys", name="staff.page_create_key")
def create_key(actor: PageManageStaff, request: Request, session: SessionDep, data: FormDep) -> Response:
    """Make an API key; it is shown once."""
    said, form = speaker(request), sent(data)
    try:
        with attempt(session):
            key, raw = create_api_key(
                session, name=str(form.value("key_name")), role=str(form.value("key_role")), actor=actor
            )
    except DomainError as error:
        if error.field in ("name", "role"):
            error.field = f"key_{error.field}"  # the key form's fields, apart from the user form's
        return _settings(request, session, key_form=refuse(form, error, said), status=error.status)
    session.commit()
    shown = {"what": said.gettext("API key “%(name)s”", name=key.name), "secret": raw}
    return _settings(request, session, shown_once=shown)


@router.post("/settings/keys/{key_id}/revoke", name="staff.page_revoke_key")
def revoke_key(actor: PageManageStaff, request: Request, session: SessionDep, key_id: Id) -> Response:
    """Revoke an API key: calls with it are refused from now on."""
    said = speaker(request)
    response = RedirectResponse("/settings", status_code=303)
    try:
        with attempt(session):
            key = revoke_api_key(session, key_id=key_id, actor=actor)
    except DomainError as error:
        if error.status == 404:
            raise
        flash.add(response, request, refuse(Form(), error, said).message or error.message)
        return response
    session.commit()
    flash.add(response, request, said.gettext("API key “%(name)s” is revoked.", name=key.name))
    return response
