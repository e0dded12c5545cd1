"""The demo arrives with work on every page: a settled verification, lifted blocks, failed deliveries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.config import Settings
from storeguard.core.db import make_engine
from storeguard.demo.quickstart import start
from storeguard.demo.work import LIFTED
from storeguard.integrations.models import WebhookDelivery
from storeguard.lists.models import CustomerBlock
from storeguard.screening.models import Verification
from tests.conftest import REQUIRE_PG, _make_pg_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def started(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The demo as `make run` starts it (its default size), once per backend for these tests."""
    data_dir = tmp_path_factory.mktemp("demo-work")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'storeguard.db'}"
    else:
        try:
            url, drop = _make_pg_database()
        except Exception as exc:
            if REQUIRE_PG:
                pytest.fail(f"PostgreSQL is required but not reachable: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {exc}")
    info = start(Settings(database_url=url, data_dir=data_dir))
    engine = make_engine(url)
    session = Session(engine)
    session.info["example"] = info.screen_example
    yield session
    session.close()
    engine.dispose()
    if drop is not None:
        drop()


def test_the_demo_has_shopify_deliveries_that_failed_for_good_with_their_error(started: Session) -> None:
    rows = started.execute(
        select(
            WebhookDelivery.topic, WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.error
        ).order_by(WebhookDelivery.id)
    ).all()

    assert [tuple(r) for r in rows] == [
        (
            "refunds/create",
            "failed",
            8,
            "a refund for order 5900000000001, which storeguard has not received yet",
        ),
        (
            "fulfillments/create",
            "failed",
            8,
            "a fulfillment for order 5900000000001, which storeguard has not received yet",
        ),
        (
            "orders/create",
            "failed",
            8,
            "unusable payload: total_price: 'not a price' is not a decimal amount",
        ),
    ]


def test_the_demo_has_two_lifted_blocks_with_the_teams_reasons_and_keeps_the_printed_examples(
    started: Session,
) -> None:
    lifted = started.execute(
        select(CustomerBlock.customer_id, CustomerBlock.lift_reason)
        .where(CustomerBlock.status == "lifted")
        .order_by(CustomerBlock.id.desc())
    ).all()

    assert [reason for _, reason in lifted] == list(LIFTED)
    example = started.info["example"]
    assert example is None or example["blocked_customer_id"] not in {c for c, _ in lifted}


def test_the_demo_has_one_verification_settled_and_others_still_waiting(started: Session) -> None:
    statuses = started.scalars(select(Verification.status).order_by(Verification.created_at)).all()

    assert statuses.count("satisfied") == 1
    assert len(statuses) >= 2


def test_the_demo_has_returns_at_every_step_of_the_team_s_work(started: Session) -> None:
    from storeguard.returns.models import Return

    statuses = sorted(started.scalars(select(Return.status)))

    assert statuses == sorted(
        ["requested", "requested", "authorized", "received", "received", "partly_refunded", "declined"]
    )


def test_the_demo_has_disputes_near_their_deadline_and_one_contested(started: Session) -> None:
    from storeguard.disputes.models import Dispute

    rows = started.execute(select(Dispute.status, Dispute.response).order_by(Dispute.evidence_due_at)).all()

    assert [tuple(r) for r in rows] == [
        ("needs_response", None),
        ("under_review", "contested"),
        ("needs_response", None),
        ("warning_needs_response", None),
    ]


def test_the_demo_has_a_fraud_dispute_with_compelling_evidence_3(started: Session) -> None:
    from storeguard.disputes.evidence import build_evidence_pack
    from storeguard.disputes.models import Dispute

    dispute = started.scalars(
        select(Dispute).where(Dispute.reason == "fraudulent").order_by(Dispute.evidence_due_at)
    ).first()

    pack = build_evidence_pack(started, dispute)

    assert len(pack.compelling) == 2
    assert all({"ip", "device", "shipping_address"} <= set(p.shared) for p in pack.compelling)
    assert not any(p.disputed for p in pack.compelling)
    assert [p["title"] for p in pack.policies] == ["Angrerett og retur"]
