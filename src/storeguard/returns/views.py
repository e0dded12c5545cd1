"""Returns on the admin pages: the queue by state, the return's page with its steps, inspection and
photos, starting a return from an order, returns on the order and customer pages, the dashboard's
figures and the return policy in settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.audit import events_for
from storeguard.core.errors import DomainError
from storeguard.core.http import allow_upload
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.orders import service as orders_service
from storeguard.orders.models import Order
from storeguard.returns import actions, policy, service
from storeguard.returns.enums import Condition, ReturnError, ReturnReason, ReturnStatus
from storeguard.returns.models import Return
from storeguard.returns.policy import SEGMENTS
from storeguard.shops.service import first_shop
from storeguard.staff.pages import PageManageSettings, PageRead, PageWorkOrders
from storeguard.staff.settings_views import form_sent_to, show_settings_again
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, query_filters, refuse, sent
from storeguard.web.i18n import N_, Speaker
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import ATTENTION, Panel, add_panel, tile
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.steps import take_step
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words, timeline_items

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Returns"), "/returns", order=22))
PAGE_SIZE = 50

STATUS = {
    ReturnStatus.requested: (N_("Requested"), "warn"),
    ReturnStatus.authorized: (N_("Approved"), "info"),  # "Authorized" is a payment's word in the catalogs
    ReturnStatus.declined: (N_("Declined"), ""),
    ReturnStatus.received: (N_("Received"), "warn"),
    ReturnStatus.inspected: (N_("Inspected"), "info"),
    ReturnStatus.refunded: (N_("Refunded"), "ok"),
    ReturnStatus.partly_refunded: (N_("Partly refunded"), "ok"),
    ReturnStatus.rejected: (N_("Rejected"), "bad"),
}
REASONS = {
    ReturnReason.size: N_("Size or fit"),
    ReturnReason.not_as_described: N_("Not as described"),
    ReturnReason.damaged: N_("Arrived damaged"),
    ReturnReason.changed_mind: N_("Changed their mind"),
    ReturnReason.wrong_item: N_("Wrong item sent"),
    ReturnReason.not_received: N_("Not received"),
    ReturnReason.other: N_("Other"),
}
CONDITIONS = {
    Condition.new_with_tags: N_("As new, with tags"),
    Condition.used: N_("Used or worn"),
    Condition.damaged_by_customer: N_("Damaged by the customer"),
    Condition.not_the_item_sent: N_("Not the item we sent"),
}
# What each state waits for, in the queue's tabs, in the order the work flows.
QUEUE = (
    ReturnStatus.requested,
    ReturnStatus.authorized,
    ReturnStatus.received,
    ReturnStatus.inspected,
)
register_refusals(
    {
        ReturnError.inspection_required: N_(
            "This return must be inspected before it is refunded: the return policy refunds only some customers' returns before inspection."
        ),
        ReturnError.reason_required: N_("Say why; the customer is told."),
        ReturnError.quantity_exceeds_returnable: N_("More units than were shipped and not yet returned."),
        ReturnError.photo_not_an_image: N_("That file is not a photo: send a JPEG, PNG, WebP or GIF image."),
        ReturnError.photo_too_large: N_("That photo is too large."),
        ReturnError.no_lines: N_("Choose at least one item to return."),
    }
)
register_event_words(
    {
        "return.requested": N_("Return requested"),
        "return.authorized": N_("Return authorized"),
        "return.declined": N_("Return declined"),
        "return.received": N_("Goods received back"),
        "return.inspected": N_("Goods inspected"),
        "return.refunded": N_("Return refunded"),
        "return.rejected": N_("Return rejected"),
        "return.photo_added": N_("Photo added"),
        "return_policy.updated": N_("Return policy changed"),
    }
)
allow_upload("/returns/{return_id}/photos")  # spooled to disk by the form parser; read up to the photo limit


def _labels() -> dict[str, Any]:
    return {"return_status": STATUS, "reasons": REASONS, "conditions": CONDITIONS}


# ---- the dashboard, and returns on the order and customer pages ---------------------------------


def return_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Return requests to decide on and goods back to inspect: each waits for a person."""
    counts = service.status_counts(session)
    waiting, back = counts.get(ReturnStatus.requested, 0), counts.get(ReturnStatus.received, 0)
    return [
        tile(
            N_("Return requests to decide"),
            waiting,
            attention=waiting > 0,
            order=30,
            group=ATTENTION,
            href="/returns?status=requested",
        ),
        tile(
            N_("Returns to inspect"),
            back,
            attention=back > 0,
            order=31,
            group=ATTENTION,
            href="/returns?status=received",
        ),
    ]


