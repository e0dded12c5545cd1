"""The customer pages: the list with search, and one customer with their identifiers, the
customers linked to them (a graph and the path to each), and their timeline.

Other domains add their parts to the customer page through panels (``customer.main``: the
customer's orders, blocks and their history), so this package imports none of them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.api import SessionDep
from storeguard.core.schemas import Id
from storeguard.customers import service
from storeguard.customers.enums import AccountState
from storeguard.customers.links import describe_identifier
from storeguard.customers.pages import ACCOUNT_STATE, IDENTIFIER_TYPES, link_graph
from storeguard.staff.pages import PageRead
from storeguard.web.context import NavItem, add_nav
from storeguard.web.forms import query_filters
from storeguard.web.i18n import N_
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import panels
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
RESULTS = "customers-results"  # the part of the list page a search refreshes

add_nav(NavItem(N_("Customers"), "/customers", order=25))


class CustomerFilter(BaseModel):
    """Which customers the list shows."""

    model_config = ConfigDict(str_strip_whitespace=True)

    q: str | None = Field(default=None, max_length=200)
    state: AccountState | None = None


@router.get("/customers", name="customers.page_list")
def customer_list(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    filters: Annotated[CustomerFilter, Depends(query_filters(CustomerFilter))],
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """List customers, newest first, found by name, email, phone or number; a page by key."""
    page = service.customer_page(
        session,
        q=filters.q,
        state=filters.state,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    context = {
        "customers": page.rows,
        "links": page_links(request, page, service.customer_key),
        "filters": filters,
        "states": ACCOUNT_STATE,
    }
    if request.headers.get("hx-target") == RESULTS:
        return render(request, "customers/_results.html", context)
    return render(request, "customers/list.html", context)


@router.get("/customers/{customer_id}", name="customers.page")
def customer_page(actor: PageRead, request: Request, session: SessionDep, customer_id: Id) -> Response:
    """Show a customer: identifiers, linked customers and the path to each, orders, blocks, timeline."""
    customer = service.get_customer(session, customer_id)
    links = service.links_of(session, customer)
    linked = service.customers_by_id(session, [customer.id, *links.paths])
    names = {cid: (c.name or f"#{cid}") for cid, c in linked.items()}
    blocked = {cid for cid, c in linked.items() if c.state == AccountState.disabled}
    blocked |= service.blocked_among(session, list(linked))
    context = {
        "customer": customer,
        "identifiers": [
            {
                "item": i,
                "words": describe_identifier(i.type, i.value, i.display),
                "type": IDENTIFIER_TYPES.get(i.type, i.type),
            }
            for i in service.identifiers_of(session, customer.id)
        ],
        "paths": [(linked.get(cid), path) for cid, path in sorted(links.paths.items())],
        "graph": link_graph(customer.id, links.paths, names, blocked),
        "blocked": blocked,
        "timeline": list(reversed(service.timeline(session, customer.id))),
        "main_panels": panels("customer.main", request, session, customer),
        "side_panels": panels("customer.side", request, session, customer),
        "states": ACCOUNT_STATE,
        "identifier_types": IDENTIFIER_TYPES,
    }
    return render(request, "customers/detail.html", context)
