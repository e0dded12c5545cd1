"""JSON routes for the analytics, and each report as CSV. Reading takes ``read``.

Every report is for one shop (the only one when not named) over a period of days, both included;
without one, the last twelve months.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from storeguard.analytics import exports
from storeguard.analytics.enums import Report
from storeguard.analytics.replay import Replay, replay_policy
from storeguard.analytics.schemas import (
    ConsistencyRead,
    DisputesRead,
    LossesRead,
    PolicyMoveRead,
    PolicyReplayIn,
    PolicyReplayRead,
    ReturnsRead,
    ScreeningRead,
    TraitsRead,
)
from storeguard.analytics.service import resolve_period
from storeguard.core.api import CanRead, SessionDep
from storeguard.rules.service import ProposedRule
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import shop_or_only_shop

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such shop (shop_not_found)", **_PROBLEM},
    422: {"description": "Invalid period (period_reversed, period_too_long) or shop_required", **_PROBLEM},
}
router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=PROBLEMS)

Since = Annotated[date | None, Query(description="First day of the period (UTC).")]
Until = Annotated[date | None, Query(description="Last day of the period, included (UTC).")]


@router.get("/traits", name="analytics.traits")
def traits(
    actor: CanRead, session: SessionDep, shop_id: ShopFilter, since: Since = None, until: Until = None
) -> TraitsRead:
    """What blocked and restricted customers have in common against everyone else who ordered, ranked by the gap."""
    return exports.traits(session, resolve_period(session, shop_id, since, until))


@router.get("/returns", name="analytics.returns")
def returns(
    actor: CanRead, session: SessionDep, shop_id: ShopFilter, since: Since = None, until: Until = None
) -> ReturnsRead:
    """Return rates of products and categories, with and without the blocked and restricted customers."""
    return exports.returns(session, resolve_period(session, shop_id, since, until))


@router.get("/disputes", name="analytics.disputes")
def disputes(
    actor: CanRead, session: SessionDep, shop_id: ShopFilter, since: Since = None, until: Until = None
) -> DisputesRead:
    """Disputes opened in the period by reason, gateway and month: counts, amounts and win rate."""
    return exports.disputes(session, resolve_period(session, shop_id, since, until))


@router.get("/screening", name="analytics.screening")
def screening(
    actor: CanRead, session: SessionDep, shop_id: ShopFilter, since: Since = None, until: Until = None
) -> ScreeningRead:
    """Decisions by outcome per month; reasons by hits, later-bad share and reviewers' overrides; review outcomes."""
    return exports.screening(session, resolve_period(session, shop_id, since, until))


@router.get("/losses", name="analytics.losses")
def losses(
    actor: CanRead, session: SessionDep, shop_id: ShopFilter, since: Since = None, until: Until = None
) -> LossesRead:
    """Per month: what screening stopped, and what chargebacks, refunds without return and fees cost."""
    return exports.losses(session, resolve_period(session, shop_id, since, until))


@router.get("/consistency", name="analytics.consistency")
def consistency(
    actor: CanRead, session: SessionDep, shop_id: ShopFilter, since: Since = None, until: Until = None
) -> ConsistencyRead:
    """Customers with the same findings and score band but a different treatment, side by side (as they stand now)."""
    return exports.consistency(session, resolve_period(session, shop_id, since, until))


@router.get("/{report}.csv", name="analytics.csv", response_class=Response)
def report_csv(
    actor: CanRead,
    session: SessionDep,
    report: Report,
    shop_id: ShopFilter,
    since: Since = None,
    until: Until = None,
) -> Response:
    """A report's main table as CSV, for a spreadsheet."""
    period = resolve_period(session, shop_id, since, until)
    return exports.csv_response(report, exports.BUILDERS[report](session, period), period.since.date())


policy_router = APIRouter(prefix="/v1", tags=["analytics"], responses=PROBLEMS)


def replay_read(result: Replay) -> PolicyReplayRead:
    """A replay as the API gives it."""
    return PolicyReplayRead(
        customers_assessed=result.customers,
        orders_replayed=result.orders,
        orders_screened_with_rules=result.rule_orders,
        clusters_before=result.clusters_before,
        clusters_after=result.clusters_after,
        customers_relinked=result.customers_relinked,
        counts=result.counts,
        moves=[
            PolicyMoveRead(
                kind=m.kind,
                id=m.id,
                label=m.label,
                before=m.before,
                after=m.after,
                customer_id=m.customer_id,
                customer_label=m.customer_label,
            )
            for m in result.moves
        ],
    )


REPLAY_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such shop, or a proposed rule_id the shop has not (rule_not_found)", **_PROBLEM},
    422: {
        "description": "No change proposed (replay_change_required), a bad threshold or days "
        "(replay_setting_unknown, replay_value_invalid), a rule source that does not compile (the "
        "compiler's code with position and caret), or a link type that is unknown or too weak "
        "(invalid_link_types, weak_link_type)",
        **_PROBLEM,
    },
}


@policy_router.post("/policy-replay", name="analytics.policy_replay", responses=REPLAY_PROBLEMS)
def policy_replay(actor: CanRead, body: PolicyReplayIn, session: SessionDep) -> PolicyReplayRead:
    """Replay a proposed change before enabling it: who would move from which segment or decision
    to which. Nothing is changed.

    - `risk`: risk thresholds; every customer is assessed again (moves of kind `customer`).
    - `score_thresholds`: every open order's last decision decided again from its reasons (`order`).
    - `rules`: new or edited rule texts, rules turned on or off; every open order (and with `days`
      the orders of the last days) is screened by the screening engine with the rules in force and
      with the proposed ones, as the backtest screens a past order (`order_rules`, with the customer).
    - `link_types`: the clusters rebuilt with these identifier types (`clusters_before`,
      `clusters_after`, `customers_relinked`), and who a link would newly tie to a blocked customer
      or free from one (`link`: `not_linked` ↔ `linked_to_blocked`).
    """
    shop = shop_or_only_shop(session, body.shop_id)
    rules = (
        [ProposedRule(r.rule_id, r.source, r.enabled, r.priority) for r in body.rules] if body.rules else None
    )
    return replay_read(
        replay_policy(
            session,
            shop.id,
            risk=body.risk,
            score_thresholds=body.score_thresholds,
            rules=rules,
            days=body.days,
            link_types=body.link_types,
        )
    )
