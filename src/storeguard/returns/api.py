"""JSON routes for returns: open one, take it through its steps, add photos, read the queue and policy.

Reading takes ``read`` (viewers); every step of a return takes ``work_orders`` (agents), as the
refund it ends in does; the return policy takes ``manage_settings`` (admins).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import FileResponse

from storeguard.core.api import CanManageSettings, CanRead, CanWorkOrders, Page, PagingDep, SessionDep
from storeguard.core.http import allow_upload, read_at_most
from storeguard.core.schemas import Id
from storeguard.returns import actions, service
from storeguard.returns.schemas import (
    AuthorizeIn,
    InspectionIn,
    ReasonIn,
    RefundReturnIn,
    ReturnCreate,
    ReturnFilter,
    ReturnPhotoRead,
    ReturnPolicyIn,
    ReturnPolicyRead,
    ReturnRead,
)
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import shop_or_only_shop

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such return (return_not_found) or order", **_PROBLEM},
    409: {
        "description": "The return's or order's state forbids it (wrong_state, inspection_required, "
        "quantity_exceeds_returnable, outside_return_window, order_not_fulfilled)",
        **_PROBLEM,
    },
    422: {
        "description": "Invalid input (invalid_reason, invalid_condition, photo_not_an_image, …)",
        **_PROBLEM,
    },
}
router = APIRouter(prefix="/v1", tags=["returns"], responses=PROBLEMS)
allow_upload("/v1/returns/{return_id}/photos")  # read as a stream up to the photo limit


def _read(session: SessionDep, return_id: int) -> ReturnRead:
    session.expire_all()
    return ReturnRead.model_validate(service.get_return(session, return_id))


@router.get("/returns", name="returns.list")
def list_returns(
    actor: CanRead,
    session: SessionDep,
    paging: PagingDep,
    shop_id: ShopFilter,
    filters: Annotated[ReturnFilter, Query()],
) -> Page[ReturnRead]:
    """List returns, newest first, by state, order or customer."""
    rows, total = service.list_returns(
        session,
        shop_id=shop_id,
        status=filters.status,
        order_id=filters.order_id,
        customer_id=filters.customer_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[ReturnRead.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/returns", status_code=status.HTTP_201_CREATED, name="returns.create")
def create_return(actor: CanWorkOrders, body: ReturnCreate, session: SessionDep) -> ReturnRead:
    """Open a return for shipped units of an order, inside the shop's return window."""
    rma = actions.request_return(
        session,
        order_id=body.order_id,
        reason=body.reason,
        lines=[actions.LineAsked(x.line_item_id, x.quantity, x.reason) for x in body.lines],
        note=body.note,
        late=body.late,
        actor=actor,
    )
    session.commit()
    return _read(session, rma.id)


@router.get("/returns/{return_id}", name="returns.detail")
def get_return(actor: CanRead, return_id: Id, session: SessionDep) -> ReturnRead:
    """Show a return with its lines, their condition and fees, and its photos."""
    return ReturnRead.model_validate(service.get_return(session, return_id))


@router.post("/returns/{return_id}/authorize", name="returns.authorize")
def authorize(actor: CanWorkOrders, return_id: Id, body: AuthorizeIn, session: SessionDep) -> ReturnRead:
    """Let the customer send the goods back."""
    actions.authorize_return(
        session, return_id=return_id, actor=actor, note=body.note, notify_customer=body.notify_customer
    )
    session.commit()
    return _read(session, return_id)


@router.post("/returns/{return_id}/decline", name="returns.decline")
def decline(actor: CanWorkOrders, return_id: Id, body: ReasonIn, session: SessionDep) -> ReturnRead:
    """Refuse a requested return, saying why."""
    actions.decline_return(session, return_id=return_id, actor=actor, reason=body.reason)
    session.commit()
    return _read(session, return_id)


@router.post("/returns/{return_id}/receive", name="returns.receive")
def receive(actor: CanWorkOrders, return_id: Id, session: SessionDep) -> ReturnRead:
    """Record that the goods arrived back."""
    actions.receive_return(session, return_id=return_id, actor=actor)
    session.commit()
    return _read(session, return_id)


@router.post("/returns/{return_id}/inspect", name="returns.inspect")
def inspect(actor: CanWorkOrders, return_id: Id, body: InspectionIn, session: SessionDep) -> ReturnRead:
    """Record each line's condition; it sets the fee kept and whether the goods are restocked."""
    actions.inspect_return(
        session,
        return_id=return_id,
        actor=actor,
        conditions={x.return_line_id: x.condition for x in body.lines},
        note=body.note,
    )
    session.commit()
    return _read(session, return_id)


@router.post("/returns/{return_id}/refund", name="returns.refund")
def refund(actor: CanWorkOrders, return_id: Id, body: RefundReturnIn, session: SessionDep) -> ReturnRead:
    """Refund the return through its order: the lines' value less the fees kept."""
    actions.refund_return(
        session,
        return_id=return_id,
        actor=actor,
        shipping=body.shipping,
        notify_customer=body.notify_customer,
    )
    session.commit()
    return _read(session, return_id)


@router.post("/returns/{return_id}/reject", name="returns.reject")
def reject(actor: CanWorkOrders, return_id: Id, body: ReasonIn, session: SessionDep) -> ReturnRead:
    """Refuse a received return after inspection; no money moves."""
    actions.reject_return(session, return_id=return_id, actor=actor, reason=body.reason)
    session.commit()
    return _read(session, return_id)


@router.post(
    "/returns/{return_id}/photos",
    status_code=status.HTTP_201_CREATED,
    name="returns.add_photo",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The image itself as the body (JPEG, PNG, WebP or GIF); its type is read from the bytes.",
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def add_photo(
    actor: CanWorkOrders, return_id: Id, session: SessionDep, request: Request
) -> ReturnPhotoRead:
    """Add a photo of the returned goods, sent as the request body; it is stored without its metadata."""
    data = await read_at_most(request, service.photo_limit())
    made = actions.add_return_photo(session, return_id=return_id, data=data, actor=actor)
    session.commit()
    return ReturnPhotoRead.model_validate(made)


@router.get("/returns/{return_id}/photos/{photo_id}", name="returns.photo", response_class=FileResponse)
def get_photo(actor: CanRead, return_id: Id, photo_id: Id, session: SessionDep) -> FileResponse:
    """The photo itself."""
    photo, path = service.photo_file(session, return_id, photo_id)
    return FileResponse(path, media_type=photo.content_type)


@router.get("/return-policy", name="returns.policy")
def get_policy(actor: CanRead, session: SessionDep, shop_id: ShopFilter) -> ReturnPolicyRead:
    """The shop's return policy: windows, fees by condition, which segments are refunded before inspection."""
    shop = shop_or_only_shop(session, shop_id)
    policy, revision = service.return_policy(session, shop.id)
    return ReturnPolicyRead(shop_id=shop.id, revision=revision, policy=policy)


@router.patch("/return-policy", name="returns.update_policy")
def update_policy(actor: CanManageSettings, body: ReturnPolicyIn, session: SessionDep) -> ReturnPolicyRead:
    """Change parts of the shop's return policy."""
    shop = shop_or_only_shop(session, body.shop_id)
    actions.update_return_policy(session, shop_id=shop.id, actor=actor, changes=body.changes)
    session.commit()
    policy, revision = service.return_policy(session, shop.id)
    return ReturnPolicyRead(shop_id=shop.id, revision=revision, policy=policy)
