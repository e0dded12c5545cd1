"""Analytics in the admin UI: one page per report over a chosen period, each with its charts (SVG
drawn on the server) and a CSV download of the same figures the API gives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.analytics import charts, exports
from storeguard.analytics.enums import Report
from storeguard.analytics.policy import AGE_BANDS, BLOCK_AFTER_BANDS
from storeguard.analytics.service import Period, resolve_period
from storeguard.core.api import SessionDep
from storeguard.core.clock import now
from storeguard.core.money import exponent
from storeguard.core.schemas import Id
from storeguard.disputes.views import GATEWAYS, REASONS
from storeguard.lists.reasons import list_reason_codes
from storeguard.orders.service import orders_by_id
from storeguard.risk.ledger import customer_ledger, period_ledger
from storeguard.risk.views import FINDINGS
from storeguard.screening.views import OUTCOMES
from storeguard.shops.service import first_shop, get_shop
from storeguard.staff.pages import PageRead
from storeguard.web.context import NavItem, add_nav
from storeguard.web.i18n import N_
from storeguard.web.panels import WEEK, Panel, add_panel
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Analytics"), "/analytics", order=60))

TABS = {
    Report.traits: N_("Blocked customers' traits"),
    Report.returns: N_("Returns by product"),
    Report.disputes: N_("Disputes"),
    Report.screening: N_("Screening"),
    Report.losses: N_("Losses"),
    Report.consistency: N_("Same facts, same outcome"),
}
TRAITS = {
    "country": N_("Ships to"),
    "channel": N_("Channel"),
    "payment": N_("Pays with"),
    "order_value": N_("Order value"),
    "account_age": N_("Account age (days)"),
    "linked_accounts": N_("Linked to another account"),
    "finding": N_("Risk finding"),
}
VALUES = {
    "channel": {"api": N_("API"), "shopify": "Shopify", "import": N_("Import"), "demo": N_("Demo")},
    "linked_accounts": {"yes": N_("Yes"), "no": N_("No")},
    "payment": GATEWAYS,
    "finding": {str(k): v for k, v in FINDINGS.items()},
}
SERIES = {
    "won": N_("Won"),
    "lost": N_("Lost"),
    "open": N_("Not ended"),
    "allow": N_("Allow"),
    "verify": N_("Verify"),
    "review": N_("Review"),
    "block": N_("Block"),
    "prevented": N_("Prevented"),
    "suffered": N_("Suffered"),
}
REVIEWS = {"approved": N_("Approved"), "cancelled": N_("Cancelled"), "waiting": N_("Waiting")}
SHOWN_TRAITS = 12
SHOWN_PRODUCTS = 15


def _period_or_none(
    session: Session, shop_id: int | None, since: date | None, until: date | None
) -> Period | None:
    """The page's period; with no shop named, the first shop (the pages serve one); None with no shop."""
    if shop_id is None:
        shop = first_shop(session)
        if shop is None:
            return None
        shop_id = shop.id
    return resolve_period(session, shop_id, since, until)


