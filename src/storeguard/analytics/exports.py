"""Each report as API answer and as CSV: the same figures, built once from the service's results."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from storeguard.analytics import service
from storeguard.analytics.enums import Report
from storeguard.analytics.schemas import (
    ConsistencyRead,
    CountRead,
    DisputeGroupRead,
    DisputesRead,
    FactsGroupRead,
    LossesRead,
    LossMonthRead,
    OutcomeMonthRead,
    PeriodRead,
    ReasonHitsRead,
    ReturnRateRead,
    ReturnsRead,
    ScreeningRead,
    TraitRead,
    TraitsRead,
)
from storeguard.analytics.service import Period


def _period(p: Period) -> PeriodRead:
    return PeriodRead(shop_id=p.shop_id, currency=p.shop.currency, since=p.since, until=p.until)


def _rate(r: Any) -> ReturnRateRead:
    return ReturnRateRead(
        key=r.key,
        label=r.label,
        sold=r.sold,
        returned=r.returned,
        sold_flagged=r.sold_flagged,
        returned_flagged=r.returned_flagged,
        rate=r.rate,
        rate_without_flagged=r.rate_without_flagged,
        flagged_share_of_returns=r.flagged_share_of_returns,
        high_without_flagged=r.high_without_flagged,
        driven_by_flagged=r.driven_by_flagged,
    )


def _group(g: Any) -> DisputeGroupRead:
    return DisputeGroupRead(
        key=g.key,
        count=g.count,
        amount=g.amount,
        won=g.won,
        lost=g.lost,
        lost_amount=g.lost_amount,
        win_rate=g.win_rate,
    )


def _loss(m: Any) -> LossMonthRead:
    return LossMonthRead(
        month=m.month,
        prevented_orders=m.prevented_orders,
        prevented=m.prevented,
        chargebacks=m.chargebacks,
        refunds_without_return=m.refunds_without_return,
        fees=m.fees,
        dispute_fees=m.dispute_fees,
        return_shipping=m.return_shipping,
        restocking_fees_kept=m.restocking_fees_kept,
        suffered=m.suffered,
    )


def traits(session: Session, p: Period) -> TraitsRead:
    r = service.traits(session, p)
    return TraitsRead(
        period=_period(p),
        flagged_customers=r.group_total,
        other_customers=r.rest_total,
        traits=[
            TraitRead(
                trait=t.trait,
                value=t.value,
                flagged=t.group,
                others=t.rest,
                flagged_share=t.group_share,
                others_share=t.rest_share,
                separation=t.separation,
            )
            for t in r.traits
        ],
        reason_codes=[CountRead(key=k, count=n) for k, n in r.reason_codes],
        days_from_first_order_to_block=[CountRead(key=k, count=n) for k, n in r.block_after_days],
        median_days_to_block=r.median_days_to_block,
    )


def returns(session: Session, p: Period) -> ReturnsRead:
    r = service.returns_by_product(session, p)
    return ReturnsRead(
        period=_period(p),
        overall=_rate(r.overall),
        products=[_rate(x) for x in r.products],
        categories=[_rate(x) for x in r.categories],
    )


def disputes(session: Session, p: Period) -> DisputesRead:
    r = service.disputes(session, p)
    return DisputesRead(
        period=_period(p),
        total=_group(r.total),
        by_reason=[_group(g) for g in r.by_reason],
        by_gateway=[_group(g) for g in r.by_gateway],
        by_month=[_group(g) for g in r.by_month],
    )


def screening(session: Session, p: Period) -> ScreeningRead:
    r = service.screening(session, p)
    return ScreeningRead(
        period=_period(p),
        totals=r.totals,
        by_month=[OutcomeMonthRead(month=m, **counts) for m, counts in r.by_month],
        reasons=[
            ReasonHitsRead(
                code=h.code,
                hits=h.hits,
                later_bad=h.bad,
                later_bad_share=h.later_bad_share,
                held=h.held,
                released_by_reviewer=h.released,
                override_share=h.override_share,
            )
            for h in r.reasons
        ],
        reviews=r.reviews,
    )


def losses(session: Session, p: Period) -> LossesRead:
    r = service.losses(session, p)
    return LossesRead(period=_period(p), total=_loss(r.total), months=[_loss(m) for m in r.months])


def consistency(session: Session, p: Period) -> ConsistencyRead:
    groups = service.consistency(session, p)
    return ConsistencyRead(
        period=_period(p),
        groups=[
            FactsGroupRead(
                findings=list(g.findings),
                score_band=g.score_band,
                customers=g.customers,
                treatments=g.treatments,
            )
            for g in groups
        ],
    )


BUILDERS: dict[Report, Callable[[Session, Period], BaseModel]] = {
    Report.traits: traits,
    Report.returns: returns,
    Report.disputes: disputes,
    Report.screening: screening,
    Report.losses: losses,
    Report.consistency: consistency,
}


@dataclass(frozen=True)
class Table:
    """A report's main table for a spreadsheet: its header and rows (several parts in one file, tagged)."""

    header: list[str]
    rows: list[list[Any]]


def table(report: Report, answer: Any) -> Table:
    """The CSV table of a report's answer: one row per figure a merchant would sort or filter."""
    if report is Report.traits:
        header = ["trait", "value", "flagged", "others", "flagged_share", "others_share", "separation"]
        return Table(header, [[getattr(t, h) for h in header] for t in answer.traits])
    if report is Report.returns:
        header = ["part", *ReturnRateRead.model_fields]
        rows = [["category", *x.model_dump().values()] for x in answer.categories]
        rows += [["product", *x.model_dump().values()] for x in answer.products]
        return Table(header, rows)
    if report is Report.disputes:
        header = ["part", *DisputeGroupRead.model_fields]
        rows = []
        for part in ("by_reason", "by_gateway", "by_month"):
            rows += [[part.removeprefix("by_"), *g.model_dump().values()] for g in getattr(answer, part)]
        return Table(header, rows)
    if report is Report.screening:
        header = [
            "part",
            "key",
            "allow",
            "verify",
            "review",
            "block",
            "hits",
            "later_bad",
            "later_bad_share",
            "held",
            "released_by_reviewer",
            "override_share",
        ]
        rows = [
            ["month", m.month, m.allow, m.verify, m.review, m.block, "", "", "", "", "", ""]
            for m in answer.by_month
        ]
        rows += [
            [
                "reason",
                h.code,
                "",
                "",
                "",
                "",
                h.hits,
                h.later_bad,
                h.later_bad_share,
                h.held,
                h.released_by_reviewer,
                "" if h.override_share is None else h.override_share,
            ]
            for h in answer.reasons
        ]
        return Table(header, rows)
    if report is Report.consistency:
        header = ["findings", "score_band", "treatment", "customers", "customer_ids"]
        rows = [
            [" ".join(g.findings), g.score_band, t, len(ids), " ".join(str(i) for i in ids)]
            for g in answer.groups
            for t, ids in g.treatments.items()
        ]
        return Table(header, rows)
    header = list(LossMonthRead.model_fields)
    return Table(header, [list(m.model_dump().values()) for m in answer.months])


# A cell a spreadsheet would run as a formula (a product named "=HYPERLINK(...)") is kept as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(t: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(t.header)
    writer.writerows([_cell(v) for v in row] for row in t.rows)
    return out.getvalue()


def csv_response(report: Report, answer: Any, since: date) -> Response:
    """The CSV download of a report's answer, named for the report and its first day."""
    return Response(
        to_csv(table(report, answer)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{report}-{since.isoformat()}.csv"'},
    )
