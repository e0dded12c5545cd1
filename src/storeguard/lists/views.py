"""Lists on the admin pages: the dashboard's figures of blocks, and blocking on the customer page.

The block and unblock dialogs live here, beside the block actions, at the customer's address; the
customer page shows the blocks through a panel, so the customers package imports no list code.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.clock import now
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.customers.models import Customer
from storeguard.customers.service import get_customer, register_blocked_reader
from storeguard.lists import blocking, service
from storeguard.lists.enums import BlockStatus, EntryAction, ListErrorCode, ScopeKind
from storeguard.lists.reasons import list_reason_codes
from storeguard.orders.service import recent_orders
from storeguard.shops.service import get_shop
from storeguard.staff.pages import PageBlockCustomers
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.forms import Form, FormDep, attempt, money, refuse, sent
from storeguard.web.i18n import N_, Speaker
from storeguard.web.panels import WEEK, Panel, add_panel, tile
from storeguard.web.refusals import register_refusals
from storeguard.web.templating import render


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
BLOCK_STATUS = {BlockStatus.active: (N_("Active"), "bad"), BlockStatus.lifted: (N_("Lifted"), "")}
EVIDENCE_ORDERS = 20  # the customer's latest orders offered as evidence
register_refusals(
    {
        ListErrorCode.reason_code_required: N_("Choose a reason."),
        ListErrorCode.lift_reason_required: N_("Say why the block is lifted."),
        ListErrorCode.customer_not_blocked: N_("This customer is not blocked."),
    }
)
register_blocked_reader(service.blocked_customers)


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