add_panel("dashboard.tiles", "returns.waiting", return_tiles)


def order_returns_panel(request: Request, session: Session, order: Order) -> Panel | None:
    """The order's returns, and a way to start one while shipped units may still come back."""
    returns = service.returns_of_order(session, order.id)
    returnable = sum(may for _, may in service.returnable_lines(session, order))
    if not returns and not returnable:
        return None
    return Panel(
        "returns/_order_returns.html",
        {"returns": returns, "returnable": returnable, **_labels()},
        order=20,
    )


add_panel("order.side", "returns.of_order", order_returns_panel)


def customer_returns_panel(request: Request, session: Session, customer: Any) -> Panel | None:
    """The customer's latest returns on the customer page."""
    returns = service.returns_of_customer(session, customer.id, 10)
    if not returns:
        return None
    return Panel("returns/_customer_returns.html", {"returns": returns, **_labels()}, order=15)


add_panel("customer.main", "returns.of_customer", customer_returns_panel)


# ---- the queue ----------------------------------------------------------------------------------


class ReturnListFilter(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: ReturnStatus | None = None


@router.get("/returns", name="returns.page_list")
def return_list(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    filters: Annotated[ReturnListFilter, Depends(query_filters(ReturnListFilter))],
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """Returns by state, newest first; the tabs count what waits at each step."""
    page = service.return_page(
        session,
        status=filters.status,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    orders = orders_service.orders_by_id(session, {r.order_id for r in page.rows})
    context = {
        "rows": page.rows,
        "orders": orders,
        "links": page_links(request, page, lambda r: (r.requested_at, r.id)),
        "filters": filters,
        "counts": service.status_counts(session),
        "queue": QUEUE,
        **_labels(),
    }
    return render(request, "returns/list.html", context)


# ---- one return ---------------------------------------------------------------------------------


def _return_page(
    request: Request, session: Session, rma: Return, *, form: Form | None = None, status: int = 200
) -> Response:
    order = orders_service.get_order(session, rma.order_id)
    items = {line.id: line for line in order.line_items}
    context = {
        "rma": rma,
        "order": order,
        "items": items,
        "preview": service.refund_preview(session, rma),
        "timeline": timeline_items(events_for(session, "return", rma.id)),
        "form": form or Form(),
        "condition_choices": [(c.value, speaker(request).gettext(w)) for c, w in CONDITIONS.items()],
        "may": {step: policy.step_allowed(step, rma.status) for step in policy.STEPS},
        "early_refund": rma.status in policy.EARLY_REFUND_FROM,
        "is_open": ReturnStatus(rma.status).is_open,
        **_labels(),
    }
    return render(request, "returns/detail.html", context, status_code=status)


@router.get("/returns/{return_id}", name="returns.page_detail")
def return_page(actor: PageRead, request: Request, session: SessionDep, return_id: Id) -> Response:
    """A return: its lines and their condition, the money a refund would move, photos, what happened."""
    return _return_page(request, session, service.get_return(session, return_id))


def _step(
    request: Request, session: Session, return_id: int, do: Any, done: str, form: Form | None = None
) -> Response:
    """Run one step; a refusal shows the return again with the reason, and nothing changed."""
    return take_step(
        request,
        session,
        do,
        form=form or Form(),
        done_url=f"/returns/{return_id}",
        done=done,
        show_again=lambda refused, status: _return_page(
            request, session, service.get_return(session, return_id), form=refused, status=status
        ),
    )


@router.post("/returns/{return_id}/authorize", name="returns.page_authorize")
def authorize(
    actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id, data: FormDep
) -> Response:
    """Let the customer send the goods back."""
    note = str(data.get("note") or "")
    return _step(
        request,
        session,
        return_id,
        lambda: actions.authorize_return(session, return_id=return_id, actor=actor, note=note),
        N_("Return authorized: the customer may send the goods back."),
    )


@router.post("/returns/{return_id}/decline", name="returns.page_decline")
def decline(
    actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id, data: FormDep
) -> Response:
    """Refuse the request, saying why."""
    form = sent(data)
    return _step(
        request,
        session,
        return_id,
        lambda: actions.decline_return(
            session, return_id=return_id, actor=actor, reason=str(form.value("reason"))
        ),
        N_("Return declined."),
        form,
    )


@router.post("/returns/{return_id}/receive", name="returns.page_receive")
def receive(actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id) -> Response:
    """The goods arrived back."""
    return _step(
        request,
        session,
        return_id,
        lambda: actions.receive_return(session, return_id=return_id, actor=actor),
        N_("Marked as received: inspect the goods next."),
    )


@router.post("/returns/{return_id}/inspect", name="returns.page_inspect")
def inspect(
    actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id, data: FormDep
) -> Response:
    """Record the condition of each line."""
    form = sent(data)
    conditions = {
        int(k.removeprefix("condition-")): str(v)
        for k, v in form.values.items()
        if k.startswith("condition-") and k[10:].isdigit() and v
    }
    return _step(
        request,
        session,
        return_id,
        lambda: actions.inspect_return(
            session,
            return_id=return_id,
            actor=actor,
            conditions=conditions,
            note=str(form.value("inspection_note")),
        ),
        N_("Inspection recorded: the fees and what goes back into stock follow the return policy."),
        form,
    )


@router.post("/returns/{return_id}/refund", name="returns.page_refund")
def refund(
    actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id, data: FormDep
) -> Response:
    """Refund the return through its order."""
    form = sent(data)
    return _step(
        request,
        session,
        return_id,
        lambda: actions.refund_return(
            session, return_id=return_id, actor=actor, notify_customer=form.checked("notify_customer")
        ),
        N_("Refunded through the order."),
        form,
    )


@router.post("/returns/{return_id}/reject", name="returns.page_reject")
def reject(
    actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id, data: FormDep
) -> Response:
    """Refuse the returned goods after looking at them; no money moves."""
    form = sent(data)
    return _step(
        request,
        session,
        return_id,
        lambda: actions.reject_return(
            session, return_id=return_id, actor=actor, reason=str(form.value("reason"))
        ),
        N_("Return rejected: no money moved."),
        form,
    )


@router.post("/returns/{return_id}/photos", name="returns.page_add_photo")
async def add_photo(actor: PageWorkOrders, request: Request, session: SessionDep, return_id: Id) -> Response:
    """Add a photo from the page's file field (a plain form post)."""
    data = await request.form(max_files=1, max_fields=5)
    upload = data.get("photo")
    photo = b"" if upload is None or isinstance(upload, str) else await upload.read(service.photo_limit() + 1)
    if not photo:
        said = speaker(request)
        form = Form(errors={"photo": said.gettext("Choose a photo to upload first.")})
        return _return_page(request, session, service.get_return(session, return_id), form=form, status=422)
    return _step(
        request,
        session,
        return_id,
        lambda: actions.add_return_photo(session, return_id=return_id, data=photo, actor=actor),
        N_("Photo added."),
    )


@router.get("/returns/{return_id}/photos/{photo_id}", name="returns.page_photo")
def photo(actor: PageRead, session: SessionDep, return_id: Id, photo_id: Id) -> FileResponse:
    """One photo of the returned goods."""
    kept, path = service.photo_file(session, return_id, photo_id)
    return FileResponse(path, media_type=kept.content_type)


# ---- starting a return from an order ------------------------------------------------------------


def _start_page(request: Request, session: Session, order: Order, form: Form, status: int = 200) -> Response:
    said = speaker(request)
    context = {
        "order": order,
        "lines": service.returnable_lines(session, order),
        "form": form,
        "reason_choices": [(r.value, said.gettext(w)) for r, w in REASONS.items()],
    }
    return render(request, "returns/start.html", context, status_code=status)


@router.get("/orders/{order_id}/return", name="returns.page_start")
def start(actor: PageWorkOrders, request: Request, session: SessionDep, order_id: Id) -> Response:
    """Ask which units come back and why."""
    order = orders_service.get_order(session, order_id)
    return _start_page(request, session, order, Form(values={"reason": ReturnReason.size.value}))


@router.post("/orders/{order_id}/return", name="returns.page_create")
def create(
    actor: PageWorkOrders, request: Request, session: SessionDep, order_id: Id, data: FormDep
) -> Response:
    """Open the return; a refusal shows the form again with its reason, and nothing is opened."""
    said, form = speaker(request), sent(data)
    order = orders_service.get_order(session, order_id)
    lines = _lines_asked(form, said)
    status = 422
    if form.ok:
        try:
            with attempt(session):
                rma = actions.request_return(
                    session,
                    order_id=order.id,
                    reason=str(form.value("reason")),
                    lines=lines,
                    note=str(form.value("note")),
                    late=form.checked("late"),
                    actor=actor,
                )
        except DomainError as error:
            refuse(form, error, said)
            status = error.status
    if not form.ok:
        session.expire_all()
        return _start_page(request, session, orders_service.get_order(session, order.id), form, status=status)
    session.commit()
    response = RedirectResponse(f"/returns/{rma.id}", status_code=303)
    flash.add(response, request, said.gettext("Return #%(id)s opened.", id=rma.id))
    return response


def _lines_asked(form: Form, said: Speaker) -> list[actions.LineAsked]:
    lines = []
    for key, value in form.values.items():
        if not key.startswith("qty-") or not key[4:].isdigit() or not str(value).strip():
            continue
        text = str(value).strip()
        if not text.isdigit() or len(text) > 6:
            form.errors[key] = said.gettext("A whole number of units.")
            continue
        if int(text) > 0:
            lines.append(actions.LineAsked(int(key[4:]), int(text)))
    if not lines and form.ok:
        form.errors["lines"] = said.gettext("Choose at least one item to return.")
    return lines


# ---- settings: the return policy ----------------------------------------------------------------


def policy_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """The shop's return policy on the settings page, with a form for admins."""
    shop = first_shop(session)
    if shop is None:
        return None
    rules, revision = service.return_policy(session, shop.id)
    user = getattr(request.state, "page_user", None)
    said = speaker(request)
    return Panel(
        "returns/_policy.html",
        {
            "form": form_sent_to(request, "return_policy") or Form(values=_policy_values(rules)),
            "conditions": [(c.value, w) for c, w in CONDITIONS.items()],
            "segments": [(s, said.gettext(SEGMENT_WORDS[s])) for s in SEGMENTS],
            "revision": revision,
            "may_change": user is not None and user.can(Permission.manage_settings),
        },
        order=35,
        title=N_("Returns"),
        anchor="return-policy-h",
    )


add_panel("settings.sections", "returns.policy", policy_section)
SEGMENT_WORDS = {
    "vip": N_("VIP"),
    "good": N_("Good"),
    "neutral": N_("Neutral"),
    "watch": N_("Watch"),
    "restricted": N_("Restricted"),
    "blocked": N_("Blocked"),
}


@router.post("/settings/returns", name="returns.page_policy")
def change_policy(
    actor: PageManageSettings, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Change the return policy; a bad value shows the form again with its field marked."""
    said, form = speaker(request), sent(data)
    shop = first_shop(session)
    if shop is None:
        return RedirectResponse("/settings", status_code=303)
    changes = _policy_changes(form, said)
    if not form.ok:
        return show_settings_again(request, session, "return_policy", form, status=422)
    try:
        with attempt(session):
            actions.update_return_policy(session, shop_id=shop.id, actor=actor, changes=changes)
    except DomainError as error:
        field = (error.field or "").removeprefix("policy.")
        form.errors[field if field in form.values else "window_days"] = describe(error, said)
        return show_settings_again(request, session, "return_policy", form, status=error.status)
    session.commit()
    response = RedirectResponse("/settings#return-policy-h", status_code=303)
    flash.add(
        response,
        request,
        said.gettext("The return policy is saved; it applies to returns opened from now on."),
    )
    return response


def _policy_values(rules: dict[str, Any]) -> dict[str, str]:
    """The policy as the settings form shows it."""
    values = {
        "window_days": str(rules["window_days"]),
        "category_windows": ", ".join(f"{c}={d}" for c, d in sorted(rules["category_windows"].items())),
    }
    values |= {f"fee.{c}": str(p) for c, p in rules["fees"].items()}
    values |= {f"restock.{c}": "on" for c, back in rules["restock"].items() if back}
    values |= {f"early.{s}": "on" for s in rules["refund_before_inspection"]}
    if rules["late_returns_allowed"]:
        values["late_returns_allowed"] = "on"
    return values


def _policy_changes(form: Form, said: Speaker) -> dict[str, Any]:
    """Read the settings form into a policy change; a field that is not a number is marked."""

    def number(name: str) -> int | None:
        text = str(form.value(name)).strip()
        if not text.isdigit() or len(text) > 6:
            form.errors[name] = said.gettext("A whole number.")
            return None
        return int(text)

    windows: dict[str, int | None] = {}
    for part in str(form.value("category_windows")).split(","):
        if not part.strip():
            continue
        category, _, days = part.partition("=")
        if not category.strip() or not days.strip().isdigit():
            form.errors["category_windows"] = said.gettext(
                "Write category=days, separated by commas: swimwear=14, sale=7."
            )
            break
        windows[category.strip()] = int(days.strip())
    return {
        "window_days": number("window_days"),
        "category_windows": windows,
        "late_returns_allowed": form.checked("late_returns_allowed"),
        "fees": {c.value: number(f"fee.{c.value}") for c in Condition},
        "restock": {c.value: form.checked(f"restock.{c.value}") for c in Condition},
        "refund_before_inspection": [s for s in SEGMENTS if form.checked(f"early.{s}")],
    }
