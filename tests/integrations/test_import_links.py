"""An import leaves linking current: identifiers and clusters as a reindex would make them, at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storeguard.core.actor import CLI
from storeguard.customers.models import Customer, Identifier
from storeguard.integrations.bulk.service import import_file
from storeguard.lists.blocking import block_customer
from storeguard.orders.reindex import reindex_identifiers
from storeguard.shops.models import Shop
from tests.factories import make_customer, make_shop
from tests.integrations.payloads import shopify_order


def _order(n: int, *, email: str, phone: str, address: str, customer_id: int) -> dict:
    return shopify_order(
        id=20_000 + n,
        name=f"#{n}",
        email=email,
        phone=phone,
        customer={"id": customer_id, "email": email, "phone": phone, "updated_at": "2025-01-01T00:00:00Z"},
        shipping_address={"address1": address, "city": "Oslo", "zip": "0155", "country_code": "NO"},
        line_items=[{"id": 90_000 + n, "title": "Sko", "quantity": 1, "price": "10.00"}],
    )


def _write(tmp_path: Path, orders: list[dict]) -> Path:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in orders))
    return path


def _snapshot(session: Session, shop: Shop) -> tuple[list, list]:
    session.expire_all()
    identifiers = session.execute(
        select(
            Identifier.customer_id,
            Identifier.type,
            Identifier.value,
            Identifier.first_seen,
            Identifier.last_seen,
        )
        .where(Identifier.shop_id == shop.id)
        .order_by(Identifier.customer_id, Identifier.type, Identifier.value)
    ).all()
    clusters = session.execute(
        select(Customer.id, Customer.cluster_id).where(Customer.shop_id == shop.id).order_by(Customer.id)
    ).all()
    return identifiers, clusters


def test_an_import_leaves_identifiers_and_clusters_as_a_reindex_would(session, tmp_path):
    shop = make_shop(session, currency="NOK", country="NO")
    session.commit()
    orders = [
        _order(1, email="kari@example.no", phone="+4791234567", address="Storgata 1", customer_id=501),
        _order(2, email="kari.n@example.no", phone="+4791234567", address="Storgata 9", customer_id=502),
        _order(3, email="ola@example.no", phone="+4798765432", address="Storgata 9", customer_id=503),
        _order(4, email="per@example.no", phone="+4790000000", address="Kirkegata 4", customer_id=504),
    ]
    run = import_file(session, shop, "shopify", _write(tmp_path, orders), report_dir=tmp_path, parallel=False)
    after_import = _snapshot(session, shop)
    reindex_identifiers(session, shop.id)
    session.commit()
    assert run.created == 4
    assert after_import[0] != []
    assert _snapshot(session, shop) == after_import
    clusters = dict(after_import[1])
    ids = sorted(clusters)
    assert clusters[ids[0]] == clusters[ids[1]]  # the shared phone links Kari's two accounts


def test_an_imported_customer_links_to_one_already_in_the_shop(session, tmp_path):
    shop = make_shop(session, currency="NOK", country="NO")
    known = make_customer(session, shop, email="kari@example.no")
    reindex_identifiers(session, shop.id)
    session.commit()
    orders = [_order(1, email="Kari@Example.no", phone="+4791234567", address="Storgata 1", customer_id=777)]
    import_file(session, shop, "shopify", _write(tmp_path, orders), report_dir=tmp_path, parallel=False)
    session.expire_all()
    imported = session.scalars(select(Customer).where(Customer.platform_id == "777")).one()
    session.refresh(known)
    assert imported.cluster_id == known.cluster_id == min(known.id, imported.id)


def test_a_blocked_customers_second_account_from_imported_history_is_blocked_at_checkout(
    client, session, tmp_path, owner_headers
):
    shop = make_shop(session, currency="NOK", country="NO")
    session.commit()
    orders = [
        _order(1, email="abuser@example.no", phone="+4791111111", address="Storgata 1", customer_id=601),
        _order(2, email="fresh.name@example.no", phone="+4791111111", address="Storgata 2", customer_id=602),
    ]
    import_file(session, shop, "shopify", _write(tmp_path, orders), report_dir=tmp_path, parallel=False)
    first = session.scalars(select(Customer).where(Customer.platform_id == "601")).one()
    block_customer(
        session,
        customer_id=first.id,
        actor=CLI,
        reason_code="fraud",
        justification="chargebacks on every order of this account",
        notify=False,
    )
    session.commit()
    second = session.scalars(select(Customer).where(Customer.platform_id == "602")).one()
    answer = client.post(
        "/v1/screen",
        json={
            "shop_id": shop.id,
            "customer_id": second.id,
            "email": "fresh.name@example.no",
            "lines": [{"sku": "ANY", "quantity": 1, "unit_price": 1000}],
        },
        headers=owner_headers,
    )
    assert answer.status_code == 200
    assert answer.json()["decision"] == "block"


def test_an_import_leaves_the_planner_statistics_of_the_relinked_identifiers(session, tmp_path):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    shop = make_shop(session, currency="NOK", country="NO")
    session.commit()
    orders = [_order(1, email="kari@example.no", phone="+4791234567", address="Storgata 1", customer_id=501)]
    import_file(session, shop, "shopify", _write(tmp_path, orders), report_dir=tmp_path, parallel=False)
    analysed = session.scalar(
        text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'identifiers'")
    )
    assert analysed is True
