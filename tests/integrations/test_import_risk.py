"""History in, findings out: an import of orders, or of a shop's disputes, leaves risk current."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import CLI
from storeguard.customers.models import Customer
from storeguard.integrations.bulk.disputes import import_shopify_disputes
from storeguard.integrations.bulk.service import import_file
from storeguard.risk.models import CustomerRisk, StaleRisk
from storeguard.risk.policy import MODEL_VERSION
from tests.factories import make_shop
from tests.integrations.payloads import shopify_order


def _order(n: int, customer_id: int, *, tags: str = "") -> dict:
    return shopify_order(
        id=30_000 + n,
        name=f"#{n}",
        email=f"c{customer_id}@example.no",
        phone=None,
        tags=tags,
        customer={
            "id": customer_id,
            "email": f"c{customer_id}@example.no",
            "updated_at": "2025-01-01T00:00:00Z",
        },
        line_items=[{"id": 95_000 + n, "title": "Sko", "quantity": 1, "price": "100.00"}],
        fulfillment_status="fulfilled",
        fulfillments=[
            {
                "id": 96_000 + n,
                "status": "success",
                "shipment_status": "delivered",
                "created_at": "2025-03-02T10:00:00Z",
                "updated_at": "2025-03-04T10:00:00Z",
                "line_items": [{"id": 95_000 + n, "quantity": 1}],
            }
        ],
    )


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def _risk(session: Session, platform_id: str) -> CustomerRisk | None:
    session.expire_all()
    customer = session.scalars(select(Customer).where(Customer.platform_id == platform_id)).one()
    return session.get(CustomerRisk, customer.id)


def test_an_import_of_orders_leaves_every_customers_findings_stored(session, tmp_path):
    shop = make_shop(session, currency="NOK", country="NO")
    session.commit()
    orders = [_order(i, 701, tags="chargeback") for i in range(1, 3)] + [_order(3, 702)]
    progress: list[tuple[int, int]] = []

    import_file(
        session,
        shop,
        "shopify",
        _jsonl(tmp_path / "orders.jsonl", orders),
        report_dir=tmp_path,
        parallel=False,
        on_assess=lambda done, total: progress.append((done, total)),
    )

    abuser, other = _risk(session, "701"), _risk(session, "702")
    assert [f["type"] for f in abuser.findings] == ["chargeback_abuse"]
    assert abuser.model_version == MODEL_VERSION
    assert (other.findings, other.model_version) == ([], MODEL_VERSION)
    assert progress[-1] == (2, 2)
    assert session.scalars(select(StaleRisk)).all() == []


def test_a_disputes_file_records_each_dispute_on_its_order_and_reassesses_its_customer(session, tmp_path):
    shop = make_shop(session, currency="NOK", country="NO")
    session.commit()
    import_file(
        session,
        shop,
        "shopify",
        _jsonl(tmp_path / "orders.jsonl", [_order(1, 801), _order(2, 801)]),
        report_dir=tmp_path,
        parallel=False,
    )
    disputes = [
        {
            "id": 9_100 + n,
            "order_id": 30_000 + n,
            "type": "chargeback",
            "amount": "100.00",
            "currency": "NOK",
            "reason": "fraudulent",
            "status": "lost",
            "initiated_at": "2025-04-01T10:00:00Z",
        }
        for n in (1, 2)
    ]

    result = import_shopify_disputes(session, shop, _jsonl(tmp_path / "d.jsonl", disputes), actor=CLI)

    assert (result.recorded, result.without_order, result.assessed, result.failed) == (2, 0, 1, [])
    assert [f["type"] for f in _risk(session, "801").findings] == ["chargeback_abuse"]


def test_a_dispute_row_that_is_not_a_dispute_is_refused_with_its_row_and_the_rest_recorded(session, tmp_path):
    shop = make_shop(session, currency="NOK", country="NO")
    session.commit()
    rows = [
        {"id": 9_201, "order_id": None, "amount": "5.00", "currency": "NOK", "status": "won"},
        {"id": 9_202, "amount": "5.00", "currency": "not a currency", "status": "won"},
    ]

    result = import_shopify_disputes(session, shop, _jsonl(tmp_path / "d.jsonl", rows), actor=CLI)

    assert (result.recorded, result.without_order) == (1, 1)
    assert [row for row, _ in result.failed] == [2]
