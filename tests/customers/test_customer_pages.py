"""The customer pages and the block dialogs, tested like routes: status, roles, CSRF, what changed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storeguard.core.models import OutboxMessage
from storeguard.customers.identifiers import record_order_identifiers
from storeguard.lists.blocking import block_customer
from storeguard.lists.models import CustomerBlock, ListEntry
from tests.factories import FACTORY_ACTOR, make_customer, make_product, make_shop, place_order


@pytest.fixture
def pair(session):
    """Kari, blocked, and her second account Kim, who shares her device."""
    shop = make_shop(session, name="Nordlys Sko", currency="NOK", country="NO")
    boots = make_product(session, shop, sku="BOOTS", price=99900, stock=50)
    kari = make_customer(
        session, shop, first_name="Kari", last_name="Nordmann", email="kari@example.no", locale="nb"
    )
    kim = make_customer(
        session, shop, first_name="Kim", last_name="Berg", email="kim@example.no", locale="nb"
    )
    first = place_order(session, shop, [(boots, 1)], customer=kari, device_id="dev-42")
    second = place_order(session, shop, [(boots, 1)], customer=kim, device_id="dev-42")
    record_order_identifiers(session, first)
    record_order_identifiers(session, second)
    block_customer(
        session,
        customer_id=kari.id,
        actor=FACTORY_ACTOR,
        reason_code="fraud",
        evidence={"order_ids": [first.id]},
    )
    session.flush()
    return kari, kim, second


def _blocks(session) -> list[tuple]:
    return [
        tuple(r)
        for r in session.execute(
            select(CustomerBlock.customer_id, CustomerBlock.status, CustomerBlock.evidence).order_by(
                CustomerBlock.id
            )
        )
    ]


def test_the_customer_list_finds_a_customer_by_name(client, login, pair):
    login("viewer")

    page = client.get("/customers?q=kim")

    assert page.status_code == 200
    assert f'href="/customers/{pair[1].id}"' in page.text
    assert f'href="/customers/{pair[0].id}"' not in page.text


def test_the_customer_page_shows_the_link_graph_and_the_path_to_the_blocked_account(client, login, pair):
    kari, kim, _ = pair
    login("viewer")

    page = client.get(f"/customers/{kim.id}")

    assert page.status_code == 200
    assert "<svg" in page.text and f'<a href="/customers/{kari.id}">' in page.text
    assert f"shares dev-42 with customer #{kari.id}" in page.text
    assert 'class="node blocked"' in page.text


def test_blocking_with_evidence_from_the_customers_orders_blocks_and_queues_the_notice(
    client, login, session, pair
):
    _, kim, order = pair
    me = login("agent")

    answer = client.post(
        f"/customers/{kim.id}/block",
        data={
            "csrf_token": me.csrf,
            "reason_code": "fraud",
            "action": "block",
            f"order-{order.id}": "on",
            "notes": "Second account of Kari",
            "block_identifiers": "on",
            "notify": "on",
            "scope": "everything",
        },
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/customers/{kim.id}")
    assert _blocks(session)[-1] == (
        kim.id,
        "active",
        {"order_ids": [order.id], "notes": ["Second account of Kari"]},
    )
    notices = session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "email")).all()
    assert [n["to"] for n in notices] == ["kari@example.no", "kim@example.no"]


def test_blocking_without_a_reason_shows_the_form_again_and_changes_nothing(client, login, session, pair):
    _, kim, order = pair
    me = login("agent")
    before = _blocks(session)

    answer = client.post(
        f"/customers/{kim.id}/block",
        data={"csrf_token": me.csrf, "action": "block", f"order-{order.id}": "on"},
    )

    assert answer.status_code == 422
    assert "Choose a reason." in answer.text
    assert _blocks(session) == before


def test_blocking_without_evidence_is_refused_with_the_field_marked(client, login, session, pair):
    _, kim, _ = pair
    me = login("agent")
    before = _blocks(session)

    answer = client.post(
        f"/customers/{kim.id}/block", data={"csrf_token": me.csrf, "reason_code": "fraud", "action": "block"}
    )

    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text or "form-message" in answer.text
    assert _blocks(session) == before


def test_the_notice_preview_is_in_the_customers_language(client, login, pair):
    _, kim, _ = pair
    me = login("agent")

    preview = client.post(
        f"/customers/{kim.id}/block/preview",
        data={"reason_code": "fraud", "action": "block"},
        headers={"X-CSRF-Token": me.csrf},
    )

    assert preview.status_code == 200
    assert 'lang="nb"' in preview.text and "Nordlys Sko" in preview.text


def test_unblocking_needs_a_reason_and_then_lifts_the_block(client, login, session, pair):
    kari, _, _ = pair
    me = login("agent")

    refused = client.post(f"/customers/{kari.id}/unblock", data={"csrf_token": me.csrf, "reason": " "})
    lifted = client.post(
        f"/customers/{kari.id}/unblock",
        data={"csrf_token": me.csrf, "reason": "Paid back"},
        follow_redirects=False,
    )

    assert refused.status_code == 422 and "Say why the block is lifted." in refused.text
    assert lifted.status_code == 303
    assert _blocks(session)[0][:2] == (kari.id, "lifted")


def test_a_viewer_sees_no_block_button(client, login, pair):
    login("viewer")

    page = client.get(f"/customers/{pair[1].id}")

    assert f'href="/customers/{pair[1].id}/block"' not in page.text


@pytest.mark.parametrize("path", ["block", "unblock"])
def test_a_viewers_forged_block_or_unblock_gets_403_and_changes_nothing(client, login, session, pair, path):
    me = login("viewer")
    before = (_blocks(session), session.scalar(select(func.count()).select_from(ListEntry)))

    answer = client.post(
        f"/customers/{pair[0].id}/{path}", data={"csrf_token": me.csrf, "reason_code": "fraud", "reason": "x"}
    )

    assert answer.status_code == 403
    assert (_blocks(session), session.scalar(select(func.count()).select_from(ListEntry))) == before


def test_a_block_without_the_csrf_token_is_refused(client, login, session, pair):
    login("agent")
    before = _blocks(session)

    answer = client.post(f"/customers/{pair[1].id}/block", data={"reason_code": "fraud"})

    assert answer.status_code == 403
    assert _blocks(session) == before


def test_an_unknown_customer_answers_a_404_page(client, login, pair):
    login("viewer")

    assert client.get("/customers/987654321").status_code == 404


def test_the_link_graph_names_what_is_shared_in_the_users_language(client, login, pair):
    _, kim, _ = pair
    login("viewer", locale="he")

    page = client.get(f"/customers/{kim.id}")

    graph = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert ">מכשיר</text>" in graph
