"""Import throughput: Shopify-shaped orders from a JSON-lines file into SQLite and PostgreSQL.

Generates N orders (100,000; 10,000 with ``quick``) with a customer, two lines and addresses;
most are fulfilled (a fulfillment with its lines) and some partly refunded (a refund line and
its transaction), as a shop's history is. Then times ``import_file`` end to end: wall clock from
reading the file to the last commit, relinking included, in the import's own settings on a
multi-core machine: two reader processes take turns at the file's batches (parsing and mapping)
while this process writes them through the mirror writer webhooks use.

Figures: ``import_orders_per_s_*`` is orders over wall-clock seconds, relinking included;
``*_unlinked`` the same import without relinking at the end, and ``import_relinked_speed_ratio_*``
the one over the other (measured one after the other in the same run); ``import_orders_per_cpu_s_*``
is orders over the CPU seconds of the importing processes (this one and its readers, not the
database server's), which a machine busy with other work does not distort as much. On
PostgreSQL the server's CPU is most of the work (its foreign-key checks and index entries: about
150 microseconds per order), so wall clock there depends on how much of the machine is free.
The load average when the run started is recorded as ``import_load_average``.
"""

from __future__ import annotations

import json
import os
import random
import resource
import tempfile
import time
import uuid
from pathlib import Path

from bench.scratch import scratch_postgres
from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine, make_session_factory
from storeguard.integrations.bulk.service import import_file
from storeguard.models import import_all_models
from storeguard.shops.models import Shop


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Write ``n`` Shopify order objects as JSON lines."""
    rnd = random.Random(seed)
    with path.open("w") as fh:
        for i in range(n):
            customer_id = 6_000_000_000_000 + rnd.randrange(n // 3 + 1)
            price_a, price_b = rnd.randrange(1000, 50000), rnd.randrange(500, 9000)
            subtotal = price_a + price_b * 2
            line_a, line_b = 7_000_000_000_000 + 2 * i, 7_000_000_000_001 + 2 * i
            fulfilled, refunded = rnd.random() < 0.7, rnd.random() < 0.05
            order = {
                "id": 5_000_000_000_000 + i,
                "name": f"#{100000 + i}",
                "currency": "USD",
                "email": f"buyer{customer_id}@example.com",
                "created_at": "2025-01-02T03:04:05Z",
                "updated_at": "2025-01-02T03:04:06Z",
                "financial_status": "partially_refunded" if refunded else "paid",
                "fulfillment_status": "fulfilled" if fulfilled else None,
                "subtotal_price": f"{subtotal / 100:.2f}",
                "total_tax": "0.00",
                "total_discounts": "0.00",
                "total_price": f"{(subtotal + 500) / 100:.2f}",
                "shipping_lines": [{"price": "5.00"}],
                "client_details": {"browser_ip": f"198.51.{rnd.randrange(256)}.{rnd.randrange(256)}"},
                "tags": "",
                "customer": {
                    "id": customer_id,
                    "email": f"buyer{customer_id}@example.com",
                    "first_name": "Bench",
                    "last_name": str(customer_id),
                    "updated_at": "2025-01-01T00:00:00Z",
                },
                "shipping_address": {
                    "address1": f"{i} Main St",
                    "city": "Springfield",
                    "zip": "12345",
                    "country_code": "US",
                },
                "line_items": [
                    {
                        "id": line_a,
                        "title": "Widget",
                        "sku": "W-1",
                        "quantity": 1,
                        "price": f"{price_a / 100:.2f}",
                        "variant_title": "Red / L",
                        "variant_id": 1,
                    },
                    {
                        "id": line_b,
                        "title": "Gadget",
                        "sku": "G-1",
                        "quantity": 2,
                        "price": f"{price_b / 100:.2f}",
                    },
                ],
            }
            if fulfilled:
                order["fulfillments"] = [
                    {
                        "id": 8_000_000_000_000 + i,
                        "status": "success",
                        "shipment_status": "delivered" if rnd.random() < 0.8 else "in_transit",
                        "tracking_company": "UPS",
                        "tracking_number": f"1Z{i:012d}",
                        "created_at": "2025-01-03T10:00:00Z",
                        "updated_at": "2025-01-05T10:00:00Z",
                        "line_items": [{"id": line_a, "quantity": 1}, {"id": line_b, "quantity": 2}],
                    }
                ]
            if refunded:
                order["refunds"] = [
                    {
                        "id": 9_000_000_000_000 + i,
                        "created_at": "2025-01-10T10:00:00Z",
                        "note": "damaged",
                        "refund_line_items": [
                            {
                                "line_item_id": line_b,
                                "quantity": 1,
                                "subtotal": f"{price_b / 100:.2f}",
                                "restock_type": "return",
                            }
                        ],
                        "transactions": [
                            {
                                "id": 9_500_000_000_000 + i,
                                "kind": "refund",
                                "status": "success",
                                "amount": f"{price_b / 100:.2f}",
                                "gateway": "shopify_payments",
                            }
                        ],
                    }
                ]
            fh.write(json.dumps(order) + "\n")


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the import's readers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(url: str, source: Path, n: int, workdir: Path, *, relink: bool = True) -> tuple[float, float]:
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            shop = Shop(
                name="Bench",
                domain=f"bench-{uuid.uuid4().hex[:6]}.myshopify.com",
                platform="shopify",
                currency="USD",
                country="US",
            )
            session.add(shop)
            session.commit()
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            run = import_file(session, shop, "shopify", source, report_dir=workdir, relink=relink)
            seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
            if run.created != n or run.failed:
                raise RuntimeError(f"import created {run.created} of {n}, failed {run.failed}")
        # Wall clock is the figure; CPU time shows what a busy machine hides.
        return n / seconds, n / cpu
    finally:
        engine.dispose()


def run(quick: bool = False) -> dict[str, float]:
    """Return orders imported per second into SQLite and PostgreSQL."""
    import_all_models()
    n = 10_000 if quick else 100_000
    settings = get_settings()
    settings.secret_key = settings.secret_key or "bench-only-key"
    figures: dict[str, float] = {"import_load_average": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        source = workdir / "orders.jsonl"
        generate(source, n)
        unlinked, _ = _measure(f"sqlite:///{workdir / 'unlinked.db'}", source, n, workdir, relink=False)
        wall, cpu = _measure(f"sqlite:///{workdir / 'bench.db'}", source, n, workdir)
        figures["import_orders_per_s_sqlite"] = round(wall, 1)
        figures["import_orders_per_cpu_s_sqlite"] = round(cpu, 1)
        figures["import_orders_per_s_sqlite_unlinked"] = round(unlinked, 1)
        figures["import_relinked_speed_ratio_sqlite"] = round(wall / unlinked, 3)
        with scratch_postgres() as unlinked_url, scratch_postgres() as url:  # a database of its own each
            unlinked, _ = _measure(unlinked_url, source, n, workdir, relink=False)
            wall, cpu = _measure(url, source, n, workdir)
            figures["import_orders_per_s_postgres"] = round(wall, 1)
            figures["import_orders_per_cpu_s_postgres"] = round(cpu, 1)
            figures["import_orders_per_s_postgres_unlinked"] = round(unlinked, 1)
            figures["import_relinked_speed_ratio_postgres"] = round(wall / unlinked, 3)
    return figures


if __name__ == "__main__":
    print(run(quick=True))
