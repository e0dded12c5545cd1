"""Decisions explain themselves once: one reason per cause, identifiers as written, labels and
scores that match the decision, and no good-customer bonus for a second account of a blocked one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storeguard.lists.blocking import block_customer
from storeguard.screening.engine import screen
from tests.screening.support import ADDRESS, OWNER, checkout, make_store, new_customer, past_order
from tests.screening.support import block_customer as block_entry


def _blocked_kari(session: Session):
    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no", phone="+4791234567")
    evidence = past_order(session, store, kari, device_id="dev-77", phone="+4791234567")
    block = block_customer(
        session, customer_id=kari.id, actor=OWNER, reason_code="fraud", evidence={"order_ids": [evidence.id]}
    )
    return store, kari, block


def test_a_blocked_customers_checkout_gives_one_reason_naming_every_identifier_it_matched(
    session: Session,
) -> None:
    store, kari, block = _blocked_kari(session)

    result = screen(
        session, checkout(store, customer_id=kari.id, email="kari@example.no", device_id="dev-77")
    )

    [reason] = [r for r in result.verdict.reasons if r.source.value == "list"]
    assert reason.code == "list_block"
    assert reason.ref["block_id"] == block.id and len(reason.ref["entry_ids"]) == len(reason.identifiers)
    assert reason.message.startswith(f"Customer #{kari.id} is blocked (fraud, block #{block.id}): ")
    assert "shipping address Storgata 1, 0155, Oslo, NO" in reason.identifiers
    assert f"customer #{kari.id}" in reason.identifiers and "email kari@example.no" in reason.identifiers
    assert "no|0155||storgata 1" not in reason.message


def test_a_second_account_sharing_a_device_gets_one_reason_for_the_block_it_reaches(session: Session) -> None:
    store, kari, block = _blocked_kari(session)
    second = new_customer(session, store, email="k2@example.no")
    past_order(session, store, second, device_id="dev-77", shipping_address=None, billing_address=None)

    result = screen(
        session, checkout(store, customer_id=second.id, email="k2@example.no", device_id="dev-77")
    )

    block_reasons = [r for r in result.verdict.reasons if r.action is not None and r.action.value == "block"]
    assert [r.code for r in block_reasons] == ["linked_block"]
    assert block_reasons[0].ref["block_id"] == block.id
    assert block_reasons[0].path is not None


def test_a_review_only_entry_is_called_a_review_entry(session: Session) -> None:
    store = make_store(session)
    ola = new_customer(session, store)
    evidence = past_order(session, store, ola)
    block_entry(session, store, ola, evidence, action="review")

    result = screen(session, checkout(store, customer_id=ola.id))

    [reason] = [r for r in result.verdict.reasons if r.source.value == "list"]
    assert (reason.code, reason.message.split(" #")[0]) == ("list_review", "Review entry")


def test_a_block_an_entry_decides_reads_as_a_full_score(session: Session) -> None:
    store, kari, _ = _blocked_kari(session)

    result = screen(session, checkout(store, customer_id=kari.id))

    assert (result.verdict.decision.value, result.verdict.score) == ("block", 100)


def test_a_review_an_entry_decides_scores_at_least_the_review_threshold(session: Session) -> None:
    store = make_store(session)
    ola = new_customer(session, store)
    block_entry(session, store, ola, past_order(session, store, ola), action="review")

    result = screen(session, checkout(store, customer_id=ola.id))

    assert (result.verdict.decision.value, result.verdict.score) == ("review", 60)


def test_an_account_linked_to_a_blocked_one_gets_no_good_customer_bonus(session: Session) -> None:
    store, kari, _ = _blocked_kari(session)
    loyal = new_customer(session, store, email="loyal@example.no")
    for _ in range(4):  # a good customer by history
        past_order(session, store, loyal, shipping_address=ADDRESS)

    result = screen(session, checkout(store, customer_id=loyal.id, email="loyal@example.no"))

    assert result.facts["customer.segment"] == "neutral"
    assert [r.code for r in result.verdict.reasons if r.code.startswith("segment_")] == []
