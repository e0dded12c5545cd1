"""One action taken from a page: done, the browser goes on with what happened said; refused, the
page comes again with the reason on its field and nothing changed."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from storeguard.core.errors import DomainError
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.forms import Form, attempt, refuse


def take_step(
    request: Request,
    session: Session,
    do: Callable[[], object],
    *,
    form: Form,
    done_url: str,
    done: str,
    show_again: Callable[[Form, int], Response],
) -> Response:
    """Run ``do`` in a savepoint; commit and go to ``done_url`` saying ``done`` (English, translated
    here), or show the page again through ``show_again(form, status)`` with the refusal marked."""
    said = speaker(request)
    try:
        with attempt(session):
            do()
    except DomainError as error:
        session.expire_all()  # the page is drawn again from the database as it was
        return show_again(refuse(form, error, said), error.status)
    session.commit()
    response = RedirectResponse(done_url, status_code=303)
    flash.add(response, request, said.gettext(done))
    return response