def _months(months: list[str]) -> tuple[list[str], int]:
    """Month labels for an axis, and how often to write one so they never crowd (at most 12)."""
    return [charts.month_label(m) for m in months], max(1, -(-len(months) // 12))


def _traits_context(session: Session, period: Period, answer: Any) -> dict[str, Any]:
    codes = {r.code: r.label for r in list_reason_codes(session, period.shop_id)}
    return {
        "top": answer.traits[:SHOWN_TRAITS],
        "reason_labels": codes,
        "trait_names": TRAITS,
        "value_names": VALUES,
        "age_bands": AGE_BANDS,
        "block_after_bands": BLOCK_AFTER_BANDS,
        "max_block_after": max((c.count for c in answer.days_from_first_order_to_block), default=0),
    }


def _returns_context(session: Session, period: Period, answer: Any) -> dict[str, Any]:
    products = answer.products[:SHOWN_PRODUCTS]
    return {
        "products": products,
        "top_rate": max([p.rate for p in products] + [c.rate for c in answer.categories] + [0.01]),
    }


def _disputes_context(session: Session, period: Period, answer: Any) -> dict[str, Any]:
    labels, every = _months([g.key for g in answer.by_month])
    open_ = [g.count - g.won - g.lost for g in answer.by_month]
    chart = charts.columns(
        labels,
        {"won": [g.won for g in answer.by_month], "lost": [g.lost for g in answer.by_month], "open": open_},
        label_every=every,
    )
    return {"chart": chart, "reasons": REASONS, "gateways": GATEWAYS}


def _screening_context(session: Session, period: Period, answer: Any) -> dict[str, Any]:
    labels, every = _months([m.month for m in answer.by_month])
    series = {o: [getattr(m, o) for m in answer.by_month] for o in ("allow", "verify", "review", "block")}
    return {
        "chart": charts.columns(labels, series, label_every=every),
        "outcomes": OUTCOMES,
        "review_words": REVIEWS,
    }


def _losses_context(session: Session, period: Period, answer: Any) -> dict[str, Any]:
    labels, every = _months([m.month for m in answer.months])
    chart = charts.columns(
        labels,
        {"prevented": [m.prevented for m in answer.months], "suffered": [m.suffered for m in answer.months]},
        stacked=False,
        label_every=every,
    )
    return {"chart": chart}


TREATMENTS = {
    "block:block": N_("Blocked"),
    "block:review": N_("Blocked: orders held for review"),
    "block:verify": N_("Blocked: orders verified"),
    "segment:blocked": N_("Blocked segment"),
    "segment:restricted": N_("Restricted segment"),
    "segment:watch": N_("Watched"),
    "segment:neutral": N_("No action"),
    "segment:good": N_("Good customer"),
    "segment:vip": N_("VIP"),
}


def _consistency_context(session: Session, period: Period, answer: Any) -> dict[str, Any]:
    return {"treatment_names": TREATMENTS, "finding_names": VALUES["finding"], "shown_ids": 8}


CONTEXTS = {
    Report.traits: _traits_context,
    Report.returns: _returns_context,
    Report.disputes: _disputes_context,
    Report.screening: _screening_context,
    Report.losses: _losses_context,
    Report.consistency: _consistency_context,
}

LEDGER = {
    "captured": N_("Captured"),
    "refunded": N_("Refunded"),
    "fees_not_returned": N_("Gateway fees not returned"),
    "chargebacks": N_("Chargebacks lost"),
    "dispute_fees": N_("Dispute fees"),
    "return_shipping": N_("Return shipping paid"),
    "restocking_fees_kept": N_("Restocking fees kept"),
    "goods_not_returned": N_("Goods refunded, not returned"),
}


def customer_ledger_panel(request: Request, session: Session, customer: Any) -> Panel | None:
    """What the customer really cost, order by order; nothing when no money moved."""
    shop = get_shop(session, customer.shop_id)
    whole, orders = customer_ledger(session, shop, customer.id)
    if not orders:
        return None
    costly = {oid: one for oid, one in orders.items() if one.true_loss}
    return Panel(
        "analytics/_customer_ledger.html",
        {
            "whole": whole,
            "rows": sorted(costly.items(), reverse=True),
            "numbers": orders_by_id(session, set(costly)),
            "words": LEDGER,
            "currency": shop.currency,
        },
        order=35,
        title=N_("What this customer cost"),
        anchor="ledger-h",
    )


add_panel("customer.main", "analytics.ledger", customer_ledger_panel)


def loss_tile(request: Request, session: Session, _subject: object) -> Panel | None:
    """This month's true loss on the dashboard, beside last month's."""
    shop = first_shop(session)
    if shop is None:
        return None
    at = now()
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = (start - timedelta(days=1)).replace(day=1)
    return Panel(
        "analytics/_loss_tile.html",
        {
            "this_month": period_ledger(session, shop, start, at + timedelta(seconds=1)).true_loss,
            "last_month": period_ledger(session, shop, before, start).true_loss,
            "currency": shop.currency,
            "href": "/analytics/losses",
        },
        order=90,
        group=WEEK,
    )


add_panel("dashboard.tiles", "analytics.true_loss", loss_tile)

Since = Annotated[date | None, Query()]
Until = Annotated[date | None, Query()]


@router.get("/analytics", name="analytics.page_index")
def index(actor: PageRead, request: Request) -> Response:
    """The first report, keeping the period asked for."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/analytics/traits{query}", status_code=303)


@router.get("/analytics/{report}.csv", name="analytics.page_csv")
def report_csv(
    actor: PageRead,
    session: SessionDep,
    report: Report,
    shop_id: Annotated[Id | None, Query()] = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    """Download a report's figures as CSV, as the API's CSV gives them."""
    period = _period_or_none(session, shop_id, since, until)
    if period is None:
        return Response(status_code=404)
    return exports.csv_response(report, exports.BUILDERS[report](session, period), period.since.date())


@router.get("/analytics/{report}", name="analytics.page_report")
def report_page(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    report: Report,
    shop_id: Annotated[Id | None, Query()] = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    """One report with its charts, for the period chosen (the last twelve months unless told)."""
    period = _period_or_none(session, shop_id, since, until)
    context: dict[str, Any] = {"report": report, "tabs": TABS, "period": period, "query": ""}
    if period is not None:
        answer = exports.BUILDERS[report](session, period)
        last_day = period.until.date() - timedelta(days=1)
        query = (
            f"since={period.since.date().isoformat()}&until={last_day.isoformat()}&shop_id={period.shop_id}"
        )
        context |= {
            "a": answer,
            "currency": period.shop.currency,
            "since": period.since.date(),
            "until": last_day,
            "query": query,
            "series_names": SERIES,
            "scale": 10 ** exponent(period.shop.currency),  # money axes count whole kroner or dollars
            **CONTEXTS[report](session, period, answer),
        }
    return render(request, f"analytics/{report}.html", context)
