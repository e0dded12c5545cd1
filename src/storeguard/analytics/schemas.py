"""The analytics as the API gives them: one shape per report, money in minor units of the shop's currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from storeguard.core.schemas import Id, InputModel


class PeriodRead(BaseModel):
    shop_id: int
    currency: str
    since: datetime
    until: datetime


class TraitRead(BaseModel):
    trait: str
    value: str
    flagged: int  # blocked or restricted customers with the trait
    others: int
    flagged_share: float
    others_share: float
    separation: float  # flagged_share - others_share


class CountRead(BaseModel):
    key: str
    count: int


class TraitsRead(BaseModel):
    period: PeriodRead
    flagged_customers: int
    other_customers: int
    traits: list[TraitRead]
    reason_codes: list[CountRead]
    days_from_first_order_to_block: list[CountRead]
    median_days_to_block: float | None


class ReturnRateRead(BaseModel):
    key: str
    label: str
    sold: int
    returned: int
    sold_flagged: int
    returned_flagged: int
    rate: float
    rate_without_flagged: float
    flagged_share_of_returns: float
    high_without_flagged: bool
    driven_by_flagged: bool


class ReturnsRead(BaseModel):
    period: PeriodRead
    overall: ReturnRateRead
    products: list[ReturnRateRead]
    categories: list[ReturnRateRead]


class DisputeGroupRead(BaseModel):
    key: str
    count: int
    amount: int
    won: int
    lost: int
    lost_amount: int
    win_rate: float | None


class DisputesRead(BaseModel):
    period: PeriodRead
    total: DisputeGroupRead
    by_reason: list[DisputeGroupRead]
    by_gateway: list[DisputeGroupRead]
    by_month: list[DisputeGroupRead]


class OutcomeMonthRead(BaseModel):
    month: str
    allow: int
    verify: int
    review: int
    block: int


class ReasonHitsRead(BaseModel):
    code: str
    hits: int
    later_bad: int
    later_bad_share: float
    held: int
    released_by_reviewer: int
    override_share: float | None


class ScreeningRead(BaseModel):
    period: PeriodRead
    totals: dict[str, int]
    by_month: list[OutcomeMonthRead]
    reasons: list[ReasonHitsRead]
    reviews: dict[str, int]


class LossMonthRead(BaseModel):
    month: str
    prevented_orders: int
    prevented: int
    chargebacks: int
    refunds_without_return: int
    fees: int
    dispute_fees: int
    return_shipping: int
    restocking_fees_kept: int
    suffered: int  # the true loss: the same ledger as the dashboard and the customer page


class LossesRead(BaseModel):
    period: PeriodRead
    total: LossMonthRead
    months: list[LossMonthRead]


class FactsGroupRead(BaseModel):
    findings: list[str]
    score_band: str
    customers: int
    treatments: dict[str, list[int]]  # "block:block", "block:review", "segment:restricted", "segment:neutral"


class ConsistencyRead(BaseModel):
    period: PeriodRead
    groups: list[FactsGroupRead]


class ProposedRuleIn(InputModel):
    rule_id: Id | None = Field(None, description="The rule to change; left out, a new rule.")
    source: str | None = Field(
        None, max_length=20000, description="The rule's text, e.g. `block when order.total > 5000`."
    )
    enabled: bool | None = Field(None, description="Turn the rule on or off (a new rule is on).")
    priority: int | None = Field(
        None, ge=0, le=100000, description="Where it runs among the rules (lower first)."
    )


class PolicyReplayIn(InputModel):
    shop_id: Id | None = Field(None, description="The shop (may be left out when there is only one).")
    risk: dict[str, Any] | None = Field(
        None,
        description="Risk thresholds to try, as in the defaults, e.g. "
        '{"serial_returning": {"min_ratio_by_count": 0.3}}.',
    )
    score_thresholds: dict[str, int | None] | None = Field(
        None, description='Screening score thresholds to try, e.g. {"review": 50}; null turns a step off.'
    )
    rules: list[ProposedRuleIn] | None = Field(
        None,
        max_length=50,
        description="Rule changes to try: a new rule (no rule_id, its source), a rule's new source, or a "
        "rule turned on or off (enabled). Every open order (and the last `days`' orders) is screened "
        "with the rules in force and with these; a source that does not compile is refused with the "
        "compiler's code, position and caret, its field naming the change (rules.0.source).",
    )
    days: int = Field(
        0,
        ge=0,
        le=90,
        description="With rules: also screen again the orders placed in the last so many days.",
    )
    link_types: list[str] | None = Field(
        None,
        max_length=20,
        description="The identifier types that would link customers (as PUT /v1/shops/{id}/link-types "
        "takes them): the clusters that would form or split, and who a link would newly tie to a "
        "blocked customer (evasion) or free from one.",
    )


class PolicyMoveRead(BaseModel):
    kind: str
    id: int
    label: str
    before: str = Field(serialization_alias="from")
    after: str = Field(serialization_alias="to")
    customer_id: int | None = Field(None, description="An order's customer.")
    customer_label: str | None = None


class PolicyReplayRead(BaseModel):
    customers_assessed: int
    orders_replayed: int
    orders_screened_with_rules: int = Field(description="Orders screened again under the proposed rules.")
    clusters_before: int | None = Field(
        description="Link clusters of two or more customers today (with link_types)."
    )
    clusters_after: int | None = Field(description="... and with the proposed link types.")
    customers_relinked: int = Field(description="Customers whose cluster would hold other customers.")
    counts: dict[str, int]
    moves: list[PolicyMoveRead]
