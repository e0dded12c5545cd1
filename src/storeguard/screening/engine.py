"""``screen()``: one decision for an order, in process, in about a millisecond.

It reads, never writes: a handful of indexed queries (the shop's settings, the list entries and
links, the customer's history, velocity, shared addresses), then pure work on the facts. Storing
the decision and acting on it is ``actions``' job.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.money import to_decimal_str
from storeguard.core.prepared import Driver, Prepared, driver
from storeguard.customers.disposable import is_disposable
from storeguard.customers.identifiers import IdentifierFact, identifiers_of_order, order_match_keys
from storeguard.lists.enums import EntryAction, MatchVia
from storeguard.lists.matching import CARRIED, IN_RANGE, USED, Match, MatchResult, match, match_ahead
from storeguard.lists.scope import LineFacts, describe_scope
from storeguard.orders.models import Order
from storeguard.risk.enums import FINDING_WORDS, Segment
from storeguard.risk.policy import segment_now
from storeguard.rules.service import ActiveRuleset, ruleset_at
from storeguard.screening.counters import velocity_store
from storeguard.screening.enums import Outcome, ReasonSource
from storeguard.screening.facts import FactContext, build_facts
from storeguard.screening.geoip import country_of_ip
from storeguard.screening.inputs import LineInput, OrderInput, from_order, from_screen_in
from storeguard.screening.policy import Reason, Verdict, decide, segment_for, weak_link_outcome
from storeguard.screening.reads import ShopContext, history_ahead, last_shop_context, shop_context
from storeguard.screening.reads import history as read_history
from storeguard.screening.schemas import ScreenOrderIn
from storeguard.screening.signals import SignalContext, evaluate_signals
from storeguard.screening.velocity import VelocityKeys, VelocityStore
from storeguard.screening.velocity_sql import SqlVelocity

# Identifier types (lists' vocabulary) -> velocity kinds (the facts' vocabulary).
VELOCITY_OF_TYPE = {
    "email": "email",
    "phone": "phone",
    "ip": "ip",
    "device_id": "device",
    "payment_fingerprint": "card",
    "shipping_address": "address",
}


def velocity_keys(identifiers: Iterable[IdentifierFact]) -> VelocityKeys:
    """Return what an order is counted under: the first identifier of each velocity kind."""
    keys: VelocityKeys = {}
    for ident in identifiers:
        kind = VELOCITY_OF_TYPE.get(str(ident.type))
        if kind and kind not in keys:
            keys[kind] = ident.value
    return keys


@dataclass(slots=True)
class ScreenResult:
    """A decision and everything needed to store it or answer with it."""

    shop_id: int
    order_id: int | None
    customer_id: int | None
    verdict: Verdict
    policy_version: int
    settings_revision: int
    duration_us: int
    verification: dict[str, Any] | None
    facts: dict[str, Any] = field(repr=False)
    velocity_keys: VelocityKeys = field(default_factory=dict, repr=False)

    @property
    def decision(self) -> Outcome:
        return self.verdict.decision

    def as_dict(self) -> dict[str, Any]:
        """Return the answer as sent on the wire."""
        return {
            "shop_id": self.shop_id,
            "order_id": self.order_id,
            "decision": self.verdict.decision.value,
            "score": self.verdict.score,
            "reasons": [r.as_dict() for r in self.verdict.reasons],
            "restricted_lines": self.verdict.restricted_lines,
            "policy_version": self.policy_version,
            "settings_revision": self.settings_revision,
            "duration_us": self.duration_us,
            "verification": self.verification,
        }


def screen(
    session: Session | Driver,
    order: Order | OrderInput,
    *,
    velocity: VelocityStore | None = None,
    ruleset: ActiveRuleset | None = None,
    history_as_placed: bool = False,
) -> ScreenResult:
    """Screen a stored or prospective order and return the decision, without storing anything.

    ``session`` is the caller's session, or the driver of a read-only connection (checkout).
    ``history_as_placed`` reads the customer's history as it stood when the order was placed,
    leaving out what came after (the backtest replaying past orders); checkout needs no bound.
    """
    started = time.perf_counter_ns()
    db = driver(session)  # taken once: every read below runs on it
    inp = order if isinstance(order, OrderInput) else from_order(db.session, order)
    shop = inp.shop if inp.shop is not None else shop_context(db, inp.shop_id)
    if shop is None:
        raise ValueError(f"no shop {inp.shop_id}")
    settings, revision = shop.screening, shop.revision
    if ruleset is None:
        ruleset = ruleset_at(db, shop.id, shop.policy_version, shop.policy_token)

    placed_at = inp.created_at if history_as_placed else None
    counter = velocity or velocity_store()
    at = inp.created_at or now()
    reads = _order_reads(db, shop, inp, inp.customer_id, inp.order_id, at, placed_at, counter)
    identifiers, keys, vkeys, address = reads.identifiers, reads.keys, reads.vkeys, reads.address
    lines = scope_lines(inp.lines)
    # On PostgreSQL what depends only on the order is read in one statement now (unless checkout
    # read it already: ``screen_at_checkout``), and each read below takes its rows.
    if len(reads.ahead) > 1:
        db.ahead(reads.ahead)
    lists = match(
        db,
        shop_id=shop.id,
        identifiers=keys,
        customer_id=inp.customer_id,
        lines=lines,
        order_total=inp.total,
        shop=shop,
    )
    list_reasons, blocked_self, blocked_links = _list_reasons(lists, inp, shop.currency)
    list_reasons += _possible_match_reasons(lists, settings.get("weak_link_action"))

    history = read_history(db, shop.id, inp.customer_id, inp.order_id, address, placed_at=placed_at)
    metrics = history.metrics
    counts = counter.counts(db, shop.id, vkeys, at=at, exclude_order_id=inp.order_id)
    db.forget_ahead()
    risk_score, findings, stored_segment = 0, (), None
    if history.risk is not None:  # read in the history's one statement: no extra round trip
        risk_score, stored_segment, findings = history.risk
    # One rule, the customer page's: blocked, else risk's stored segment, else (not assessed yet)
    # screening's placement from the history just read.
    segment = segment_now(
        stored_segment,
        blocked=blocked_self,
        fallback=segment_for(
            metrics,
            settings["segments"],
            blocked=False,
            min_spent_vip=shop.amount(("segments", "vip", "min_spent"), inp.currency),
            linked_to_blocked=bool(blocked_links),
        )
        if stored_segment is None and not blocked_self
        else Segment.neutral.value,
    )
    domain = next((i.value for i in identifiers if str(i.type) == "email_domain"), None)
    ctx = FactContext(
        metrics=metrics,
        segment=segment,
        risk_score=risk_score,
        findings=findings,
        customer_created_at=history.created_at,
        customer_disabled=history.state == "disabled",
        platform_account_state=history.platform_account_state,
        linked_customers=lists.linked_customers,
        linked_blocked_customers=len(blocked_links),
        velocity=counts,
        velocity_kinds=frozenset(vkeys),
        ip_country=country_of_ip(inp.browser_ip),
        default_region=shop.country,
        email_disposable=bool(domain and is_disposable(domain)),
        time_zone=shop.settings.get("time_zone"),
    )
    facts = build_facts(inp, ctx)
    first_amount = shop.amount(("signals", "first_order_high_value", "amount"), inp.currency)
    reasons = list_reasons + _catalogue_reasons(inp, shop.currency)
    reasons += evaluate_signals(
        facts,
        settings,
        SignalContext(
            first_order_amount=first_amount,
            total_minor=inp.total,
            address_customers=history.address_customers,
            blocked_links=blocked_links,
        ),
        customer_id=inp.customer_id,
    )
    reasons += _velocity_reasons(facts, settings)
    reasons += _segment_reasons(segment, settings, inp.customer_id)
    reasons += _finding_reasons(findings, risk_score, inp.customer_id)
    reasons += _rule_reasons(ruleset, facts)
    verdict = decide(reasons, settings["score_thresholds"])
    verification = dict(settings["verification"]) if verdict.decision is Outcome.verify else None
    return ScreenResult(
        shop_id=shop.id,
        order_id=inp.order_id,
        customer_id=inp.customer_id,
        verdict=verdict,
        policy_version=ruleset.policy_version,
        settings_revision=revision,
        duration_us=(time.perf_counter_ns() - started) // 1000,
        verification=verification,
        facts=facts,
        velocity_keys=vkeys,
    )


@dataclass(slots=True)
class _OrderReads:
    """What screening derives from the order before reading, and the reads that need only that."""

    identifiers: list[IdentifierFact]
    keys: list[tuple[str, str]]
    vkeys: VelocityKeys
    address: str | None
    ahead: list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]]


def _order_reads(
    db: Driver,
    shop: ShopContext,
    order: Any,
    customer_id: int | None,
    order_id: int | None,
    at: datetime,
    placed_at: datetime | None,
    counter: VelocityStore,
) -> _OrderReads:
    """Derive the order's keys and list the reads that depend only on them: the history, the
    velocity counts and the list match's lookups. ``order`` is an ``OrderInput`` or a checkout's
    body (the same field names)."""
    identifiers = identifiers_of_order(order, default_region=shop.country)
    keys = order_match_keys(order, default_region=shop.country, identifiers=identifiers)
    vkeys = velocity_keys(identifiers)
    address = next((i.value for i in identifiers if str(i.type) == "shipping_address"), None)
    ahead = history_ahead(shop.id, customer_id, order_id, address, placed_at)
    if isinstance(counter, SqlVelocity):
        ahead += counter.ahead(shop.id, vkeys, at=at, exclude_order_id=order_id)
    if db.reads_ahead:  # not on SQLite, nor in a write's transaction: there each runs where asked for
        ahead += match_ahead(db, shop.id, keys, customer_id, shop.link_kinds)
    return _OrderReads(identifiers, keys, vkeys, address, ahead)


def screen_at_checkout(db: Driver, body: ScreenOrderIn) -> ScreenResult:
    """Screen a prospective order sent to ``POST /v1/screen``, on the checkout's read connection.

    On PostgreSQL every statement costs a wait and a fixed share of the server's work, so the
    shop, customer and products are read in the same statement as what ``screen`` reads next,
    worked out from the shop as this process last read it (its country and link types shape the
    keys). Each read ahead is served only to the same statement with the same values: if the shop
    changed since, ``screen`` finds nothing to take and reads as usual.
    """
    at = now()
    guess: list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]] = []
    shop = last_shop_context(body.shop_id) if db.reads_ahead else None
    # A customer named by platform id is known only once read: nothing is guessed for them.
    if shop is not None and (body.customer_id is not None or not body.platform_customer_id):
        guess = _order_reads(db, shop, body, body.customer_id, None, at, None, velocity_store()).ahead
    return screen(db, from_screen_in(db, body, ahead=guess, created_at=at))


def scope_lines(lines: Iterable[LineInput]) -> list[LineFacts]:
    """The order's lines as a list entry's scope reads them."""
    return [
        LineFacts(
            index=li.index,
            category=li.category,
            tags=tuple(li.tags),
            unit_price=li.unit_price,
            quantity=li.quantity,
            high_value=li.high_value,
            limited_edition=li.limited_edition,
            product_id=li.product_id,
            sku=li.sku,
        )
        for li in lines
    ]


def list_blocks(result: MatchResult, customer_id: int | None) -> tuple[bool, list[dict[str, Any]]]:
    """Say whether the lists block the customer, and which blocked customers the order links to."""
    blocked_self = False
    blocked_links: dict[int, dict[str, Any]] = {}
    for m in result.matches:
        if m.overridden_by is not None or m.action != EntryAction.block:
            continue
        if m.via == MatchVia.direct and m.type == "customer" and m.value == str(customer_id):
            blocked_self = True
        if m.via == MatchVia.linked and m.via_customer_id is not None:
            blocked_links.setdefault(m.via_customer_id, {"type": "customer", "id": m.via_customer_id})
    return blocked_self, list(blocked_links.values())


def _list_reasons(
    result: MatchResult, inp: OrderInput, currency: str
) -> tuple[list[Reason], bool, list[dict[str, Any]]]:
    """Turn list matches into reasons; say whether the customer is blocked and who they link to."""
    reasons: list[Reason] = []
    for m in result.allows:
        reasons.append(_match_reason(m, inp, currency, Outcome.allow))
    causes: dict[tuple[Outcome, Any], list[Match]] = {}
    for m in result.matches:
        if m.overridden_by is not None:
            continue  # the allow entry that overrides it is already a reason
        action = Outcome(m.action.value) if m.action else Outcome.block
        # One reason per cause: the entries one block decision made are one reason, however many hit.
        cause = m.block_id if m.block_id is not None else ("entry", m.entry_id)
        causes.setdefault((action, cause), []).append(m)
    for (action, _), matched in causes.items():
        reasons.append(
            _match_reason(matched[0], inp, currency, action)
            if len(matched) == 1
            else _cause_reason(matched, inp, action)
        )
    for m in result.out_of_scope:
        reasons.append(
            Reason(
                code="list_out_of_scope",
                source=_source(m),
                ref=_entry_ref(m),
                message=f"{_sentence(m.explanation)} It covers only {describe_scope(m.scope, currency)}, "
                "and this order has none.",
            )
        )
    blocked_self, blocked_links = list_blocks(result, inp.customer_id)
    return reasons, blocked_self, blocked_links


def _possible_match_reasons(result: MatchResult, setting: str | None) -> list[Reason]:
    """One reason per blocked customer the order shares only weak identifiers with: at most review."""
    reasons = []
    for m in result.possible:
        action = weak_link_outcome(m.action, setting)
        block = f", block #{m.block_id}" if m.block_id is not None else ""
        outcome = (
            f"a weak link never blocks, so the order {_DONE_TO[action]}"
            if action
            else "a weak link never blocks; it is only shown"
        )
        reasons.append(
            Reason(
                code="possible_match",
                source=ReasonSource.link,
                action=action,
                ref={
                    "type": "customer",
                    "id": m.customer_id,
                    "entry_id": m.entry_id,
                    "reason_code": m.reason_code,
                    "block_id": m.block_id,
                },
                path=m.path.as_dict(),
                message=f"Possible match with customer #{m.customer_id}, who is blocked ({m.reason_code}{block}): "
                f"this order {m.path.text()}; {outcome}.",
            )
        )
    return reasons


def _catalogue_reasons(inp: OrderInput, currency: str) -> list[Reason]:
    """Name each line the catalogue does not have: it was screened as the checkout described it."""
    out = []
    for line in inp.lines:
        if line.in_catalogue:
            continue
        price = (
            f"at the price given ({to_decimal_str(line.unit_price, inp.currency)} {inp.currency})"
            if line.unit_price
            else "at 0, since no price was given"
        )
        out.append(
            Reason(
                code="unknown_product",
                source=ReasonSource.catalogue,
                ref={"type": "line", "sku": line.sku},
                message=f"{line.title} ({line.sku}) is not in the catalogue yet; it was screened {price}, "
                "without the product's category, tags or high-value and limited-edition flags.",
                lines=[line.ref()],
            )
        )
    return out


def _source(m: Match) -> ReasonSource:
    return ReasonSource.link if m.via == MatchVia.linked else ReasonSource.list


def _entry_ref(m: Match) -> dict[str, Any]:
    ref: dict[str, Any] = {"type": "list_entry", "id": m.entry_id, "reason_code": m.reason_code}
    if m.via_customer_id is not None:
        ref["customer_id"] = m.via_customer_id
    return ref


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _match_reason(m: Match, inp: OrderInput, currency: str, action: Outcome) -> Reason:
    scoped = m.line_indexes is not None
    prefix = "linked" if m.via == MatchVia.linked else "list"
    message = _sentence(m.explanation)
    if scoped:
        message += f" It restricts {m.restriction}."
    return Reason(
        code=f"{prefix}_{action.value}",
        message=message,
        source=_source(m),
        action=action,
        ref=_entry_ref(m),
        path=m.path.as_dict() if m.path is not None else None,
        lines=[inp.lines[i].ref() for i in m.line_indexes] if scoped and m.line_indexes else None,
    )


_DONE_TO = {Outcome.block: "is blocked", Outcome.review: "is held for review", Outcome.verify: "must verify"}


def _cause_reason(matched: list[Match], inp: OrderInput, action: Outcome) -> Reason:
    """One reason for the entries of one block decision that this order hit, each named once."""
    first = matched[0]
    linked = [m for m in matched if m.via == MatchVia.linked]
    who = f"Customer #{first.entry_customer_id}" if first.entry_customer_id is not None else "This identity"
    parts: list[str] = []
    for m in linked:
        if m.how not in parts:
            parts.append(m.how)
    carried = [m.words for m in matched if m.reached == CARRIED]
    if carried:
        parts.append("the order carries " + _listed(carried))
    used = [m.words for m in matched if m.reached == USED]
    if used:
        parts.append(f"customer #{inp.customer_id} has used {_listed(used)} before")
    others = [f"{m.words} ({m.how})" for m in matched if m.reached == IN_RANGE]
    parts += others
    prefix = "linked" if linked else "list"
    scoped = [m for m in matched if m.line_indexes is not None]
    message = f"{who} {_DONE_TO[action]} ({first.reason_code}, block #{first.block_id}): {'; '.join(parts)}."
    if scoped:
        message += f" It restricts {scoped[0].restriction}."
    indexes = sorted({i for m in scoped for i in (m.line_indexes or ())})
    ref: dict[str, Any] = {
        "type": "list_entry",
        "id": min(m.entry_id for m in matched),
        "reason_code": first.reason_code,
        "block_id": first.block_id,
        "entry_ids": sorted(m.entry_id for m in matched),
    }
    if linked and linked[0].via_customer_id is not None:
        ref["customer_id"] = linked[0].via_customer_id
    return Reason(
        code=f"{prefix}_{action.value}",
        message=message,
        source=ReasonSource.link if linked else ReasonSource.list,
        action=action,
        ref=ref,
        path=linked[0].path.as_dict() if linked and linked[0].path is not None else None,
        lines=[inp.lines[i].ref() for i in indexes] if indexes else None,
        identifiers=[m.words for m in matched],
    )


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _velocity_reasons(facts: dict[str, Any], settings: dict[str, Any]) -> list[Reason]:
    out: list[Reason] = []
    words = {"1h": "hour", "24h": "24 hours", "7d": "7 days", "30d": "30 days"}
    for limit in settings["velocity"]:
        name = f"velocity.{limit['fact']}"
        value = facts.get(name)
        if value is None or value <= limit["max"]:
            continue
        _, _, rest = limit["fact"].partition("_per_")
        kind, _, window = rest.rpartition("_")
        what = "orders" if limit["fact"].startswith("orders") else "spent"
        out.append(
            Reason(
                code=f"velocity_{limit['fact']}",
                source=ReasonSource.velocity,
                weight=int(limit.get("weight", 0)),
                ref={"type": "velocity", "fact": name, "value": value, "max": limit["max"]},
                message=f"{value:g} {what} with this {kind} in the last {words.get(window, window)} "
                f"(the limit is {limit['max']}).",
            )
        )
    return out


def _segment_reasons(segment: str, settings: dict[str, Any], customer_id: int | None) -> list[Reason]:
    conf = settings["segments"].get(segment)
    if segment in ("neutral", "blocked") or not conf or customer_id is None:
        return []
    action = Outcome(conf["action"]) if conf.get("action") else None
    weight = int(conf.get("weight", 0))
    if action is None and weight == 0:
        return []
    return [
        Reason(
            code=f"segment_{segment}",
            source=ReasonSource.segment,
            action=action,
            weight=weight,
            ref={"type": "customer", "id": customer_id},
            message=f"The customer is in the {segment} segment.",
        )
    ]


def _finding_reasons(findings: tuple[str, ...], score: int, customer_id: int | None) -> list[Reason]:
    """Name each of the customer's risk findings; they inform (the segment and rules act on them)."""
    return [
        Reason(
            code=f"finding_{kind}",
            source=ReasonSource.risk,
            ref={"type": "customer", "id": customer_id, "finding": kind, "risk_score": score},
            message=f"The customer's history shows {FINDING_WORDS.get(kind, kind)}; risk score {score}.",
        )
        for kind in findings
    ]


def _rule_reasons(ruleset: ActiveRuleset, facts: dict[str, Any]) -> list[Reason]:
    out: list[Reason] = []
    for rule in ruleset.matching(facts):
        action = _OUTCOMES[rule.action]
        out.append(
            Reason(
                code=f"rule_{rule.rule_id}",
                source=_RULE,
                action=action,
                ref={"type": "rule", "id": rule.rule_id, "version": rule.version, "name": rule.name},
                message=f"Rule \u201c{rule.name}\u201d: {rule.compiled.explain(facts)}.",
            )
        )
    return out


# Read once: an enum lookup per fired rule was a measurable share of the reasons' cost.
_OUTCOMES = {o.value: o for o in Outcome}
_RULE = ReasonSource.rule
