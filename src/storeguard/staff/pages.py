"""Who is looking at an admin page, and whether they may: the login, CSRF and permission checks.

Every page depends on ``page_access(permission)``: the browser's session cookie must name a live
session of an active user, a form (or an htmx request) must carry that session's CSRF token,
and the user's role must have the permission in ``core.permissions``, the table the API reads.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from storeguard.core.actor import Actor
from storeguard.core.api import SessionDep
from storeguard.core.clock import now
from storeguard.core.enums import Language, Role
from storeguard.core.errors import CommonError, Forbidden, Unauthorized
from storeguard.core.permissions import Permission, allows
from storeguard.staff import policy
from storeguard.staff.actions import staff_actor
from storeguard.staff.errors import StaffError
from storeguard.staff.models import StaffSession, StaffUser
from storeguard.staff.service import session_by_token
from storeguard.web.context import PageUser
from storeguard.web.cookies import SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Staff:
    """The logged-in staff user of a request, their session, and the actor they act as."""

    user: StaffUser
    staff_session: StaffSession
    actor: Actor


async def sent_csrf_token(request: Request) -> str | None:
    """Return the CSRF token a changing request carries: the htmx header or the form field."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


CsrfSent = Annotated[str | None, Depends(sent_csrf_token)]


def find_staff(request: Request, session: SessionDep) -> Staff | None:
    """Return the staff user whose live session the browser's cookie names, or None."""
    found = getattr(request.state, "staff", None)
    if found is not None:
        return found
    raw = request.cookies.get(SESSION_COOKIE)
    pair = session_by_token(session, raw) if raw else None
    if pair is None:
        return None
    staff_session, user = pair
    if not policy.session_is_live(staff_session.expires_at, staff_session.revoked_at, user.active, now()):
        return None
    found = Staff(user=user, staff_session=staff_session, actor=staff_actor(user))
    request.state.staff = found
    request.state.page_user = PageUser(
        name=user.name,
        email=user.email,
        role=Role(user.role),
        locale=Language(user.locale),
        csrf_token=staff_session.csrf_token,
    )
    return found


def logged_in(request: Request, session: SessionDep, csrf: CsrfSent) -> Staff:
    """Return the logged-in staff user, having checked a changing request's CSRF token."""
    staff = find_staff(request, session)
    if staff is None:
        raise Unauthorized(StaffError.login_required, "log in to see this page")
    if request.method not in SAFE_METHODS and not (
        csrf and hmac.compare_digest(csrf.encode(), staff.staff_session.csrf_token.encode())
    ):
        raise Forbidden(
            StaffError.csrf_token_invalid,
            "the form is out of date or was not sent from this site; reload the page and try again",
        )
    return staff


LoggedIn = Annotated[Staff, Depends(logged_in)]


def page_access(permission: Permission) -> Callable[..., Actor]:
    """Build the dependency of a page that does ``permission``'s work; it answers with the actor."""

    def dependency(staff: LoggedIn) -> Actor:
        if not allows(staff.user.role, permission):
            raise Forbidden(
                CommonError.role_too_weak,
                f"this needs the {permission.value} permission; your role is {staff.user.role}",
            )
        return staff.actor

    dependency.page_permission = permission  # type: ignore[attr-defined]  # read by tests of the table
    return dependency


def login_first(request: Request, session: SessionDep, csrf: CsrfSent) -> None:
    """Check the login before anything else a page depends on (a router puts it first).

    FastAPI solves a page's dependencies in signature order; a page that loads its order before
    its actor would tell an anonymous visitor which orders exist.
    """
    logged_in(request, session, csrf)


PageRead = Annotated[Actor, Depends(page_access(Permission.read))]
PageWorkOrders = Annotated[Actor, Depends(page_access(Permission.work_orders))]
PageReviewOrders = Annotated[Actor, Depends(page_access(Permission.review_orders))]
PageReadAudit = Annotated[Actor, Depends(page_access(Permission.read_audit))]
PageBlockCustomers = Annotated[Actor, Depends(page_access(Permission.block_customers))]
PageWriteRules = Annotated[Actor, Depends(page_access(Permission.write_rules))]
PageManageIntegrations = Annotated[Actor, Depends(page_access(Permission.manage_integrations))]
PageManageStaff = Annotated[Actor, Depends(page_access(Permission.manage_staff))]
PageManageSecrets = Annotated[Actor, Depends(page_access(Permission.manage_secrets))]
PageManageSettings = Annotated[Actor, Depends(page_access(Permission.manage_settings))]
PageErasePersonalData = Annotated[Actor, Depends(page_access(Permission.erase_personal_data))]
