"""The audit log page: who did what to which subject and when, filtered, a page by key."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from storeguard.audit import service
from storeguard.audit.pages import SUBJECT_KINDS, subject_page
from storeguard.audit.schemas import AuditLogFilter
from storeguard.core.api import SessionDep
from storeguard.core.models import AuditEvent
from storeguard.core.permissions import Permission
from storeguard.staff.pages import PageReadAudit
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import query_filters
from storeguard.web.i18n import N_
from storeguard.web.pagination import Key, decode_key, page_links
from storeguard.web.templating import render
from storeguard.web.timeline import event_words

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
RESULTS = "audit-results"  # the part of the page a filter refreshes

add_nav(NavItem(N_("Audit log"), "/audit", permission=Permission.read_audit, order=90))


def _key(event: AuditEvent) -> Key:
    return event.at, event.id


@router.get("/audit", name="audit.page_log")
def audit_log(
    actor: PageReadAudit,
    request: Request,
    session: SessionDep,
    filters: Annotated[AuditLogFilter, Depends(query_filters(AuditLogFilter))],
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """List audit events, newest first, by actor, action, subject and days; each links to its subject."""
    said = speaker(request)
    page = service.audit_page(
        session,
        actor=filters.actor,
        action=filters.action,
        subject_type=filters.subject_type,
        subject_id=filters.subject_id,
        since=said.day_start(filters.since) if filters.since else None,
        until=said.day_start(filters.until + timedelta(days=1)) if filters.until else None,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    rows = [
        {
            "event": e,
            "href": subject_page(e.subject_type, e.subject_id),
            "kind": SUBJECT_KINDS.get(e.subject_type),
            "words": event_words(e.action),
        }
        for e in page.rows
    ]
    context = {
        "rows": rows,
        "links": page_links(request, page, _key),
        "filters": filters,
        "subject_kinds": sorted(SUBJECT_KINDS.items()),
    }
    if request.headers.get("hx-target") == RESULTS:
        return render(request, "audit/_results.html", context)
    return render(request, "audit/log.html", context)
