"""Generate the demo store as plain rows: pure functions of a config, a shop id and a moment.

Nothing here touches a database; ``loader.py`` inserts what ``generate`` returns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storeguard.demo.catalogue import CATALOGUE, DISPOSABLE_DOMAINS, STAFF
from storeguard.demo.ops import PlannedBlock, plan_blocks
from storeguard.demo.orders import OrderBuilder, Rows
from storeguard.demo.people import PeopleFactory, Person, reformat_address
from storeguard.demo.texts import ABUSE_INCIDENTS
from storeguard.demo.timeline import days, hours, shopping_time
from storeguard.demo.traps import lay_traps, mark_heavy_returner, pick_heavy_returners, pick_one_offs
from storeguard.demo.types import BEHAVIOUR, EVADED_TYPES, HEAVY_RETURNER, MIX, Customer, CustomerType

DEFAULT_CUSTOMERS = 5_000
DEFAULT_ORDERS = 12_000
DEFAULT_SEED = 2025

SHOP = {
    "name": "Nordlys Outfitters",
    "domain": "nordlys-outfitters.myshopify.com",
    "platform": "shopify",
    # A Norwegian shop selling in kroner: a currency other than USD keeps everyone honest about
    # minor units and fees, and Norway is where the merchant guides this product grew from.
    "currency": "NOK",
    "country": "NO",
}

GOOD_ORDER_COUNTS = ([1, 2, 3, 4, 5, 6], [45, 25, 13, 8, 5, 4])


@dataclass(frozen=True)
class DemoConfig:
    """How big the demo store is and which seed draws it."""

    customers: int = DEFAULT_CUSTOMERS
    orders: int = DEFAULT_ORDERS
    seed: int = DEFAULT_SEED
    refund_arrival_days: tuple[int, int] = (5, 10)


@dataclass
class DemoData:
    """Rows per table (ids included) and the truth about each customer, kept out of the database.

    ``blocks`` are the blocks the shop's team has made by now; the loader makes them through the action.
    """

    tables: dict[str, list[dict[str, Any]]]
    ground_truth: dict[str, Any]
    types: dict[int, CustomerType] = field(default_factory=dict)
    blocks: list[PlannedBlock] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return how many rows each table gets."""
        return {name: len(rows) for name, rows in self.tables.items()}


def assign_types(n: int, rng: random.Random) -> list[CustomerType]:
    """Return ``n`` customer types in the demo's mix, shuffled; from 30 customers every type appears."""
    counts = {t: (max(1, round(n * share)) if n >= 30 else int(n * share)) for t, share in MIX.items()}
    types = [t for t, count in counts.items() for _ in range(count)]
    types += [CustomerType.good] * max(0, n - len(types))
    rng.shuffle(types)
    return types[:n]


def scale_counts(weights: list[int], total: int, minimum: int) -> list[int]:
    """Scale whole-number weights to sum to ``total``, each at least ``minimum`` when possible."""
    if not weights:
        return []
    if total < minimum * len(weights):
        minimum = 0
    factor = total / (sum(weights) or 1)
    exact = [w * factor for w in weights]
    counts = [max(minimum, int(e)) for e in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - int(exact[i]), -i), reverse=True)
    diff = total - sum(counts)
    step = 0
    while diff != 0 and step < 10 * len(weights) + abs(diff) * 2:
        i = by_remainder[step % len(weights)] if diff > 0 else by_remainder[-1 - step % len(weights)]
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > minimum:
            counts[i] -= 1
            diff += 1
        step += 1
    return counts


def order_counts(
    types: list[CustomerType], total: int, rng: random.Random, heavy: set[int] | None = None
) -> list[int]:
    """Decide how many orders each customer places so the store has exactly ``total`` orders.

    ``heavy`` are the honest heavy returners, who shop more often than most good customers.
    """
    heavy = heavy or set()
    raw = [
        rng.randint(*HEAVY_RETURNER.orders)
        if i in heavy
        else rng.choices(*GOOD_ORDER_COUNTS)[0]
        if t is CustomerType.good
        else rng.randint(*BEHAVIOUR[t].orders)
        for i, t in enumerate(types)
    ]
    bad = [i for i, t in enumerate(types) if t not in (CustomerType.good, CustomerType.vip)]
    rest = [i for i, t in enumerate(types) if t in (CustomerType.good, CustomerType.vip)]
    # Difficult customers are a few percent of people but a larger share of orders; cap it at 35 %.
    bad_total = min(sum(raw[i] for i in bad), int(total * 0.35)) if rest else total
    counts = [0] * len(types)
    for i, c in zip(bad, scale_counts([raw[i] for i in bad], bad_total, 1), strict=True):
        counts[i] = c
    for i, c in zip(rest, scale_counts([raw[i] for i in rest], total - sum(counts), 0), strict=True):
        counts[i] = c
    return counts


