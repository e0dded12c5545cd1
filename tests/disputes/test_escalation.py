"""Mediation and arbitration: suggested for high amounts, marked by a person, refused once a dispute has ended."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storeguard.core.audit import events_for
from storeguard.core.clock import now
from storeguard.core.enums import Role
from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute
from storeguard.disputes.policy import (
    DEFAULT_ESCALATION_THRESHOLD,
    escalation_suggested,
    escalation_threshold,
)
from storeguard.shops.models import Shop
from tests.disputes.conftest import open_dispute


def test_escalation_is_suggested_at_the_threshold_and_not_below():
    assert (
        escalation_suggested(DisputeStatus.needs_response, 50_000, None, 50_000),
        escalation_suggested(DisputeStatus.needs_response, 49_999, None, 50_000),
    ) == (True, False)


def test_escalation_is_not_suggested_once_marked_or_after_a_win():
    assert (
        escalation_suggested(DisputeStatus.needs_response, 90_000, "mediation", 50_000),
        escalation_suggested(DisputeStatus.won, 90_000, None, 50_000),
        escalation_suggested(DisputeStatus.lost, 90_000, None, 50_000),
    ) == (False, False, True)


def test_the_threshold_is_the_shops_own_or_the_default_for_nonsense():
    assert [
        escalation_threshold({"dispute_escalation_threshold": 250_000}),
        escalation_threshold({"dispute_escalation_threshold": True}),
        escalation_threshold({"dispute_escalation_threshold": -5}),
        escalation_threshold(None),
    ] == [250_000, DEFAULT_ESCALATION_THRESHOLD, DEFAULT_ESCALATION_THRESHOLD, DEFAULT_ESCALATION_THRESHOLD]


def test_the_inbox_suggests_escalation_by_the_shops_threshold(client, auth, session, order, team):
    open_dispute(session, order)  # 1,299.00 NOK
    before = client.get("/v1/disputes", headers=auth(Role.viewer)).json()["items"][0]["escalation_suggested"]
    shop = session.get(Shop, order.shop_id)
    shop.settings = {**(shop.settings or {}), "dispute_escalation_threshold": 200_000}
    session.commit()

    after = client.get("/v1/disputes", headers=auth(Role.viewer)).json()["items"][0]["escalation_suggested"]

    assert (before, after) == (True, False)


def test_an_agent_marks_a_dispute_for_mediation_with_why(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    answer = client.post(
        f"/v1/disputes/{dispute.id}/escalate",
        json={"kind": "mediation", "note": "High value, signed delivery"},
        headers=auth(Role.agent),
    )

    body = answer.json()
    assert (
        answer.status_code,
        body["escalation"],
        body["escalation_note"],
        body["escalation_suggested"],
    ) == (
        200,
        "mediation",
        "High value, signed delivery",
        False,
    )
    assert [e.action for e in events_for(session, "dispute", dispute.id)][-1] == "dispute.escalated"


def test_an_unknown_way_to_escalate_is_refused_and_nothing_changes(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    answer = client.post(
        f"/v1/disputes/{dispute.id}/escalate", json={"kind": "court"}, headers=auth(Role.agent)
    )

    session.expire_all()
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_escalation")
    assert session.get(Dispute, dispute.id).escalation is None


def test_a_won_dispute_cannot_be_escalated(client, auth, session, order, team):
    dispute = open_dispute(session, order, status="won")

    answer = client.post(
        f"/v1/disputes/{dispute.id}/escalate", json={"kind": "arbitration"}, headers=auth(Role.agent)
    )

    session.expire_all()
    assert (answer.status_code, answer.json()["code"]) == (409, "nothing_to_escalate")
    assert session.scalar(select(Dispute.escalation).where(Dispute.id == dispute.id)) is None


def test_a_viewer_may_not_escalate(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    answer = client.post(
        f"/v1/disputes/{dispute.id}/escalate", json={"kind": "mediation"}, headers=auth(Role.viewer)
    )

    session.expire_all()
    assert answer.status_code == 403
    assert session.get(Dispute, dispute.id).escalation is None


def test_the_dispute_page_suggests_and_marks_arbitration(client, login, session, order, team):
    dispute = open_dispute(session, order, due=now() + timedelta(days=9))
    me = login("agent")

    shown = client.get(f"/disputes/{dispute.id}").text
    marked = client.post(
        f"/disputes/{dispute.id}/escalate",
        data={"csrf_token": me.csrf, "kind": "arbitration", "escalation_note": "Pre-arbitration filed"},
        follow_redirects=False,
    )
    page = client.get(f"/disputes/{dispute.id}").text

    session.expire_all()
    assert "weigh mediation or arbitration against its fees" in shown
    assert (marked.status_code, session.get(Dispute, dispute.id).escalation) == (303, "arbitration")
    assert "Taken further" in page and "Pre-arbitration filed" in page
