"""List routes: entries, matching, reason codes, and blocking or unblocking a customer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from storeguard.core.api import Admin, Agent, CanBlockCustomers, Page, PagingDep, SessionDep, Viewer
from storeguard.core.errors import NotFound
from storeguard.core.schemas import Id
from storeguard.customers.enums import CustomerErrorCode
from storeguard.customers.identifiers import order_match_keys
from storeguard.customers.service import get_customer
from storeguard.lists import actions, blocking, reasons, service
from storeguard.lists.matching import match
from storeguard.lists.models import ListEntry
from storeguard.lists.schemas import (
    BlockCustomerIn,
    BlockRead,
    EntryCreate,
    EntryRead,
    EntryUpdate,
    LiftBlockIn,
    MatchIn,
    MatchOut,
    ReasonCodeCreate,
    ReasonCodeRead,
)
from storeguard.lists.scope import LineFacts
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import shop_or_only_shop

router = APIRouter(tags=["lists"])


def _entry(entry: ListEntry, created: bool | None = None) -> EntryRead:
    read = EntryRead.model_validate(entry)
    read.created = created
    return read


@router.get("/v1/lists/entries", response_model=Page[EntryRead], name="lists.entries")
def list_entries(
    session: SessionDep,
    _: Viewer,
    paging: PagingDep,
    shop_id: ShopFilter,
    kind: str | None = None,
    type: str | None = None,
    value: str | None = None,
    status: Annotated[str | None, Query(description="active, expired or lifted")] = None,
    customer_id: Id | None = None,
    reason_code: str | None = None,
) -> Page[EntryRead]:
    """List entries, filtered by shop, kind, type, normalized value, status, customer or reason."""
    rows, total = service.list_entries(
        session,
        shop_id=shop_id,
        kind=kind,
        type=type,
        value=value,
        status=status,
        customer_id=customer_id,
        reason_code=reason_code,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=[_entry(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.post("/v1/lists/entries", status_code=201, response_model=EntryRead, name="lists.create_entry")
def create_entry(body: EntryCreate, session: SessionDep, actor: Agent, response: Response) -> EntryRead:
    """Add a block or allow entry; an identical active entry comes back (200) instead of a second one."""
    entry, created = actions.create_entry(
        session,
        shop_id=body.shop_id,
        kind=body.kind,
        type=body.type,
        value=body.value,
        action=body.action,
        reason_code=body.reason_code,
        scope=body.scope,
        evidence=body.evidence.model_dump(),
        note=body.note,
        justification=body.justification,
        expires_at=body.expires_at,
        confirm_broad=body.confirm_broad,
        actor=actor,
    )
    session.commit()
    if not created:
        response.status_code = 200
    return _entry(entry, created)


@router.get("/v1/lists/entries/{entry_id}", response_model=EntryRead, name="lists.entry")
def get_entry(entry_id: Id, session: SessionDep, _: Viewer) -> EntryRead:
    """Return one entry."""
    return _entry(actions.get_entry(session, entry_id))


@router.patch("/v1/lists/entries/{entry_id}", response_model=EntryRead, name="lists.update_entry")
def patch_entry(entry_id: Id, body: EntryUpdate, session: SessionDep, actor: Agent) -> EntryRead:
    """Change an active entry, or add evidence found later."""
    entry = actions.update_entry(
        session,
        entry_id=entry_id,
        actor=actor,
        action=body.action,
        scope=body.scope,
        reason_code=body.reason_code,
        add_evidence=body.add_evidence.model_dump() if body.add_evidence else None,
        note=body.note,
        expires_at=body.expires_at,
        clear_expiry=body.clear_expiry,
    )
    session.commit()
    return _entry(entry)


@router.delete("/v1/lists/entries/{entry_id}", response_model=EntryRead, name="lists.lift_entry")
def delete_entry(
    entry_id: Id,
    session: SessionDep,
    actor: Agent,
    reason: Annotated[str, Query(description="why the entry is lifted")],
) -> EntryRead:
    """Lift an entry: it stops applying and stays on record with who lifted it and why."""
    entry = actions.lift_entry(session, entry_id=entry_id, actor=actor, reason=reason)
    session.commit()
    return _entry(entry)


@router.post("/v1/lists/match", response_model=MatchOut, name="lists.match")
def post_match(body: MatchIn, session: SessionDep, _: Viewer) -> dict[str, Any]:
    """Say which active entries apply to an order or a set of identifiers, how, and to which lines."""
    shop = shop_or_only_shop(session, body.shop_id)
    keys: list[tuple[str, str]] = []
    if body.order:
        keys += order_match_keys(body.order, default_region=shop.country)
    for item in body.identifiers:
        target, value, _display = actions.normalize_target(session, shop, item.type, item.value)
        keys.append((target, value))
    keys = list(dict.fromkeys(keys))
    lines = (
        [
            LineFacts(index=i, **line.model_dump() | {"tags": tuple(line.tags)})
            for i, line in enumerate(body.lines)
        ]
        if body.lines is not None
        else None
    )
    if body.customer_id is not None and get_customer(session, body.customer_id).shop_id != shop.id:
        raise NotFound(
            CustomerErrorCode.customer_not_found,
            f"no customer {body.customer_id} in shop {shop.id}",
            field="customer_id",
        )
    result = match(
        session,
        shop_id=shop.id,
        identifiers=keys,
        customer_id=body.customer_id,
        lines=lines,
        order_total=body.order_total,
    )
    return service.result_data(result, keys)


@router.post(
    "/v1/customers/{customer_id}/block", status_code=201, response_model=BlockRead, name="customers.block"
)
def post_block(
    customer_id: Id, body: BlockCustomerIn, session: SessionDep, actor: CanBlockCustomers
) -> dict[str, Any]:
    """Block a customer (and by default their own identifiers); needs a reason code and evidence."""
    get_customer(session, customer_id)
    block = blocking.block_customer(
        session,
        customer_id=customer_id,
        actor=actor,
        reason_code=body.reason_code,
        evidence=body.evidence.model_dump(),
        justification=body.justification,
        action=body.action,
        scope=body.scope,
        block_identifiers=body.block_identifiers,
        identifier_types=body.identifier_types,
        disable_account=body.disable_account,
        notify=body.notify,
        expires_at=body.expires_at,
        confirm_broad=body.confirm_broad,
    )
    session.commit()
    return service.block_data(session, block)


@router.post("/v1/customers/{customer_id}/unblock", response_model=BlockRead, name="customers.unblock")
def post_unblock(
    customer_id: Id, body: LiftBlockIn, session: SessionDep, actor: CanBlockCustomers
) -> dict[str, Any]:
    """Lift the customer's block; the block, its entries and the lift all stay on record."""
    get_customer(session, customer_id)
    block = blocking.lift_block(
        session, customer_id=customer_id, actor=actor, reason=body.reason, enable_account=body.enable_account
    )
    session.commit()
    return service.block_data(session, block)


