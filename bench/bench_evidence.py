"""A dispute's evidence pack, built from the records and rendered as a PDF.

Figures (the issue's budget is 2 s, PDF included):
- ``evidence_pack_pdf_s``: median seconds for gathering the pack and rendering its PDF for a fraud
  dispute on an order whose customer has 50 earlier orders and a 200-message log (150 mails on
  record, 50 notes), over 5 runs after the first;
- ``evidence_pack_pdf_first_s``: the first run in the process (fonts read from disk the first time);
- ``evidence_pack_build_s``: median seconds for gathering the pack alone (no PDF);
- ``evidence_pack_pdf_pages``: pages in that PDF.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import storeguard.models  # noqa: F401 - every table known before create_all
from storeguard.core.actor import Actor
from storeguard.core.db import Base
from storeguard.core.models import OutboxMessage
from storeguard.customers.models import Customer
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.models import Dispute, DisputeNote
from storeguard.disputes.pdf import render_pack_pdf
from storeguard.orders.enums import FulfillmentState, TransactionKind
from storeguard.orders.models import Fulfillment, LineItem, Order, Transaction
from storeguard.policies.actions import publish_policy_version
from storeguard.shops.models import Shop

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
ADDRESS = {
    "name": "Kari Nordmann",
    "address1": "Storgata 1",
    "zip": "0155",
    "city": "Oslo",
    "country_code": "NO",
}
RUNS = 5


def _order(session: Session, shop: Shop, customer: Customer, n: int, days: float) -> Order:
    order = Order(
        shop_id=shop.id,
        customer_id=customer.id,
        number=f"#{1000 + n}",
        currency="NOK",
        subtotal=49_900,
        total=49_900,
        email=customer.email,
        created_at=NOW - timedelta(days=days),
        browser_ip="84.210.1.1",
        device_id="dev-kari",
        shipping_address=ADDRESS,
        billing_address=ADDRESS,
        line_items=[
            LineItem(sku=f"SKU-{i}", title=f"Fjellsko {i}", quantity=1, unit_price=24_950) for i in range(2)
        ],
    )
    session.add(order)
    session.flush()
    session.add(
        Transaction(
            order_id=order.id,
            kind=TransactionKind.sale,
            amount=49_900,
            currency="NOK",
            gateway="stripe",
            gateway_reference=f"ch_{n}",
        )
    )
    return order


def build_store(session: Session, prior: int = 50, messages: int = 200) -> Dispute:
    """The shop, 50 earlier orders over two years, the disputed order and its 200-message log."""
    shop = Shop(name="Fjellsport", domain="fjellsport.example", currency="NOK", country="NO")
    session.add(shop)
    session.flush()
    customer = Customer(
        shop_id=shop.id, email="kari@example.no", first_name="Kari", last_name="Nordmann", locale="nb"
    )
    session.add(customer)
    session.flush()
    publish_policy_version(
        session,
        shop_id=shop.id,
        kind="refund",
        title="Angrerett",
        body="14 dagers angrerett. " * 40,
        actor=Actor("staff", "bench"),
        effective_from=NOW - timedelta(days=900),
    )
    for n in range(prior):
        _order(session, shop, customer, n, 20 + n * 14)
    order = _order(session, shop, customer, prior, 2)
    session.add(
        Fulfillment(
            order_id=order.id,
            state=FulfillmentState.delivered,
            carrier="Posten",
            tracking_number="70712345678",
            delivered_at=NOW - timedelta(days=1),
        )
    )
    dispute = Dispute(
        gateway="stripe",
        gateway_dispute_id="dp_bench",
        shop_id=shop.id,
        order_id=order.id,
        customer_id=customer.id,
        amount=49_900,
        currency="NOK",
        status="needs_response",
        reason="fraudulent",
        evidence_due_at=NOW + timedelta(days=10),
        opened_at=NOW,
    )
    session.add(dispute)
    session.flush()
    mails = messages * 3 // 4
    session.add_all(
        OutboxMessage(
            kind="email",
            payload={
                "to": customer.email,
                "subject": f"Ordre #{1000 + i % prior}",
                "text": "Takk for bestillingen. Sporingsnummer 70712345678. " * 3,
            },
            created_at=NOW - timedelta(hours=i),
        )
        for i in range(mails)
    )
    session.add_all(
        DisputeNote(dispute_id=dispute.id, body=f"Notat {i}: ringte kunden.", author="agent")
        for i in range(messages - mails)
    )
    session.flush()
    return dispute


def run(quick: bool = False) -> dict[str, float]:
    """Time the pack and its PDF on a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'evidence.db'}")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            dispute_id = build_store(session).id
            session.commit()
        timings, builds, pages = [], [], 0
        for _ in range(1 + (2 if quick else RUNS)):
            with Session(engine) as session:
                dispute = session.get(Dispute, dispute_id)
                started = time.perf_counter()
                pack = build_evidence_pack(session, dispute)
                built = time.perf_counter()
                body = render_pack_pdf(pack)
                timings.append(time.perf_counter() - started)
                builds.append(built - started)
                pages = len(pypdfium2.PdfDocument(body))
        engine.dispose()
    return {
        "evidence_pack_pdf_s": round(statistics.median(timings[1:]), 3),
        "evidence_pack_pdf_first_s": round(timings[0], 3),
        "evidence_pack_build_s": round(statistics.median(builds[1:]), 3),
        "evidence_pack_pdf_pages": float(pages),
    }
