"""The customer pages: the list with search, and one customer with their identifiers, the
customers linked to them (a graph and the path to each), and their timeline.

Other domains add their parts to the customer page through panels (``customer.main``: the
customer's orders, blocks and their history), so this package imports none of them.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.customers import actions, service
from storeguard.customers.enums import AccountState, CustomerErrorCode, IdentifierType
from storeguard.customers.filters import chosen_filters, filter_clauses, list_filters
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import describe_identifier
from storeguard.customers.pages import ACCOUNT_STATE, IDENTIFIER_TYPES, LINK_STRENGTH, link_graph
from storeguard.customers.policy import WEAK_TYPES
from storeguard.shops.service import first_shop
from storeguard.staff.pages import PageManageSettings, PageRead
from storeguard.staff.settings_views import form_sent_to, show_settings_again
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, query_filters, refuse, sent
from storeguard.web.i18n import N_
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import Panel, add_panel, panels
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words, timeline_items

router = APIRouter(include_in_schema=False)
# What happened to a customer, as their timeline and the audit log say it.
register_event_words(
    {
        "customer.created": N_("Customer record created"),
        "customer.identifier_added": N_("Identifier added"),
        "customer.blocked": N_("Blocked"),
        "customer.block_lifted": N_("Block lifted"),
        "customer_block.evidence_added": N_("Evidence added to the block"),
        "shop.link_types_changed": N_("Identifiers that link customers changed"),
    }
)
register_refusals(
    {CustomerErrorCode.unknown_filter_value: N_("This filter has no such value: choose one from its list.")}
)
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
    """List customers, newest first, found by name, email, phone or number, and narrowed by the
    filters other domains give (segment, finding); a page by key."""
    extra = list_filters()
    given = {f.name: request.query_params.get(f.name) for f in extra}
    form = Form(values={k: v for k, v in given.items() if v})
    try:
        chosen = chosen_filters(given)
    except DomainError as error:  # the list again, empty, with the filter marked
        chosen, status = None, error.status
        form = refuse(form, error, speaker(request))
    else:
        status = 200
    page = (
        service.customer_page(
            session,
            q=filters.q,
            state=filters.state,
            picks=filter_clauses(chosen),
            limit=PAGE_SIZE,
            after=decode_key(after, field="after"),
            before=decode_key(before, field="before"),
        )
        if chosen is not None
        else None
    )
    context = {
        "customers": page.rows if page else [],
        "links": page_links(request, page, service.customer_key) if page else None,
        "filters": filters,
        "states": ACCOUNT_STATE,
        "form": form,
        "extra_filters": [
            {
                "name": f.name,
                "label": f.label,
                "choices": f.choices,
                "counts": f.counts(session, None) if f.counts else {},
                "chosen": (chosen or {}).get(f.name),
                "without": _without(request, f.name),
            }
            for f in extra
        ],
    }
    if request.headers.get("hx-target") == RESULTS:
        return render(request, "customers/_results.html", context, status_code=status)
    return render(request, "customers/list.html", context, status_code=status)


def _without(request: Request, name: str) -> str:
    """The list's address with one filter taken off (a chip's remove link)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if v and k not in (name, "after", "before")]
    return "/customers" + ("?" + urlencode(kept) if kept else "")


@router.get("/customers/{customer_id}", name="customers.page")
def customer_page(actor: PageRead, request: Request, session: SessionDep, customer_id: Id) -> Response:
    """Show a customer: identifiers, linked customers and the path to each, orders, blocks, timeline."""
    customer = service.get_customer(session, customer_id)
    links = service.links_of(session, customer)
    linked = service.customers_by_id(session, [customer.id, *links.paths])
    names = {cid: (c.name or f"#{cid}") for cid, c in linked.items()}
    blocked = {cid for cid, c in linked.items() if c.state == AccountState.disabled}
    possible = service.customers_by_id(session, list(links.possible))
    blocked |= {cid for cid, c in possible.items() if c.state == AccountState.disabled}
    blocked |= service.blocked_among(session, [*linked, *possible])
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
        "possible": [(possible.get(cid), path) for cid, path in sorted(links.possible.items())],
        "strengths": LINK_STRENGTH,
        "graph": link_graph(customer.id, links.paths, names, blocked),
        "blocked": blocked,
        "timeline": timeline_items(service.timeline(session, customer.id)),
        "main_panels": panels("customer.main", request, session, customer),
        "side_panels": panels("customer.side", request, session, customer),
        "states": ACCOUNT_STATE,
        "identifier_types": IDENTIFIER_TYPES,
    }
    return render(request, "customers/detail.html", context)


# ---- settings: which identifiers link customers --------------------------------------------------

# What each strong type is. Only strong types may link: what strangers share (an address under
# another name, an IP, a card's BIN and last four) shows possible matches instead.
LINK_TYPE_HINTS = {
    IdentifierType.email: N_("Exact address, after removing dots and +tags where the provider ignores them."),
    IdentifierType.phone: N_("The number in international form."),
    IdentifierType.device_id: N_("The checkout's device fingerprint."),
    IdentifierType.payment_fingerprint: N_(
        "The gateway's fingerprint of a card, or its number and expiry: the same card, whoever holds it."
    ),
    IdentifierType.platform_id: N_("The customer's account on your platform."),
    IdentifierType.name_address: N_("A name together with an address: rarely shared by strangers."),
}
# The weak types, named under the form: shown as possible matches, never linking.
WEAK_TYPE_NAMES = [IDENTIFIER_TYPES[str(t)] for t in sorted(WEAK_TYPES, key=list(IdentifierType).index)]


def link_types_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """Which identifier types link customers into one person, with a form for admins."""
    shop = first_shop(session)
    if shop is None:
        return None
    chosen = {str(t) for t in link_types(shop)}
    user = getattr(request.state, "page_user", None)
    return Panel(
        "customers/_link_types.html",
        {
            "form": form_sent_to(request, "link_types") or Form(values={f"t.{t}": "on" for t in chosen}),
            "types": [(str(t), IDENTIFIER_TYPES[str(t)], hint) for t, hint in LINK_TYPE_HINTS.items()],
            "weak_types": ", ".join(speaker(request).gettext(name) for name in WEAK_TYPE_NAMES),
            "may_change": user is not None and user.can(Permission.manage_settings),
        },
        order=30,
        title=N_("Linking customers"),
        anchor="link-types-h",
    )


add_panel("settings.sections", "customers.link_types", link_types_section)


@router.post("/settings/link-types", name="customers.page_link_types")
def change_link_types(
    actor: PageManageSettings, request: Request, session: SessionDep, data: FormDep
) -> Response:
    """Choose the identifier types that link customers; the links are rebuilt at once."""
    said, form = speaker(request), sent(data)
    shop = first_shop(session)
    if shop is None:
        return RedirectResponse("/settings", status_code=303)
    chosen = [str(t) for t in LINK_TYPE_HINTS if form.checked(f"t.{t}")]
    try:
        with attempt(session):
            actions.set_link_types(session, shop_id=shop.id, types=chosen, actor=actor)
    except DomainError as error:
        form.message = describe(error, said)
        return show_settings_again(request, session, "link_types", form, status=error.status)
    session.commit()
    response = RedirectResponse("/settings#link-types-h", status_code=303)
    flash.add(response, request, said.gettext("Customers are linked again by the chosen identifiers."))
    return response
