"""The disputes pages: the inbox by deadline, a dispute answered on its page, the order's panel."""

from __future__ import annotations

from datetime import timedelta

from storeguard.core.clock import now
from storeguard.disputes.models import Dispute
from tests.disputes.conftest import open_dispute


def test_the_inbox_shows_the_soonest_deadline_first_and_marks_one_past_due(
    client, login, session, order, team
):
    later = open_dispute(session, order, due=now() + timedelta(days=9), gid="dp_later")
    past = open_dispute(session, order, due=now() - timedelta(hours=2), gid="dp_past")
    login("viewer")

    page = client.get("/disputes").text

    assert page.index(f'href="/disputes/{past.id}"') < page.index(f'href="/disputes/{later.id}"')
    assert page.count("Past due") == 1


def test_an_agent_contests_from_the_dispute_page(client, login, session, order, team):
    dispute = open_dispute(session, order, due=now() + timedelta(days=9))
    me = login("agent")

    answered = client.post(
        f"/disputes/{dispute.id}/contest",
        data={"csrf_token": me.csrf, "note": "Signed for"},
        follow_redirects=False,
    )
    page = client.get(f"/disputes/{dispute.id}").text

    session.expire_all()
    assert answered.status_code == 303
    assert session.get(Dispute, dispute.id).response == "contested"
    assert "Decided to contest" in page and "Signed for" in page


def test_accepting_without_a_reason_marks_the_field_and_changes_nothing(client, login, session, order, team):
    dispute = open_dispute(session, order, due=now() + timedelta(days=9))
    me = login("agent")

    refused = client.post(f"/disputes/{dispute.id}/accept", data={"csrf_token": me.csrf, "reason": ""})

    session.expire_all()
    assert refused.status_code == 422 and "Say why; it is kept with the dispute." in refused.text
    assert (session.get(Dispute, dispute.id).response, session.get(Dispute, dispute.id).status) == (
        None,
        "needs_response",
    )


def test_a_viewer_sees_no_answer_form_and_a_forged_one_is_refused(client, login, session, order, team):
    dispute = open_dispute(session, order, due=now() + timedelta(days=9))
    me = login("viewer")

    page = client.get(f"/disputes/{dispute.id}").text
    forged = client.post(f"/disputes/{dispute.id}/contest", data={"csrf_token": me.csrf})

    session.expire_all()
    assert "Accept, do not contest" not in page
    assert forged.status_code == 403 and session.get(Dispute, dispute.id).response is None


def test_the_order_page_lists_its_disputes(client, login, session, order, team):
    dispute = open_dispute(session, order, due=now() + timedelta(days=9))
    login("viewer")

    page = client.get(f"/orders/{order.id}").text

    assert f'href="/disputes/{dispute.id}"' in page


def test_the_dashboard_counts_disputes_due_soon(client, login, session, order, team):
    open_dispute(session, order, due=now() + timedelta(days=3))
    login("viewer")

    page = client.get("/").text

    assert 'href="/disputes"' in page and "Disputes due within 5 days" in page