def _evader_person(factory: PeopleFactory, rng: random.Random, original: Person) -> Person:
    """Make the new identity of someone coming back, sharing one or two identifiers with the old one."""
    person = factory.person(original.locale)
    shared = sorted(rng.sample(["phone", "address", "device", "card"], k=rng.choice([1, 1, 2])))
    if rng.random() < 0.5:  # the same person under their own name, with a fresh email address
        person.first_name, person.last_name = original.first_name, original.last_name
        person.latin_first, person.latin_last = original.latin_first, original.latin_last
    domain = rng.choice(DISPOSABLE_DOMAINS) if rng.random() < 0.4 else None
    person.email = factory.email(person.country, person.latin_first, person.latin_last, domain)
    person.address = {**person.address, "name": person.display_name}
    if "phone" in shared:
        person.phone = original.phone
    if "address" in shared:
        person.address = reformat_address(original.address, rng, person.display_name)
    if "device" in shared:
        person.devices = [original.devices[0]]
    if "card" in shared:
        person.cards = [original.cards[0]]
        person.paypal_payer = None
    person.shared = shared
    return person


def generate(
    config: DemoConfig, *, shop_id: int, now: datetime, id_start: dict[str, int] | None = None
) -> DemoData:
    """Generate the whole demo store as rows, relative to ``now``; the same inputs give the same rows."""
    rng = random.Random(f"{config.seed}:plan")
    factory = PeopleFactory(random.Random(f"{config.seed}:people"), config.seed)
    rows = Rows(id_start)
    year_start = now - timedelta(days=365)
    latest = now - timedelta(hours=1)

    products = []
    for i, item in enumerate(CATALOGUE):
        row = rows.add(
            "products",
            {
                "shop_id": shop_id,
                "platform_id": str(8_100_000_000 + i * 13),
                "sku": item.sku,
                "title": item.title,
                "category": item.category,
                "tags": list(item.tags),
                "price": item.price_nok * 100,
                "options": item.options,
                "high_value": item.high_value,
                "limited_edition": item.limited_edition,
                "stock": 0,
                "created_at": year_start - timedelta(days=60),
            },
        )
        products.append((item, row["id"]))

    types = assign_types(config.customers, rng)
    trap_rng = random.Random(f"{config.seed}:traps")
    heavy = pick_heavy_returners(types, trap_rng)
    counts = order_counts(types, config.orders, rng, heavy)
    candidates = [i for i, t in enumerate(types) if t in EVADED_TYPES]
    evaders = [i for i, t in enumerate(types) if t is CustomerType.evader]
    if not candidates:
        for i in evaders:
            types[i] = CustomerType.good
        evaders = []
    rng.shuffle(candidates)
    originals = {e: candidates[k % len(candidates)] for k, e in enumerate(evaders)}
    evaded = set(originals.values())

    customers: list[Customer] = []
    for i, ctype in enumerate(types):
        if ctype is CustomerType.evader:
            customers.append(None)  # type: ignore[arg-type]  # made below, once the original exists
            continue
        person = factory.person()
        existing = i not in evaded and rng.random() < 0.45
        if i in evaded:
            start = year_start + days(rng, 0, 30)
            end = year_start + days(rng, 150, 220)
        else:
            start = (
                year_start
                if existing
                else year_start + (latest - timedelta(days=7) - year_start) * rng.random()
            )
            end = latest
        created = year_start - days(rng, 30, 900) if existing else start
        customer = Customer(
            index=i, id=0, type=ctype, behaviour=BEHAVIOUR[ctype], person=person, created_at=created
        )
        customer.order_times = _times(rng, counts[i], start, end, person.country, new=not existing)
        if i in heavy:
            mark_heavy_returner(customer)
        customers.append(customer)
    # Before the evaders are made: one who comes back to a shared home finds the household there.
    lay_traps(customers, evaded, trap_rng, factory)
    pick_one_offs(customers, trap_rng)

    for i in evaders:
        original = customers[originals[i]]
        last = max(original.order_times, default=original.created_at)
        start = max(last, original.created_at) + days(rng, 10, 45)
        if rng.random() < 0.6:
            original.disabled_at = last + days(rng, 1, 8)
            original.notes.append(
                f"{original.disabled_at:%Y-%m-%d}: account disabled by {rng.choice(STAFF)}."
            )
        person = _evader_person(factory, rng, original.person)
        customer = Customer(
            index=i,
            id=0,
            type=CustomerType.evader,
            behaviour=original.behaviour,
            person=person,
            created_at=start,
            original=original,
        )
        customer.order_times = _times(rng, counts[i], start, latest, person.country, new=True)
        customers[i] = customer

    for customer in customers:
        if customer.type is CustomerType.abusive:
            moments = customer.order_times or [customer.created_at]
            for at in sorted(rng.sample(moments, k=min(len(moments), rng.choice([1, 2, 3])))):
                when = min(at + days(rng, 2, 12), latest)
                customer.notes.append(
                    rng.choice(ABUSE_INCIDENTS).format(d=f"{when:%Y-%m-%d}", staff=rng.choice(STAFF))
                )

    # Ids follow sign-up order, as on a real platform, so an id says nothing about a customer's type.
    customers.sort(key=lambda c: (c.created_at, c.index))
    for customer in customers:
        person = customer.person
        last_seen = max([customer.created_at, *customer.order_times, *filter(None, [customer.disabled_at])])
        row = rows.add(
            "customers",
            {
                "shop_id": shop_id,
                "platform_id": None,
                "email": person.email,
                "phone": person.phone,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "locale": person.locale,
                "state": "disabled" if customer.disabled_at else "enabled",
                "note": "\n".join(sorted(customer.notes)) or None,
                "created_at": customer.created_at,
                "updated_at": last_seen,
            },
        )
        row["platform_id"] = str(6_900_000_000_000 + row["id"] * 11)
        customer.id = row["id"]

    builder = OrderBuilder(
        rng,
        rows,
        shop_id=shop_id,
        currency=SHOP["currency"],
        home_country=SHOP["country"],
        now=now,
        products=products,
        refund_days=config.refund_arrival_days,
    )
    plan = sorted((at, c.id, c) for c in customers for at in c.order_times)
    for at, _, customer in plan:
        builder.build(customer, at)

    _receive_stock(rows, products, year_start - timedelta(days=45))
    blocks = plan_blocks(customers, rows.tables)
    truth = _ground_truth(config, customers, now, rows)
    truth["blocks"] = [block.truth() for block in blocks]
    return DemoData(
        tables=rows.tables, ground_truth=truth, types={c.id: c.type for c in customers}, blocks=blocks
    )


