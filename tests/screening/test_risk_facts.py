"""Risk as rule facts and screening reasons: the customer's stored score, findings and segment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storeguard.risk.models import CustomerRisk
from storeguard.rules.actions import create_rule
from storeguard.rules.service import clear_cache
from storeguard.screening.engine import screen
from tests.screening.support import OWNER, checkout, make_store, new_customer


def _assessed(session: Session, store, *, score: int, segment: str, findings: list[str]):
    customer = new_customer(session, store)
    session.add(
        CustomerRisk(
            customer_id=customer.id,
            shop_id=store.shop.id,
            score=score,
            suggested=segment,
            segment=segment,
            findings=[{"type": t, "confidence": 0.9} for t in findings],
            finding_types=",".join(sorted(findings)),
            contributions=[],
            model_version="test",
        )
    )
    session.flush()
    return customer


def test_a_bracketers_checkout_has_their_score_findings_and_segment_as_facts(session: Session) -> None:
    store = make_store(session)
    kari = _assessed(session, store, score=45, segment="watch", findings=["bracketing", "serial_returning"])

    facts = screen(session, checkout(store, customer_id=kari.id)).facts

    assert facts["customer.risk_score"] == 45
    assert facts["customer.findings"] == ["bracketing", "serial_returning"]
    assert (facts["customer.finding_bracketing"], facts["customer.finding_wardrobing"]) == (True, False)
    assert facts["customer.segment"] == "watch"


def test_a_customer_not_assessed_yet_has_score_0_and_no_findings(session: Session) -> None:
    store = make_store(session)
    ola = new_customer(session, store)

    facts = screen(session, checkout(store, customer_id=ola.id)).facts

    assert (facts["customer.risk_score"], facts["customer.findings"]) == (0, [])
    assert facts["customer.finding_bracketing"] is False


def test_each_finding_is_a_reason_named_in_plain_words(session: Session) -> None:
    store = make_store(session)
    kari = _assessed(session, store, score=30, segment="neutral", findings=["bracketing"])

    result = screen(session, checkout(store, customer_id=kari.id))

    [reason] = [r for r in result.verdict.reasons if r.source == "risk"]
    assert reason.code == "finding_bracketing"
    assert reason.message == (
        "The customer's history shows bracketing (several sizes or colours of one product ordered, "
        "most sent back); risk score 30."
    )
    assert (reason.action, reason.weight) == (None, 0)


def test_a_rule_on_a_finding_flag_fires_for_the_customer_with_that_finding(session: Session) -> None:
    store = make_store(session)
    kari = _assessed(session, store, score=60, segment="restricted", findings=["chargeback_abuse"])
    create_rule(
        session,
        name="Chargeback abusers",
        source="review if customer.finding_chargeback_abuse and customer.risk_score >= 50",
        actor=OWNER,
        shop_id=store.shop.id,
    )
    clear_cache()

    result = screen(session, checkout(store, customer_id=kari.id))

    assert result.decision == "review"
    assert [r.ref["name"] for r in result.verdict.reasons if r.source == "rule"] == ["Chargeback abusers"]
