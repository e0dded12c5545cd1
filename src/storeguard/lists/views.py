"""Lists on the admin pages: the dashboard's figures of blocks, and blocking on the customer page.

The block and unblock dialogs live here, beside the block actions, at the customer's address; the
customer page shows the blocks through a panel, so the customers package imports no list code.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from storeguard.core.api import SessionDep
from storeguard.core.audit import events_for
from storeguard.core.clock import now
from storeguard.core.enums import RunStatus
from storeguard.core.errors import DomainError
from storeguard.core.http import allow_upload
from storeguard.core.permissions import Permission
from storeguard.core.runs import get_run, progress_of
from storeguard.core.schemas import Id
from storeguard.customers.links import TYPE_LABELS
from storeguard.customers.models import Customer
from storeguard.customers.service import get_customer, register_blocked_reader
from storeguard.lists import blocking, imports, service
from storeguard.lists.actions import create_entry, get_entry, lift_entry, update_entry
from storeguard.lists.csvio import export_entries
from storeguard.lists.enums import BlockStatus, EntryAction, EntryKind, EntryStatus, ListErrorCode, ScopeKind
from storeguard.lists.notices import NOTICE_LANGUAGES
from storeguard.lists.reasons import (
    create_reason_code,
    list_reason_codes,
    restore_reason_code,
    retire_reason_code,
)
from storeguard.orders.service import recent_orders
from storeguard.shops.service import first_shop, get_shop
from storeguard.staff.pages import PageBlockCustomers, PageManageSettings, PageRead
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, money, query_filters, refuse, sent
from storeguard.web.i18n import N_, Speaker
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import WEEK, Panel, add_panel, tile
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words, timeline_items


def block_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Customer blocks made in the last seven days, and active ones that end in the next seven."""
    at = now()
    made, expiring = service.block_summary(
        session, week_ago=at - timedelta(days=7), week_ahead=at + timedelta(days=7)
    )
    return [
        tile(N_("Blocks made this week"), made, order=40, group=WEEK),
        tile(N_("Blocks ending this week"), expiring, order=41, group=WEEK),
    ]


add_panel("dashboard.tiles", "lists.blocks", block_tiles)


# ---- blocks on the customer page, and the block and unblock dialogs ------------------------------

router = APIRouter(include_in_schema=False)
ACTIONS = {
    EntryAction.block: N_("Block: refuse their orders"),
    EntryAction.review: N_("Review: hold their orders for a person"),
    EntryAction.verify: N_("Verify: ask them for an extra step"),
}
SCOPES = {
    ScopeKind.everything: N_("Everything"),
    ScopeKind.categories: N_("Only some categories"),
    ScopeKind.tags: N_("Only products with some tags"),
    ScopeKind.order_above: N_("Only orders above an amount"),
    ScopeKind.high_value: N_("Only high-value products"),
    ScopeKind.limited_edition: N_("Only limited-edition products"),
}
# An entry's action in one word, for its badge.
ACTION_WORDS = {
    EntryAction.block: N_("Block"),
    EntryAction.review: N_("Review"),
    EntryAction.verify: N_("Verify"),
}
BLOCK_STATUS = {BlockStatus.active: (N_("Active"), "bad"), BlockStatus.lifted: (N_("Lifted"), "")}
EVIDENCE_ORDERS = 20  # the customer's latest orders offered as evidence
IDENTIFIER_WORDS = {str(k): v for k, v in TYPE_LABELS.items()}
register_refusals(
    {
        ListErrorCode.reason_code_required: N_("Choose a reason."),
        ListErrorCode.lift_reason_required: N_("Say why the block is lifted."),
        ListErrorCode.customer_not_blocked: N_("This customer is not blocked."),
        ListErrorCode.last_reason_code: N_(
            "This is the last reason code in use; a block needs a reason. Add another code first."
        ),
    }
)
register_blocked_reader(service.blocked_customers)
register_event_words(
    {
        "list_entry.created": N_("List entry added"),
        "list_entry.updated": N_("List entry changed"),
        "list_entry.lifted": N_("List entry lifted"),
        "list_entry.expired": N_("List entry expired"),
        "list_entries.imported": N_("List entries imported"),
        "reason_code.created": N_("Reason code added"),
        "reason_code.retired": N_("Reason code retired"),
        "reason_code.restored": N_("Reason code in use again"),
    }
)