def _times(
    rng: random.Random, count: int, start: datetime, end: datetime, country: str, *, new: bool
) -> list[datetime]:
    if count <= 0:
        return []
    times = sorted(shopping_time(rng, start, end, country) for _ in range(count))
    if new:  # a new customer signs up at their first checkout
        times[0] = min(start + hours(rng, 0.05, 1.5), end)
        times.sort()
    return times


def _receive_stock(rows: Rows, products: list[tuple[Any, int]], at: datetime) -> None:
    """Record the stock the shop received before the year, so today's shelf count is what the catalogue says."""
    net_sold: dict[int, int] = {}
    for move in rows.tables["inventory_movements"]:
        net_sold[move["product_id"]] = net_sold.get(move["product_id"], 0) - move["delta"]
    by_id = {row["id"]: row for row in rows.tables["products"]}
    for item, product_id in products:
        received = item.stock_on_hand + net_sold.get(product_id, 0)
        rows.add(
            "inventory_movements",
            {
                "product_id": product_id,
                "order_id": None,
                "delta": received,
                "reason": "adjusted",
                "created_at": at,
            },
        )
        # What was received; ``after_load`` derives today's stock from the movements.
        by_id[product_id]["stock"] = received


def _ground_truth(config: DemoConfig, customers: list[Customer], now: datetime, rows: Rows) -> dict[str, Any]:
    summary: dict[str, int] = {}
    entries = []
    for customer in sorted(customers, key=lambda c: c.id):
        summary[customer.type.value] = summary.get(customer.type.value, 0) + 1
        entry: dict[str, Any] = {
            "id": customer.id,
            "email": customer.person.email,
            "type": customer.type.value,
        }
        if customer.type not in (CustomerType.good, CustomerType.vip, CustomerType.evader):
            entry["acts"] = customer.acts  # 0: the abuse has not played out in the data yet
            # False: played out, but no more than an honest customer's slip leaves (types.ACTS_TO_KNOW)
            entry["knowable"] = customer.knowable
        if customer.type is CustomerType.evader:
            entry["knowable"] = customer.knowable
        if customer.person.traps:
            entry["traps"] = sorted(customer.person.traps)
        if customer.original is not None:
            entry.update(
                original_customer_id=customer.original.id,
                original_email=customer.original.person.email,
                original_type=customer.original.type.value,
                shared=customer.person.shared,
            )
        entries.append(entry)
    return {
        "shop": SHOP["domain"],
        "seed": config.seed,
        "generated_for": now.isoformat(),
        "orders": len(rows.tables["orders"]),
        "types": dict(sorted(summary.items())),
        "customers": entries,
    }
