"""One segment: the checkout's ``customer.segment`` fact is the segment the customer page shows.

Assessed: risk's stored segment. Blocked: blocked, whatever risk stored. Not assessed yet:
screening's placement from the customer's history, on the page too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storeguard.orders.enums import OrderStatus
from storeguard.risk.models import CustomerRisk
from storeguard.risk.service import segment_of
from storeguard.screening.engine import screen
from tests.screening.support import block_customer, checkout, make_store, new_customer, past_order


def _assessed(session: Session, store, customer, segment: str) -> None:
    session.add(
        CustomerRisk(
            customer_id=customer.id,
            shop_id=store.shop.id,
            score=30,
            suggested=segment,
            segment=segment,
            findings=[],
            finding_types="",
            contributions=[],
            model_version="test",
        )
    )
    session.flush()


def test_an_assessed_customer_is_in_risks_segment_at_checkout_and_on_the_page(session: Session) -> None:
    store = make_store(session)
    kari = new_customer(session, store)
    _assessed(session, store, kari, "restricted")

    fact = screen(session, checkout(store, customer_id=kari.id)).facts["customer.segment"]

    assert (fact, segment_of(session, kari.id)) == ("restricted", "restricted")


def test_a_customer_not_assessed_yet_is_placed_by_their_history_at_checkout_and_on_the_page(
    session: Session,
) -> None:
    store = make_store(session)
    ola = new_customer(session, store)
    for _ in range(3):
        past_order(session, store, ola, status=OrderStatus.cancelled)

    fact = screen(session, checkout(store, customer_id=ola.id)).facts["customer.segment"]

    assert (fact, segment_of(session, ola.id)) == ("watch", "watch")


def test_a_new_customer_is_neutral_at_checkout_and_on_the_page(session: Session) -> None:
    store = make_store(session)
    per = new_customer(session, store)

    fact = screen(session, checkout(store, customer_id=per.id)).facts["customer.segment"]

    assert (fact, segment_of(session, per.id)) == ("neutral", "neutral")


def test_a_blocked_customer_is_blocked_at_checkout_and_on_the_page_whatever_risk_stored(
    session: Session,
) -> None:
    store = make_store(session)
    kari = new_customer(session, store)
    _assessed(session, store, kari, "good")
    block_customer(session, store, kari, past_order(session, store, kari))

    fact = screen(session, checkout(store, customer_id=kari.id)).facts["customer.segment"]

    assert (fact, segment_of(session, kari.id)) == ("blocked", "blocked")


def test_the_customer_pages_badge_names_the_checkouts_segment(session: Session, client, login) -> None:
    store = make_store(session)
    ola = new_customer(session, store)
    for _ in range(3):
        past_order(session, store, ola, status=OrderStatus.cancelled)
    fact = screen(session, checkout(store, customer_id=ola.id)).facts["customer.segment"]
    login("viewer")

    page = client.get(f"/customers/{ola.id}").text

    assert fact == "watch"
    assert 'id="risk-h">Behaviour and risk <span class="badges"><span class="badge warn">Watch</span>' in page