def _may_block(request: Request) -> bool:
    user = getattr(request.state, "page_user", None)
    return user is not None and user.can(Permission.block_customers)


def blocks_panel(request: Request, session: Session, customer: Customer) -> Panel:
    """The customer's blocks, active first, with who made and lifted each and on what evidence."""
    blocks = sorted(
        service.blocks_of(session, customer.id), key=lambda b: (b.status != BlockStatus.active, -b.id)
    )
    return Panel(
        "lists/_customer_blocks.html",
        {
            "blocks": blocks,
            "active": next((b for b in blocks if b.status == BlockStatus.active), None),
            "may_block": _may_block(request),
            "block_status": BLOCK_STATUS,
            "actions": ACTIONS,
            "scopes": SCOPES,
        },
        order=20,
        title=N_("Reason codes"),
        anchor="reasons-h",
    )


add_panel("customer.main", "lists.blocks", blocks_panel)


def _customer(session: Session, customer_id: int) -> Customer:
    return get_customer(session, customer_id)


def _block_dialog(
    request: Request, session: Session, customer: Customer, form: Form, *, status: int = 200
) -> Response:
    shop = get_shop(session, customer.shop_id)
    said = speaker(request)
    reason = form.value("reason_code") or None
    action = form.value("action") or EntryAction.block
    context = {
        "customer": customer,
        "shop": shop,
        "form": form,
        "reasons": [(r.code, r.label) for r in list_reason_codes(session, shop.id) if r.active],
        "actions": [(a.value, said.gettext(label)) for a, label in ACTIONS.items()],
        "scopes": [(k.value, said.gettext(label)) for k, label in SCOPES.items()],
        "orders": recent_orders(session, customer.id, EVIDENCE_ORDERS),
        "notice": service.notice_preview(session, customer, shop, reason, action),
        "broad": form.error("confirm_broad") is not None or form.checked("confirm_broad"),
    }
    return render(request, "lists/block.html", context, status_code=status)


@router.get("/customers/{customer_id}/block", name="lists.page_block_dialog")
def block_dialog(
    actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id
) -> Response:
    """Ask why and how to block the customer, with their orders to pick as evidence and the notice they would get."""
    form = Form(values={"block_identifiers": "on", "notify": "on", "action": EntryAction.block.value})
    return _block_dialog(request, session, _customer(session, customer_id), form)


@router.post("/customers/{customer_id}/block/preview", name="lists.page_notice_preview")
def notice_preview(
    actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id, data: FormDep
) -> Response:
    """The notice the customer would get, for the reason and action chosen so far (htmx, as one picks)."""
    customer = _customer(session, customer_id)
    form = sent(data)
    shop = get_shop(session, customer.shop_id)
    notice = service.notice_preview(
        session, customer, shop, form.value("reason_code") or None, form.value("action") or EntryAction.block
    )
    return render(request, "lists/_notice_preview.html", {"notice": notice, "customer": customer})


