"""The policy replay page: a merchant types stricter thresholds, a rule, or other link types and sees
who would move, before changing anything."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from storeguard.analytics.enums import AnalyticsError
from storeguard.analytics.replay import LINKED, NOT_LINKED, replay_policy
from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.core.schemas import Id
from storeguard.customers.identifiers import link_types
from storeguard.customers.pages import IDENTIFIER_TYPES
from storeguard.customers.views import LINK_TYPE_HINTS
from storeguard.risk.policy import DEFAULT
from storeguard.rules.service import ProposedRule, list_rules
from storeguard.screening.service import screening_settings
from storeguard.shops.service import first_shop, get_shop
from storeguard.staff.pages import PageRead
from storeguard.web.context import speaker
from storeguard.web.i18n import N_
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)

register_refusals(
    {
        AnalyticsError.replay_change_required: N_(
            "Change at least one threshold, rule or link type to see who would move."
        ),
        AnalyticsError.replay_setting_unknown: N_("This threshold cannot be replayed."),
        AnalyticsError.replay_value_invalid: N_(
            "A share is a percentage from 0 to 100, a score a whole number from 0 to 100."
        ),
    }
)

SEGMENT_WORDS = {
    "vip": N_("VIP"),
    "good": N_("Good"),
    "neutral": N_("Neutral"),
    "watch": N_("Watch"),
    "restricted": N_("Restricted"),
    "blocked": N_("Blocked"),
}
DECISION_WORDS = {
    "allow": N_("Let through"),
    "verify": N_("Verify"),
    "review": N_("Hold for review"),
    "block": N_("Block"),
}

LINK_WORDS = {
    NOT_LINKED: N_("Not linked to a blocked customer"),
    LINKED: N_("Linked to a blocked customer"),
}
RULE_STATES = {"": N_("As it is"), "on": N_("On"), "off": N_("Off")}

Field = Annotated[str, Query()]


def _number(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


def _proposal(
    return_share: str, evidence: str, review: str, current_review: int | None
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Read the form into risk and score changes (only what differs from today); False when unreadable."""
    serial = DEFAULT["serial_returning"]
    risk: dict[str, Any] = {}
    scores: dict[str, Any] = {}
    readable = True
    if return_share.strip():
        share = _number(return_share)
        readable &= share is not None
        if share is not None and share / 100 != serial["min_ratio_by_count"]:
            risk["min_ratio_by_count"] = risk["min_ratio_by_value"] = round(share / 100, 4)
    if evidence.strip():
        times = _number(evidence)
        readable &= times is not None
        if times is not None and times != serial["min_likelihood_ratio"]:
            risk["min_likelihood_ratio"] = times
    if review.strip():
        score = _number(review)
        readable &= score is not None and score == int(score)
        if score is not None and score == int(score) and int(score) != current_review:
            scores["review"] = int(score)
    return ({"serial_returning": risk} if risk else {}), scores, readable


@router.get("/analytics/policy-replay", name="analytics.page_policy_replay")
def policy_replay_page(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    shop_id: Annotated[Id | None, Query()] = None,
    return_share: Field = "",
    evidence: Field = "",
    review: Field = "",
    rule_source: Field = "",
    rule_id: Field = "",
    rule_state: Field = "",
    days: Field = "",
    links: Field = "",
    link: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """The forms with today's thresholds, rules and link types; once one is sent, who would move."""
    context = _context(request, session, shop_id, return_share, evidence, review)
    if context["shop"] is not None:
        _rules_and_links(
            request, session, context, rule_source, rule_id, rule_state, days, links == "1", link or []
        )
    # A proposal that cannot be replayed is answered like a refused form: the page, with why.
    status = 422 if context["message"] else 200
    return render(request, "analytics/policy_replay.html", context, status_code=status)


def _context(
    request: Request, session: Session, shop_id: int | None, return_share: str, evidence: str, review: str
) -> dict[str, Any]:
    said = speaker(request)
    shop = get_shop(session, shop_id) if shop_id is not None else first_shop(session)
    serial = DEFAULT["serial_returning"]
    context: dict[str, Any] = {
        "shop": shop,
        "segment_words": SEGMENT_WORDS,
        "decision_words": DECISION_WORDS,
        "today": {
            "return_share": round(serial["min_ratio_by_count"] * 100),
            "evidence": serial["min_likelihood_ratio"],
        },
        "values": {"return_share": return_share, "evidence": evidence, "review": review},
        "sent": bool(return_share or evidence or review),
        "message": None,
        "result": None,
    }
    if shop is None:
        return context
    current_review = screening_settings(session, shop.id)[0]["score_thresholds"].get("review")
    context["today"]["review"] = current_review
    if not context["sent"]:
        return context
    risk, scores, readable = _proposal(return_share, evidence, review, current_review)
    if not readable:
        context["message"] = said.gettext("Type numbers only.")
        return context
    try:
        context["result"] = replay_policy(session, shop.id, risk=risk, score_thresholds=scores)
    except DomainError as error:
        context["message"] = describe(error, said)
    return context


def _rules_and_links(
    request: Request,
    session: Session,
    context: dict[str, Any],
    rule_source: str,
    rule_id: str,
    rule_state: str,
    days: str,
    links_sent: bool,
    link: list[str],
) -> None:
    """Fill the rule and link-type forms, and replay whichever was sent."""
    said = speaker(request)
    shop = context["shop"]
    rules, _ = list_rules(session, shop_id=shop.id, limit=200)
    chosen = link if links_sent else [str(t) for t in link_types(shop)]
    context.update(
        {
            "link_words": LINK_WORDS,
            "rule_states": RULE_STATES,
            "rules": [(str(r.id), r.name, r.enabled) for r in rules],
            "rule_values": {
                "rule_source": rule_source,
                "rule_id": rule_id,
                "rule_state": rule_state,
                "days": days,
            },
            "link_types": [(t, IDENTIFIER_TYPES[t], t in chosen) for t in map(str, LINK_TYPE_HINTS)],
            "caret": None,
        }
    )
    rule_sent = bool(rule_source.strip() or rule_id or rule_state)
    if not (rule_sent or links_sent) or context["sent"]:
        return
    context["sent"] = True
    proposed: list[ProposedRule] = []
    if rule_sent:
        if (
            (rule_id and not rule_id.isdigit())
            or (days and not days.isdigit())
            or rule_state not in RULE_STATES
        ):
            context["message"] = said.gettext("Type numbers only.")
            return
        proposed.append(
            ProposedRule(
                rule_id=int(rule_id) if rule_id else None,
                source=rule_source if rule_source.strip() else None,
                enabled=None if not rule_state else rule_state == "on",
            )
        )
    try:
        context["result"] = replay_policy(
            session,
            shop.id,
            rules=proposed or None,
            days=int(days) if rule_sent and days else 0,
            link_types=link if links_sent else None,
        )
    except DomainError as error:
        context["message"] = describe(error, said)
        context["caret"] = getattr(error, "caret", None)
