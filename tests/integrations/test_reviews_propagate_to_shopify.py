"""A Shopify order storeguard holds is tagged and assessed on Shopify; approving or cancelling untags it."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import deliver_due
from storeguard.integrations.actions import configure_shop
from storeguard.integrations.platforms.shopify import outbound
from storeguard.integrations.webhooks.worker import hand_over_events
from storeguard.orders.actions import fulfill_order
from storeguard.orders.models import Order
from storeguard.screening.actions import (
    approve_review,
    cancel_review,
    resolve_verification,
    screen_existing_order,
    update_screening_settings,
)
from storeguard.screening.models import Verification
from storeguard.screening.velocity_sql import SqlVelocity
from tests.integrations.conftest import OPERATOR
from tests.screening.support import OWNER, Store, block_customer, make_store, new_customer, past_order

PLATFORM_ID = "820982911946154508"
ORDER_GID = f"gid://shopify/Order/{PLATFORM_ID}"


def _connect(session: Session, store: Store) -> None:
    configure_shop(
        session, store.shop.domain, actor=OPERATOR, access_token="shpat_x", api_base_url="http://shop.test"
    )


def _thresholds(session: Session, store: Store, **thresholds: int) -> None:
    update_screening_settings(
        session, shop_id=store.shop.id, actor=OWNER, changes={"score_thresholds": thresholds}
    )


def _disposable_order(session: Session, store: Store, **kw: Any) -> Order:
    """An order whose only reason is a disposable email, enough for review at a threshold of 20."""
    kw.setdefault("platform_id", PLATFORM_ID)
    return past_order(session, store, None, email="x@mailinator.com", **kw)


def _held_order(
    session: Session, *, connected: bool = True, decision: str = "review", **kw: Any
) -> tuple[Store, Order]:
    """Screen a disposable-email order of a shop whose ``decision`` threshold is 20 (review: held)."""
    store = make_store(session)
    if connected:
        _connect(session, store)
    _thresholds(session, store, **{decision: 20})
    order = _disposable_order(session, store, **kw)
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    return store, order


def _verification(session: Session, order: Order) -> Verification:
    step = session.scalar(select(Verification).where(Verification.order_id == order.id))
    assert step is not None
    return step


def _calls(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """The Admin API calls queued once the worker has handed the domain events to Shopify."""
    hand_over_events(session)
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(m.payload["mutation"], m.payload["variables"]) for m in rows if m.kind == "shopify"]


def _mutations(session: Session) -> list[str]:
    return [mutation for mutation, _ in _calls(session)]


def test_holding_a_connected_shopify_order_queues_the_review_tag_and_a_medium_risk_assessment(
    session: Session,
) -> None:
    _, order = _held_order(session)
    assert order.held
    [(tag_call, tag_vars), (risk_call, risk_vars)] = _calls(session)
    assert (tag_call, tag_vars) == ("tagsAdd", {"id": ORDER_GID, "tags": ["storeguard-review"]})
    assert risk_call == "orderRiskAssessmentCreate"
    assessment = risk_vars["orderRiskAssessmentInput"]
    assert (assessment["orderId"], assessment["riskLevel"]) == (ORDER_GID, "MEDIUM")
    assert assessment["facts"] == [
        {"description": "storeguard decision: review (score 30)", "sentiment": "NEUTRAL"},
        {
            "description": "The email address uses the disposable domain mailinator.com.",
            "sentiment": "NEGATIVE",
        },
    ]


def test_screening_a_held_order_again_queues_nothing_more(session: Session) -> None:
    _, order = _held_order(session)
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    assert _mutations(session) == ["tagsAdd", "orderRiskAssessmentCreate"]


def test_holding_an_order_not_mirrored_from_shopify_queues_nothing(session: Session) -> None:
    _, order = _held_order(session, platform_id=None)
    assert order.held
    assert _mutations(session) == []


def test_holding_an_order_of_a_shop_without_shopify_credentials_queues_nothing(session: Session) -> None:
    _, order = _held_order(session, connected=False)
    assert order.held
    assert _mutations(session) == []


def test_a_block_that_cannot_cancel_holds_with_a_high_risk_assessment(session: Session) -> None:
    store = make_store(session)
    _connect(session, store)
    kari = new_customer(session, store)
    block_customer(session, store, kari, past_order(session, store, kari))
    order = past_order(session, store, kari, platform_id=PLATFORM_ID)
    fulfill_order(session, order_id=order.id, actor=OWNER)
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    calls = dict(_calls(session))
    assert calls["tagsAdd"]["tags"] == ["storeguard-review"]
    assessment = calls["orderRiskAssessmentCreate"]["orderRiskAssessmentInput"]
    assert assessment["riskLevel"] == "HIGH"
    assert "NEGATIVE" in {f["sentiment"] for f in assessment["facts"][1:]}


def test_approving_queues_the_tag_removal_and_a_low_risk_assessment(session: Session) -> None:
    _, order = _held_order(session)
    approve_review(session, order_id=order.id, actor=OWNER, note="called the customer")
    calls = _calls(session)[2:]
    assert calls[0] == ("tagsRemove", {"id": ORDER_GID, "tags": ["storeguard-review"]})
    assessment = calls[1][1]["orderRiskAssessmentInput"]
    assert assessment["riskLevel"] == "LOW"
    assert assessment["facts"] == [
        {"description": "released for fulfilment by a storeguard reviewer", "sentiment": "POSITIVE"},
        {"description": "called the customer", "sentiment": "NEUTRAL"},
    ]


def test_holding_again_after_approval_tags_again(session: Session) -> None:
    _, order = _held_order(session)
    approve_review(session, order_id=order.id, actor=OWNER)
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    assert _mutations(session) == [
        "tagsAdd",
        "orderRiskAssessmentCreate",
        "tagsRemove",
        "orderRiskAssessmentCreate",
        "tagsAdd",
        "orderRiskAssessmentCreate",
    ]


def test_cancelling_from_review_cancels_on_shopify_and_removes_the_review_tag(session: Session) -> None:
    _, order = _held_order(session)
    cancel_review(session, order_id=order.id, actor=OWNER, refund=False, restock=False)
    calls = _calls(session)[2:]
    assert [c[0] for c in calls] == ["orderCancel", "tagsRemove"]
    assert (calls[0][1]["orderId"], calls[0][1]["reason"]) == (ORDER_GID, "FRAUD")
    assert calls[1][1] == {"id": ORDER_GID, "tags": ["storeguard-review"]}


def test_a_verify_decision_tags_the_order_until_the_step_is_satisfied(session: Session) -> None:
    _, order = _held_order(session, decision="verify")
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    calls = dict(_calls(session))
    assert calls["tagsAdd"]["tags"] == ["storeguard-verify"]
    assert calls["orderRiskAssessmentCreate"]["orderRiskAssessmentInput"]["riskLevel"] == "MEDIUM"
    step = _verification(session, order)
    resolve_verification(session, verification_id=step.id, actor=OWNER, status="satisfied")
    assert _calls(session)[2:] == [("tagsRemove", {"id": ORDER_GID, "tags": ["storeguard-verify"]})]


def test_a_failed_verification_keeps_the_verify_tag(session: Session) -> None:
    _, order = _held_order(session, decision="verify")
    step = _verification(session, order)
    resolve_verification(session, verification_id=step.id, actor=OWNER, status="failed")
    assert _mutations(session) == ["tagsAdd", "orderRiskAssessmentCreate"]


def test_the_hold_and_release_calls_are_sent_as_the_documented_graphql(session: Session) -> None:
    _, order = _held_order(session)
    approve_review(session, order_id=order.id, actor=OWNER)
    session.commit()
    sent: list[tuple[str, dict[str, Any]]] = []

    def transport(url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        sent.append((url, json.loads(body)))
        name = json.loads(body)["query"].split("(")[0].split()[-1]
        request = httpx.Request("POST", url)
        return httpx.Response(200, json={"data": {name: {"userErrors": []}}}, request=request)

    hand_over_events(session)
    assert deliver_due(session, outbound.senders(session, transport)) == 4
    assert {url for url, _ in sent} == {"http://shop.test/admin/api/2025-01/graphql.json"}
    bodies = [body for _, body in sent]
    assert bodies[0] == {
        "query": "mutation tagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags)"
        " { node { id } userErrors { field message } } }",
        "variables": {"id": ORDER_GID, "tags": ["storeguard-review"]},
    }
    assert bodies[1]["query"].startswith(
        "mutation orderRiskAssessmentCreate($orderRiskAssessmentInput: OrderRiskAssessmentCreateInput!)"
    )
    assert set(bodies[1]["variables"]["orderRiskAssessmentInput"]) == {"orderId", "riskLevel", "facts"}
    assert bodies[2] == {
        "query": "mutation tagsRemove($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags)"
        " { node { id } userErrors { field message } } }",
        "variables": {"id": ORDER_GID, "tags": ["storeguard-review"]},
    }
    assert bodies[3]["variables"]["orderRiskAssessmentInput"]["riskLevel"] == "LOW"
