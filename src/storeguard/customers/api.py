"""Customer routes: records, identifiers, links, timeline, and which identifier types link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from storeguard.core.api import Admin, Agent, Page, PagingDep, SessionDep, Viewer
from storeguard.core.schemas import Id
from storeguard.customers import actions, service
from storeguard.customers.filters import chosen_filters, filter_clauses
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import LinkPath
from storeguard.customers.models import Customer
from storeguard.customers.schemas import (
    CustomerCreate,
    CustomerRead,
    IdentifierCreate,
    IdentifierRead,
    LinkRead,
    LinksRead,
    LinkTypesIn,
    LinkTypesRead,
    TimelineEventRead,
)
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import get_shop

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def get_current_customer(customer_id: Id, session: SessionDep) -> Customer:
    """Load the customer named in the path, or answer 404."""
    return service.get_customer(session, customer_id)


CurrentCustomer = Annotated[Customer, Depends(get_current_customer)]


@router.post("", status_code=201, response_model=CustomerRead, name="customers.create")
def create_customer(body: CustomerCreate, session: SessionDep, actor: Agent) -> Customer:
    """Create a customer; the email, phone and platform id become identifiers."""
    customer = actions.create_customer(session, actor=actor, **body.model_dump())
    session.commit()
    return customer


@router.get("", response_model=Page[CustomerRead], name="customers.list")
def list_customers(
    session: SessionDep,
    _: Viewer,
    paging: PagingDep,
    shop_id: ShopFilter,
    email: str | None = None,
    state: str | None = None,
    q: Annotated[str | None, Query(description="email, name or phone contains")] = None,
    cluster_id: Id | None = None,
    segment: Annotated[
        str | None,
        Query(max_length=30, description="vip, good, neutral, watch, restricted or blocked"),
    ] = None,
    finding: Annotated[
        str | None,
        Query(max_length=40, description="a finding's type: bracketing, wardrobing, serial_returning, ..."),
    ] = None,
) -> Page[CustomerRead]:
    """List customers, filtered by shop, email, state, text, cluster, segment or finding (combined)."""
    chosen = chosen_filters({"segment": segment, "finding": finding})
    rows, total = service.list_customers(
        session,
        shop_id=shop_id,
        email=email,
        state=state,
        q=q,
        cluster_id=cluster_id,
        picks=filter_clauses(chosen),
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[CustomerRead.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/link-types", response_model=LinkTypesRead, name="customers.link_types")
def get_link_types(shop_id: Id, session: SessionDep, _: Viewer) -> LinkTypesRead:
    """Say which identifier types link customers in a shop."""
    shop = get_shop(session, shop_id, field="shop_id")
    return LinkTypesRead(shop_id=shop.id, types=[t.value for t in link_types(shop)])


@router.put("/link-types", response_model=LinkTypesRead, name="customers.set_link_types")
def put_link_types(body: LinkTypesIn, session: SessionDep, actor: Admin) -> LinkTypesRead:
    """Choose which identifier types link customers, and rebuild the clusters."""
    chosen = actions.set_link_types(session, shop_id=body.shop_id, types=body.types, actor=actor)
    session.commit()
    return LinkTypesRead(shop_id=body.shop_id, types=chosen)


@router.get("/{customer_id}", response_model=CustomerRead, name="customers.detail")
def get_customer(customer: CurrentCustomer, _: Viewer) -> Customer:
    """Return one customer."""
    return customer


@router.get("/{customer_id}/identifiers", response_model=list[IdentifierRead], name="customers.identifiers")
def get_identifiers(customer: CurrentCustomer, session: SessionDep, _: Viewer) -> list:
    """List the identifiers the customer has used, oldest first."""
    return service.identifiers_of(session, customer.id)


@router.post(
    "/{customer_id}/identifiers",
    status_code=201,
    response_model=IdentifierRead,
    name="customers.add_identifier",
)
def post_identifier(body: IdentifierCreate, customer: CurrentCustomer, session: SessionDep, actor: Agent):  # noqa: ANN201
    """Add an identifier; an unreadable email, phone or IP answers 422 naming the field and value."""
    identifier = actions.add_customer_identifier(
        session, customer=customer, type=body.type, value=body.value, actor=actor
    )
    session.commit()
    return identifier


@router.get("/{customer_id}/links", response_model=LinksRead, name="customers.links")
def get_links(customer: CurrentCustomer, session: SessionDep, _: Viewer) -> LinksRead:
    """Return the customer's cluster and, for each linked customer, the identifiers that link them."""
    links = service.links_of(session, customer)
    return LinksRead(
        customer_id=customer.id,
        cluster=links.cluster,
        link_types=links.link_types,
        links=[_link_read(cid, path) for cid, path in sorted(links.paths.items())],
        possible_matches=[_link_read(cid, path) for cid, path in sorted(links.possible.items())],
    )


def _link_read(customer_id: int, path: LinkPath) -> LinkRead:
    return LinkRead(
        customer_id=customer_id,
        strength=path.strength,
        path_text=path.text(),
        path=path.as_dict(),  # type: ignore[arg-type]
    )


@router.get("/{customer_id}/timeline", response_model=list[TimelineEventRead], name="customers.timeline")
def get_timeline(customer: CurrentCustomer, session: SessionDep, _: Viewer) -> list:
    """Return everything recorded about the customer, oldest first (blocks and lifts included)."""
    return service.timeline(session, customer.id)
