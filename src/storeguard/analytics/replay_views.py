"""The policy replay page: a merchant types stricter thresholds and sees who would move, before
changing anything."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from storeguard.analytics.enums import AnalyticsError
from storeguard.analytics.replay import replay_policy
from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.core.schemas import Id
from storeguard.risk.policy import DEFAULT
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
        AnalyticsError.replay_change_required: N_("Change at least one threshold to see who would move."),
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
) -> Response:
    """The form with today's thresholds; once sent, the customers and open orders that would move."""
    context = _context(request, session, shop_id, return_share, evidence, review)
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
