"""The traps real stores hold for a risk model: honest customers who look like something else.

Households at one address under different names, a campus network behind one IP, common names,
cards that collide on BIN and last four, honest customers who return more than most, and honest
customers who once bought two sizes or once sent something back late and worn-looking. Each
function changes the people it picks and writes what they share to ``person.traps``, so the
ground truth can say none of them is abusive or one of the others' accounts.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from storeguard.demo.people import Card, PeopleFactory
from storeguard.demo.types import HEAVY_RETURNER, ONE_OFF_TRAPS, Customer, CustomerType

HONEST = (CustomerType.good, CustomerType.vip)

# Share of the honest customers each trap is laid for.
SHARES: dict[str, float] = {
    "household": 0.06,  # living with another customer of the shop
    "campus": 0.02,  # ordering from one university network
    "common_name": 0.05,
    "colliding_card": 0.02,
    "heavy_returner": 0.05,
    # Once in their history (``types.ONE_OFF_TRAPS``); noted when it plays out.
    "two_sizes": 0.05,
    "late_worn": 0.03,
}
# Of the accounts the team blocks, this share live with honest people who shop here too.
BLOCKED_HOUSEHOLD_SHARE = 0.4

# The commonest names of each locale: (first, last, Latin first, Latin last).
COMMON_NAMES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "nb-NO": (("Ole", "Hansen", "ole", "hansen"), ("Anne", "Johansen", "anne", "johansen")),
    "en-US": (("John", "Smith", "john", "smith"), ("Mary", "Johnson", "mary", "johnson")),
    "he-IL": (("משה", "כהן", "moshe", "cohen"), ("נועה", "לוי", "noa", "levi")),
    "zh-CN": (("伟", "王", "wei", "wang"), ("芳", "李", "fang", "li")),
}


def pick_heavy_returners(types: Sequence[CustomerType], rng: random.Random) -> set[int]:
    """Choose the good customers who send back about a third of what they buy, honestly."""
    good = [i for i, t in enumerate(types) if t is CustomerType.good]
    return set(rng.sample(good, k=round(len(good) * SHARES["heavy_returner"])))


def mark_heavy_returner(customer: Customer) -> None:
    """Make ``customer`` an honest heavy returner."""
    customer.behaviour = HEAVY_RETURNER
    customer.person.traps.append("heavy_returner")


def pick_one_offs(customers: Sequence[Customer], rng: random.Random) -> None:
    """Give some honest customers with orders a one-off on one of their orders: two sizes of one
    garment with one sent back, or a late, worn-looking return. ``OrderBuilder`` plays it out and
    notes the trap on the person once it has happened (a one-off still ahead has left nothing)."""
    pool = [c for c in customers if c is not None and c.type in HONEST and c.order_times]
    honest = sum(1 for c in customers if c is not None and c.type in HONEST)
    rng.shuffle(pool)
    for trap in ONE_OFF_TRAPS:
        for c in [pool.pop() for _ in range(min(len(pool), round(honest * SHARES[trap])))]:
            c.one_off, c.one_off_at = trap, rng.choice(c.order_times)


def lay_traps(
    customers: Sequence[Customer], blocked: set[int], rng: random.Random, factory: PeopleFactory
) -> None:
    """Lay every identity trap among ``customers`` (evaders not made yet); ``blocked`` are indexes of
    the accounts the team will block, some of whom get honest housemates."""
    honest = [c for c in customers if c is not None and c.type in HONEST]
    households(honest, [c for c in customers if c is not None and c.index in blocked], rng)
    campus(honest, rng, factory)
    common_names(honest, rng, factory)
    colliding_cards(honest, [c for c in customers if c is not None and c.index in blocked], rng)


def _free(people: Sequence[Customer], trap: str) -> list[Customer]:
    return [c for c in people if trap not in c.person.traps]


def _mark(customer: Customer, trap: str) -> None:
    """Note the trap on an honest customer (an abuser in a trap is still an abuser)."""
    if customer.type in HONEST and trap not in customer.person.traps:
        customer.person.traps.append(trap)


def _move_in(home: Customer, mate: Customer) -> None:
    """``mate`` moves in with ``home``: the same address under their own name, the same router."""
    person = mate.person
    person.address = {**home.person.address, "name": person.display_name}
    person.ips = [home.person.ips[0], *person.ips[1:]]
    _mark(mate, "household")
    _mark(home, "household")


def households(honest: Sequence[Customer], blocked: Sequence[Customer], rng: random.Random) -> None:
    """Put honest customers together at one address, two to four to a home, each under their own
    name; some live with an account the team blocks."""
    pool = _free(honest, "household")
    rng.shuffle(pool)
    target = round(len(honest) * SHARES["household"])
    heads = [c for c in blocked if rng.random() < BLOCKED_HOUSEHOLD_SHARE]
    placed = 0
    while pool and placed < target:
        want = rng.choice([1, 1, 2, 3])
        head = heads.pop() if heads else pool.pop()
        # Everyone at one address under a name of their own: one name at one address is one person.
        names = {head.person.display_name}
        mates: list[Customer] = []
        for c in pool:
            if len(mates) == want:
                break
            if c.person.country == head.person.country and c.person.display_name not in names:
                names.add(c.person.display_name)
                mates.append(c)
        for mate in mates:
            pool.remove(mate)
            _move_in(head, mate)
        placed += len(mates) + (head.type in HONEST)


def campus(honest: Sequence[Customer], rng: random.Random, factory: PeopleFactory) -> None:
    """Students of one university order from its network: one public IP for all of them."""
    students = [c for c in _free(honest, "household") if c.person.country == "NO"]
    k = min(len(students), round(len(honest) * SHARES["campus"]))
    if k < 2:
        return
    ip = factory.ip("NO")
    for c in rng.sample(students, k=k):
        c.person.ips = [ip]
        _mark(c, "campus")


def common_names(honest: Sequence[Customer], rng: random.Random, factory: PeopleFactory) -> None:
    """Give some honest customers their country's commonest name: a name alone says nothing.

    Not to someone in a household: two Mary Johnsons at one address are one name and address, a
    strong link (a mother and daughter of one name are rare enough to leave out).
    """
    pool = _free(honest, "household")
    for c in rng.sample(pool, k=min(len(pool), round(len(honest) * SHARES["common_name"]))):
        p = c.person
        p.first_name, p.last_name, p.latin_first, p.latin_last = rng.choice(COMMON_NAMES[p.locale])
        p.email = factory.email(p.country, p.latin_first, p.latin_last)
        p.address = {**p.address, "name": p.display_name}
        _mark(c, "common_name")


def colliding_cards(honest: Sequence[Customer], blocked: Sequence[Customer], rng: random.Random) -> None:
    """Pairs of strangers whose cards share the BIN and last four digits, with another expiry.

    Neither card has a gateway fingerprint, so BIN and last four are all a link could rest on;
    some pairs have a blocked account on one side.
    """
    pool = [c for c in honest if len(c.person.cards) == 1 and not c.person.paypal_payer]
    rng.shuffle(pool)
    pairs = round(len(honest) * SHARES["colliding_card"] / 2)
    others = [c for c in blocked if c.person.cards]
    for _ in range(pairs):
        if len(pool) < 2:
            return
        second = pool.pop()
        first = others.pop() if others and rng.random() < 0.3 else pool.pop()
        card = first.person.cards[0]
        card.fingerprinted = False
        month, year = card.expiry.split("/")
        expiry = f"{int(month) % 12 + 1:02d}/{year}"
        mine = second.person.cards[0]
        second.person.cards = [Card(card.brand, card.bin, card.last4, expiry, mine.fingerprint, False)]
        _mark(first, "colliding_card")
        _mark(second, "colliding_card")