@router.get("/v1/customers/{customer_id}/blocks", response_model=list[BlockRead], name="customers.blocks")
def get_blocks(customer_id: Id, session: SessionDep, _: Viewer) -> list[dict[str, Any]]:
    """List every block the customer has had, lifted ones included."""
    get_customer(session, customer_id)
    return [service.block_data(session, b) for b in service.blocks_of(session, customer_id)]


@router.get("/v1/reason-codes", response_model=list[ReasonCodeRead], name="lists.reason_codes")
def get_reason_codes(session: SessionDep, _: Viewer, shop_id: Id | None = None) -> list:
    """List the shop's reason codes with their plain words per language."""
    shop = shop_or_only_shop(session, shop_id)
    codes = reasons.list_reason_codes(session, shop.id)
    session.commit()  # the defaults are seeded on first read
    return codes


@router.post(
    "/v1/reason-codes", status_code=201, response_model=ReasonCodeRead, name="lists.create_reason_code"
)
def post_reason_code(body: ReasonCodeCreate, session: SessionDep, actor: Admin):  # noqa: ANN201
    """Add a reason code to the shop's list (plain words in English at least)."""
    shop = shop_or_only_shop(session, body.shop_id)
    reason = reasons.create_reason_code(
        session,
        shop_id=shop.id,
        code=body.code,
        label=body.label,
        descriptions=body.descriptions,
        actor=actor,
    )
    session.commit()
    return reason


@router.post("/v1/reason-codes/{code}/retire", response_model=ReasonCodeRead, name="lists.retire_reason_code")
def retire_reason_code(code: str, session: SessionDep, actor: Admin, shop_id: Id | None = None):  # noqa: ANN201
    """Stop offering a reason code for new blocks; blocks made with it keep it."""
    shop = shop_or_only_shop(session, shop_id)
    reason = reasons.retire_reason_code(session, shop_id=shop.id, code=code, actor=actor)
    session.commit()
    return reason


@router.post(
    "/v1/reason-codes/{code}/restore", response_model=ReasonCodeRead, name="lists.restore_reason_code"
)
def restore_reason_code(code: str, session: SessionDep, actor: Admin, shop_id: Id | None = None):  # noqa: ANN201
    """Offer a retired reason code for new blocks again."""
    shop = shop_or_only_shop(session, shop_id)
    reason = reasons.restore_reason_code(session, shop_id=shop.id, code=code, actor=actor)
    session.commit()
    return reason