def _block_input(form: Form, customer: Customer, currency: str, said: Speaker) -> dict[str, Any]:
    """Read the block form into the block action's arguments (bad fields marked on ``form``)."""
    order_ids = [
        int(k.removeprefix("order-")) for k in form.values if k.startswith("order-") and k[6:].isdigit()
    ]
    notes = [n for n in (str(form.value("notes")).strip(),) if n]
    kind = form.value("scope") or ScopeKind.everything.value
    scope: dict[str, Any] = {"kind": kind}
    if kind in (ScopeKind.categories, ScopeKind.tags):
        scope[kind] = [v.strip() for v in str(form.value("scope_values")).split(",") if v.strip()]
        if not scope[kind]:
            form.errors["scope_values"] = said.gettext("Name at least one, separated by commas.")
    elif kind == ScopeKind.order_above:
        scope["amount"] = money(form, "scope_amount", currency, said)
        if scope["amount"] is None and "scope_amount" not in form.errors:
            form.errors["scope_amount"] = said.gettext("Give the amount.")
    expires_at = None
    if form.value("expires"):
        try:
            expires_at = said.day_start(date.fromisoformat(str(form.value("expires"))) + timedelta(days=1))
        except ValueError:
            form.errors["expires"] = said.gettext("Give a date.")
    if (form.value("action") or EntryAction.block) not in {a.value for a in EntryAction}:
        form.errors["action"] = said.gettext("Choose one of the actions.")
    return {
        "reason_code": form.value("reason_code") or None,
        "evidence": {"order_ids": order_ids, "notes": notes},
        "justification": str(form.value("justification")).strip() or None,
        "action": form.value("action") or EntryAction.block,
        "scope": scope,
        "block_identifiers": form.checked("block_identifiers"),
        "disable_account": form.checked("disable_account"),
        "notify": form.checked("notify"),
        "expires_at": expires_at,
        "confirm_broad": form.checked("confirm_broad"),
    }


@router.post("/customers/{customer_id}/block", name="lists.page_block")
def block(
    actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id, data: FormDep
) -> Response:
    """Block the customer as chosen, through the same action as the API; a refusal shows the form again."""
    customer = _customer(session, customer_id)
    said, form = speaker(request), sent(data)
    arguments = _block_input(form, customer, get_shop(session, customer.shop_id).currency, said)
    if not form.ok:
        return _block_dialog(request, session, customer, form, status=422)
    try:
        with attempt(session):
            blocking.block_customer(session, customer_id=customer.id, actor=actor, **arguments)
    except DomainError as error:
        return _block_dialog(request, session, customer, refuse(form, error, said), status=error.status)
    session.commit()
    name = customer.name or said.gettext("Customer #%(id)s", id=customer.id)
    response = RedirectResponse(f"/customers/{customer.id}", status_code=303)
    flash.add(response, request, said.gettext("%(name)s is blocked.", name=name))
    return response


def _unblock_dialog(
    request: Request, session: Session, customer: Customer, form: Form, *, status: int = 200
) -> Response:
    active = next(
        (b for b in service.blocks_of(session, customer.id) if b.status == BlockStatus.active), None
    )
    context = {"customer": customer, "form": form, "active": active, "actions": ACTIONS}
    return render(request, "lists/unblock.html", context, status_code=status)


@router.get("/customers/{customer_id}/unblock", name="lists.page_unblock_dialog")
def unblock_dialog(
    actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id
) -> Response:
    """Ask why the block is lifted."""
    return _unblock_dialog(
        request, session, _customer(session, customer_id), Form(values={"enable_account": "on"})
    )


@router.post("/customers/{customer_id}/unblock", name="lists.page_unblock")
def unblock(
    actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id, data: FormDep
) -> Response:
    """Lift the customer's block; the block and its entries stay on record."""
    customer = _customer(session, customer_id)
    said, form = speaker(request), sent(data)
    try:
        with attempt(session):
            blocking.lift_block(
                session,
                customer_id=customer.id,
                actor=actor,
                reason=str(form.value("reason")).strip() or None,
                enable_account=form.checked("enable_account"),
            )
    except DomainError as error:
        return _unblock_dialog(request, session, customer, refuse(form, error, said), status=error.status)
    session.commit()
    response = RedirectResponse(f"/customers/{customer.id}", status_code=303)
    flash.add(response, request, said.gettext("The block is lifted."))
    return response


# ---- the lists page: entries, lift, export and import --------------------------------------------

PAGE_SIZE = 50
ENTRY_STATUS = {
    EntryStatus.active: (N_("Active"), "bad"),
    EntryStatus.expired: (N_("Expired"), ""),
    EntryStatus.lifted: (N_("Lifted"), ""),
}
ENTRY_FIELDS = frozenset({"type", "value", "kind", "action", "reason_code", "notes", "confirm_broad"})
add_nav(NavItem(N_("Lists"), "/lists", order=40))
allow_upload("/lists/import")  # saved to disk as it arrives and imported in the background
N_("The file is not UTF-8 text.")  # imports.NOT_UTF8: a run's error, translated where it is shown


class EntryFilter(BaseModel):
    """Which list entries the page shows."""

    model_config = ConfigDict(str_strip_whitespace=True)

    value: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, max_length=30)
    kind: EntryKind | None = None
    action: EntryAction | None = None
    reason_code: str | None = Field(default=None, max_length=50)
    status: EntryStatus | None = None
    expiring: bool | None = None  # ending within a week


def _lists_page(
    request: Request,
    session: Session,
    filters: EntryFilter,
    after: str | None,
    before: str | None,
    *,
    import_form: Form | None = None,
    entry_form: Form | None = None,
    status: int = 200,
) -> Response:
    page = service.entry_page(
        session,
        kind=filters.kind,
        type=filters.type,
        action=filters.action,
        reason_code=filters.reason_code,
        status=filters.status,
        value=filters.value,
        expiring_before=now() + timedelta(days=7) if filters.expiring else None,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    context = {
        "entries": page.rows,
        "links": page_links(request, page, lambda e: (e.created_at, e.id)),
        "filters": filters,
        "types": sorted(IDENTIFIER_WORDS),
        "type_words": IDENTIFIER_WORDS,
        "entry_status": ENTRY_STATUS,
        "action_words": ACTION_WORDS,
        "actions": ACTIONS,
        "may_manage": _may_block(request),
        "import_form": import_form or Form(),
        "max_upload_mb": request.app.state.settings.max_upload_bytes >> 20,
        "entry_form": entry_form or Form(values={"type": "email", "action": EntryAction.block.value}),
        "entry_types": [(t, speaker(request).gettext(IDENTIFIER_WORDS[t])) for t in sorted(IDENTIFIER_WORDS)],
        "entry_actions": [(a.value, speaker(request).gettext(label)) for a, label in ACTIONS.items()],
        "reasons": [(r.code, r.label) for r in list_reason_codes(session, shop.id) if r.active]
        if (shop := first_shop(session))
        else [],
    }
    if request.headers.get("hx-target") == "entries-results":
        return render(request, "lists/_entries.html", context)
    return render(request, "lists/entries.html", context, status_code=status)


@router.get("/lists", name="lists.page")
def lists_page(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    filters: Annotated[EntryFilter, Depends(query_filters(EntryFilter))],
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """List entries, newest first, by type, kind, action, reason, status or ending soon; a page by key."""
    return _lists_page(request, session, filters, after, before)


@router.post("/lists/entries/{entry_id}/lift", name="lists.page_lift")
def lift(
    actor: PageBlockCustomers, request: Request, session: SessionDep, entry_id: Id, data: FormDep
) -> Response:
    """Lift one entry (it stays on record); a refusal comes back as the reason above the list."""
    said, form = speaker(request), sent(data)
    try:
        with attempt(session):
            lift_entry(
                session, entry_id=entry_id, actor=actor, reason=str(form.value("reason")).strip() or None
            )
    except DomainError as error:
        if error.status == 404:
            raise
        message = describe(error, said)
    else:
        session.commit()
        message = said.gettext("Entry %(id)s is lifted.", id=entry_id)
    response = RedirectResponse(request.headers.get("hx-current-url") or "/lists", status_code=303)
    flash.add(response, request, message)
    return response


# ---- one entry: what it is, its history, and changing it ---------------------------------------


def _entry_page(
    request: Request, session: Session, entry_id: int, form: Form | None = None, status: int = 200
) -> Response:
    said = speaker(request)
    entry = get_entry(session, entry_id)
    values = {
        "action": str(entry.action or ""),
        "reason_code": entry.reason_code or "",
        "expires": said.day_of(entry.expires_at).isoformat() if entry.expires_at else "",
        "note": entry.note or "",
    }
    context = {
        "entry": entry,
        "form": form or Form(values=values),
        "type_words": IDENTIFIER_WORDS,
        "entry_status": ENTRY_STATUS,
        "action_words": ACTION_WORDS,
        "actions": [(a.value, said.gettext(w)) for a, w in ACTIONS.items()],
        "reasons": [(r.code, r.label) for r in list_reason_codes(session, entry.shop_id) if r.active],
        "may_change": _may_block(request) and entry.status == EntryStatus.active and not entry.block_id,
        "timeline": timeline_items(events_for(session, "list_entry", entry.id)),
    }
    return render(request, "lists/entry.html", context, status_code=status)


@router.get("/lists/entries/{entry_id}", name="lists.page_entry")
def entry_page(actor: PageRead, request: Request, session: SessionDep, entry_id: Id) -> Response:
    """One entry: what it matches, why, its evidence and history; a form to change it."""
    return _entry_page(request, session, entry_id)


@router.post("/lists/entries/{entry_id}", name="lists.page_update_entry")
def update(
    actor: PageBlockCustomers, request: Request, session: SessionDep, entry_id: Id, data: FormDep
) -> Response:
    """Change an entry's action, reason, end or note; a bad value shows the form again, nothing changed."""
    said, form = speaker(request), sent(data)
    expires_at, clear = None, False
    text = str(form.value("expires")).strip()
    if text:
        try:
            expires_at = said.day_start(date.fromisoformat(text) + timedelta(days=1))
        except ValueError:
            form.errors["expires"] = said.gettext("Give a date.")
    else:
        clear = True
    if form.ok:
        try:
            with attempt(session):
                update_entry(
                    session,
                    entry_id=entry_id,
                    actor=actor,
                    action=str(form.value("action")) or None,
                    reason_code=str(form.value("reason_code")) or None,
                    note=str(form.value("note")).strip() or None,
                    expires_at=expires_at,
                    clear_expiry=clear,
                )
        except DomainError as error:
            if error.status == 404:
                raise
            refuse(form, error, said)
    if not form.ok:
        session.expire_all()
        return _entry_page(request, session, entry_id, form, status=422)
    session.commit()
    response = RedirectResponse(f"/lists/entries/{entry_id}", status_code=303)
    flash.add(response, request, said.gettext("Entry %(id)s is changed.", id=entry_id))
    return response


@router.get("/lists/export.csv", name="lists.page_export")
def export(actor: PageRead, session: SessionDep, status: EntryStatus | None = None) -> Response:
    """Download the shop's entries as CSV, in the columns an import reads."""
    out = io.StringIO()
    export_entries(session, out, shop_id=None, status=status)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="list-entries.csv"'},
    )


@router.post("/lists/import", name="lists.page_import")
async def import_csv(
    actor: PageBlockCustomers, request: Request, session: SessionDep, tasks: BackgroundTasks
) -> Response:
    """Save an uploaded CSV and import it in the background; the browser goes to the run's page.

    The import is all or nothing: with any bad row nothing is stored, and the run's page offers
    every bad row for download with what is wrong with it.
    """
    said = speaker(request)
    data = await request.form(max_files=1, max_fields=10)
    form = sent(data)
    upload = data.get("file")
    filters = EntryFilter()
    if upload is None or isinstance(upload, str) or not upload.filename:
        form.errors["file"] = said.gettext("Choose a CSV file.")
        return _lists_page(request, session, filters, None, None, import_form=form, status=422)
    settings = request.app.state.settings
    dest = imports.upload_path(settings.data_dir)
    try:
        rows = await run_in_threadpool(imports.save_upload, upload.file, dest, settings.max_upload_bytes)
    except DomainError:
        form.errors["file"] = said.gettext(
            "The file is larger than the page takes; import it with `storeguard lists import`."
        )
        return _lists_page(request, session, filters, None, None, import_form=form, status=413)
    run = imports.start_list_import(
        session,
        actor=actor,
        file_name=upload.filename,
        path=dest,
        rows=rows,
        note=str(form.value("note")).strip() or None,
    )
    session.commit()
    tasks.add_task(imports.import_job, request.app.state.session_factory, run.id)
    return RedirectResponse(f"/lists/imports/{run.id}", status_code=303)


IMPORT_STATUS = {  # the word, its colour, and what it means for the file
    RunStatus.running: (N_("Running"), "info", N_("The file is being imported; this page follows it.")),
    RunStatus.finished: (N_("Imported"), "ok", N_("Every row was read; the new entries are on the list.")),
    RunStatus.refused: (
        N_("Nothing was imported"),
        "bad",
        N_("Some rows are wrong, so no row was stored. Fix them and import the file again."),
    ),
    RunStatus.failed: (N_("Failed"), "bad", N_("The import stopped on an error; nothing was stored.")),
}


def _import_run_context(session: Session, run_id: int) -> dict[str, Any]:
    run = get_run(session, run_id, imports.IMPORT_KIND)
    return {"progress": progress_of(run), "run_status": IMPORT_STATUS}


@router.get("/lists/imports/{run_id}", name="lists.page_import_run")
def import_run(actor: PageBlockCustomers, request: Request, session: SessionDep, run_id: Id) -> Response:
    """How far an import got: rows done of the file's, what it created and skipped, its bad rows."""
    return render(request, "lists/import_run.html", _import_run_context(session, run_id))


@router.get("/lists/imports/{run_id}/progress", name="lists.page_import_progress")
def import_progress(actor: PageBlockCustomers, request: Request, session: SessionDep, run_id: Id) -> Response:
    """The import's progress part, which asks again every second while the import runs (htmx)."""
    return render(request, "lists/_import_progress.html", _import_run_context(session, run_id))


@router.get("/lists/imports/{run_id}/bad-rows.csv", name="lists.page_import_bad_rows")
def import_bad_rows(actor: PageBlockCustomers, session: SessionDep, run_id: Id) -> Response:
    """Download the import's bad rows: row number, field and what is wrong."""
    run = get_run(session, run_id, imports.IMPORT_KIND)
    return Response(
        imports.bad_rows_csv(run),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="list-import-{run.id}-bad-rows.csv"'},
    )


@router.post("/lists/entries", name="lists.page_add_entry")
def add_entry(actor: PageBlockCustomers, request: Request, session: SessionDep, data: FormDep) -> Response:
    """Put one entry on the list through the same action as the API; a refusal marks its field."""
    said, form = speaker(request), sent(data)
    kind = form.value("kind") or EntryKind.block.value
    try:
        with attempt(session):
            entry, created = create_entry(
                session,
                shop_id=None,
                type=str(form.value("type")),
                value=str(form.value("value")).strip(),
                actor=actor,
                kind=kind,
                action=None if kind == EntryKind.allow else (form.value("action") or EntryAction.block),
                reason_code=form.value("reason_code") or None,
                evidence={"notes": [n for n in (str(form.value("notes")).strip(),) if n]},
                note=str(form.value("notes")).strip() or None,
                confirm_broad=form.checked("confirm_broad"),
            )
    except DomainError as error:
        if error.field not in ENTRY_FIELDS:
            error.field = "value"  # the normalizers name the identifier ("phone"); the form says value
        return _lists_page(
            request,
            session,
            EntryFilter(),
            None,
            None,
            entry_form=refuse(form, error, said),
            status=error.status,
        )
    session.commit()
    message = (
        said.gettext("Entry %(id)s is on the list.", id=entry.id)
        if created
        else said.gettext("That entry was already on the list (entry %(id)s).", id=entry.id)
    )
    response = RedirectResponse("/lists", status_code=303)
    flash.add(response, request, message)
    return response


# ---- settings: the shop's reason codes ---------------------------------------------------------------

ReasonCodeChange = Literal["retire", "restore"]


def reason_codes_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """The shop's reason codes with the plain words a notice uses, and a form to add one."""
    shop = first_shop(session)
    if shop is None:
        return None
    user = getattr(request.state, "page_user", None)
    return Panel(
        "lists/_reason_codes.html",
        {
            "codes": list_reason_codes(session, shop.id),
            "form": getattr(request.state, "reason_form", None) or Form(),
            "may_change": user is not None and user.can(Permission.manage_settings),
        },
        order=20,
    )


add_panel("settings.sections", "lists.reason_codes", reason_codes_section)


@router.post("/settings/reason-codes", name="lists.page_add_reason_code")
def add_reason_code(
    actor: PageManageSettings, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Add a reason code with its plain words per language; a refusal marks its field."""
    said, form = speaker(request), sent(data)
    shop = first_shop(session)
    response = RedirectResponse("/settings#reasons-h", status_code=303)
    if shop is None:
        return response
    words = {lang: str(form.value(f"words_{lang}")).strip() for lang in NOTICE_LANGUAGES}
    try:
        with attempt(session):
            create_reason_code(
                session,
                shop_id=shop.id,
                code=str(form.value("code")),
                label=str(form.value("label")),
                descriptions={lang: text for lang, text in words.items() if text},
                actor=actor,
            )
    except DomainError as error:
        flash.add(
            response, request, said.gettext("Nothing was changed: %(problem)s", problem=describe(error, said))
        )
        return response
    session.commit()
    flash.add(
        response, request, said.gettext("Reason code %(code)s added.", code=str(form.value("code")).strip())
    )
    return response


# ---- settings: the notice a blocked customer gets, in each language ------------------------------


def _notice_choice(request: Request, session: Session) -> dict[str, Any] | None:
    shop = first_shop(session)
    if shop is None:
        return None
    codes = [(r.code, r.label) for r in list_reason_codes(session, shop.id) if r.active]
    reason = request.query_params.get("notice_reason") or (codes[0][0] if codes else "")
    action = request.query_params.get("notice_action") or EntryAction.block.value
    if action not in {a.value for a in EntryAction}:
        action = EntryAction.block.value
    return {
        "form": Form(values={"notice_reason": reason, "notice_action": action}),
        "reasons": codes,
        "actions": [(a.value, speaker(request).gettext(ACTIONS[a])) for a in EntryAction],
        "notices": service.notice_previews(session, shop, reason, action),
    }


def notices_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """The notice a blocked customer gets, side by side in every language, for a reason and action."""
    choice = _notice_choice(request, session)
    if choice is None:
        return None
    return Panel("lists/_notices.html", choice, order=25, title=N_("Notices"), anchor="notices-h")


add_panel("settings.sections", "lists.notices", notices_section)


@router.get("/settings/notices", name="lists.page_notice_previews")
def notice_previews(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """The notices for another reason or action (htmx, as one picks; the settings page without it)."""
    choice = _notice_choice(request, session)
    if choice is None or not request.headers.get("HX-Request"):
        return RedirectResponse(f"/settings?{request.url.query}#notices-h", status_code=303)
    return render(request, "lists/_notice_grid.html", choice)


@router.post("/settings/reason-codes/{code}/{change}", name="lists.page_retire_reason_code")
def retire_or_restore_reason_code(
    actor: PageManageSettings, request: Request, session: SessionDep, code: str, change: ReasonCodeChange
) -> Response:
    """Retire a reason code (no new blocks use it) or bring it back."""
    said = speaker(request)
    shop = first_shop(session)
    response = RedirectResponse("/settings#reasons-h", status_code=303)
    if shop is None:
        return response
    act = retire_reason_code if change == "retire" else restore_reason_code
    try:
        with attempt(session):
            act(session, shop_id=shop.id, code=code, actor=actor)
    except DomainError as error:
        flash.add(
            response, request, said.gettext("Nothing was changed: %(problem)s", problem=describe(error, said))
        )
        return response
    session.commit()
    done = (
        said.gettext("Reason code %(code)s is retired: new blocks can no longer use it.", code=code)
        if change == "retire"
        else said.gettext("Reason code %(code)s is in use again.", code=code)
    )
    flash.add(response, request, done)
    return response
