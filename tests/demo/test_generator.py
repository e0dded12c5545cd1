"""The generator alone: pure rows, no database."""

import random
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest

from storeguard.demo.generator import DemoConfig, assign_types, generate, order_counts, scale_counts
from storeguard.demo.orders import gateway_fee
from storeguard.demo.people import NO_ABBREVIATIONS, US_ABBREVIATIONS, PeopleFactory
from storeguard.demo.traps import COMMON_NAMES
from storeguard.demo.types import BEHAVIOUR, Customer, CustomerType
from storeguard.lists.reasons import DEFAULT_REASON_CODES

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GIFTS_IN_SEED_11 = 49  # orders of the 900 whose number draws a gift message (about one in twenty)


@pytest.fixture(scope="module")
def data():
    return generate(DemoConfig(customers=300, orders=900, seed=11), shop_id=1, now=NOW)


def _by(rows, key):
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def test_generate_gives_identical_rows_for_the_same_seed():
    config = DemoConfig(customers=80, orders=200, seed=5)

    first = generate(config, shop_id=3, now=NOW)
    again = generate(config, shop_id=3, now=NOW)
    other = generate(DemoConfig(customers=80, orders=200, seed=6), shop_id=3, now=NOW)

    assert first.tables == again.tables
    assert first.ground_truth == again.ground_truth
    assert first.tables["customers"] != other.tables["customers"]


def test_generate_makes_exactly_the_orders_and_customers_asked_for(data):
    assert (len(data.tables["customers"]), len(data.tables["orders"]), len(data.tables["products"])) == (
        300,
        900,
        40,
    )


def test_every_customer_type_appears_and_the_truth_stays_out_of_the_rows(data):
    truth = data.ground_truth

    assert set(truth["types"]) == {t.value for t in CustomerType}
    assert sum(truth["types"].values()) == 300
    assert {e["id"] for e in truth["customers"]} == {c["id"] for c in data.tables["customers"]}
    type_names = {t.value for t in CustomerType}
    for row in data.tables["customers"]:
        assert not type_names & set(map(str, row.values()))


def test_customers_come_from_four_locales_with_e164_phones(data):
    locales = {c["locale"] for c in data.tables["customers"]}

    assert locales == {"nb-NO", "en-US", "he-IL", "zh-CN"}
    for customer in data.tables["customers"]:
        assert re.fullmatch(r"\+[1-9]\d{7,14}", customer["phone"])
        assert phonenumbers.parse(customer["phone"]).country_code in (47, 1, 972, 86)


def _canonical_address(address):
    text = f"{address['address1']} {address['address2']} {address['zip']} {address['country_code']}".lower()
    for long, short in (*US_ABBREVIATIONS.items(), *NO_ABBREVIATIONS.items()):
        text = text.replace(short.lower(), long.lower())
    text = text.replace("apt.", "#").replace("suite", "ste")
    return re.sub(r"[\W_]+", "", text)


def test_evaders_share_an_identifier_with_their_original_account(data):
    customers = {c["id"]: c for c in data.tables["customers"]}
    orders = _by(data.tables["orders"], "customer_id")

    def identifiers(customer_id):
        rows = orders[customer_id]
        return {
            "phone": {phonenumbers.format_number(phonenumbers.parse(customers[customer_id]["phone"]), 0)},
            "address": {_canonical_address(o["shipping_address"]) for o in rows},
            "device": {o["device_id"] for o in rows},
            "card": {(o["card_bin"], o["card_last4"], o["card_expiry"]) for o in rows if o["card_bin"]},
        }

    evaders = [e for e in data.ground_truth["customers"] if e["type"] == "evader"]
    assert evaders
    for entry in evaders:
        assert entry["original_customer_id"] != entry["id"]
        assert customers[entry["id"]]["email"] != customers[entry["original_customer_id"]]["email"]
        mine, theirs = identifiers(entry["id"]), identifiers(entry["original_customer_id"])
        for kind in entry["shared"]:
            assert mine[kind] & theirs[kind], (entry, kind)
        assert min(o["created_at"] for o in orders[entry["id"]]) > max(
            o["created_at"] for o in orders[entry["original_customer_id"]]
        )


def test_orders_add_up(data):
    lines = _by(data.tables["line_items"], "order_id")
    txs = _by(data.tables["transactions"], "order_id")
    refunds = _by(data.tables["refunds"], "order_id")
    refund_lines = _by(data.tables["refund_lines"], "refund_id")
    for order in data.tables["orders"]:
        items = lines[order["id"]]
        assert order["subtotal"] == sum(i["unit_price"] * i["quantity"] for i in items)
        assert order["discount"] == sum(i["discount"] for i in items)
        assert order["total"] == order["subtotal"] + order["shipping"] - order["discount"]
        captured = sum(
            t["amount"] for t in txs[order["id"]] if t["kind"] == "capture" and t["status"] == "success"
        )
        refunded = sum(t["amount"] for t in txs[order["id"]] if t["kind"] == "refund")
        assert refunded == sum(r["amount"] for r in refunds[order["id"]]) <= captured <= order["total"]
        for refund in refunds[order["id"]]:
            assert (
                refund["amount"]
                == sum(r["amount"] for r in refund_lines[refund["id"]]) + refund["shipping_amount"]
            )
        for item in items:
            assert 0 <= item["refunded_quantity"] <= item["fulfilled_quantity"] <= item["quantity"] or (
                order["status"] == "cancelled" and item["fulfilled_quantity"] == 0
            )
        expected = {
            (True, False): "refunded",
            (False, True): "partially_refunded",
        }.get((refunded and refunded == captured, 0 < refunded < captured))
        if expected:
            assert order["financial_status"] == expected
        assert order["created_at"] <= order["updated_at"] <= NOW


def test_capture_fees_are_2_9_percent_plus_3_kroner_and_refunds_return_no_fee(data):
    for tx in data.tables["transactions"]:
        if tx["kind"] == "capture":
            assert tx["fee"] == gateway_fee(tx["amount"])
        else:
            assert tx["fee"] == 0
    assert gateway_fee(100_000) == 2_900 + 300


def test_cancelled_orders_were_never_shipped_and_give_goods_back(data):
    shipped = {f["order_id"] for f in data.tables["fulfillments"]}
    lines = _by(data.tables["line_items"], "order_id")
    cancelled = [o for o in data.tables["orders"] if o["status"] == "cancelled"]

    assert cancelled
    for order in cancelled:
        assert order["id"] not in shipped
        assert order["cancel_reason"] in {"customer", "inventory", "fraud", "declined", "other"}
        assert all(i["restocked_quantity"] == i["quantity"] for i in lines[order["id"]])


def test_bracketers_order_several_sizes_of_one_item_and_return_most(data):
    bracketers = {e["id"] for e in data.ground_truth["customers"] if e["type"] == "bracketer"}
    lines = _by(data.tables["line_items"], "order_id")
    bracket_orders = [
        o
        for o in data.tables["orders"]
        if o["customer_id"] in bracketers
        and len(lines[o["id"]]) > 1
        and len({i["product_id"] for i in lines[o["id"]]}) == 1
    ]
    returned = [o for o in bracket_orders if any(i["refunded_quantity"] for i in lines[o["id"]])]

    assert bracket_orders
    assert len(returned) >= len(bracket_orders) // 2


def test_claims_and_chargebacks_are_tagged_with_a_note(data):
    tagged = [o for o in data.tables["orders"] if {"chargeback", "claim:item_not_received"} & set(o["tags"])]

    assert {t for o in tagged for t in o["tags"]} >= {"chargeback", "claim:item_not_received"}
    assert all(o["note"] for o in tagged)


def test_every_moment_is_in_the_year_before_now(data):
    start = NOW - timedelta(days=366)
    for table in ("orders", "transactions", "refunds", "fulfillments"):
        for row in data.tables[table]:
            assert start <= row["created_at"] <= NOW, (table, row)


def test_scale_counts_hits_the_total_and_keeps_the_minimum():
    assert sum(scale_counts([5, 1, 1, 30], 20, 1)) == 20
    assert min(scale_counts([5, 1, 1, 30], 20, 1)) >= 1
    assert sum(scale_counts([1, 1, 1], 2, 1)) == 2


def test_order_counts_sum_to_the_total_even_with_fewer_orders_than_customers():
    import random

    types = assign_types(200, random.Random(1))

    assert sum(order_counts(types, 150, random.Random(1))) == 150
    assert sum(order_counts(types, 5000, random.Random(1))) == 5000


def test_the_team_has_blocked_every_second_accounts_original(data):
    truth = data.ground_truth
    blocks = {b["customer_id"]: b for b in truth["blocks"]}
    evaders = [e for e in truth["customers"] if e["type"] == "evader"]

    assert evaders
    for evader in evaders:
        block = blocks[evader["original_customer_id"]]
        assert evader["id"] in block["second_accounts"]
        assert (block["scope"], block["type"]) == ("everything", evader["original_type"])
        assert block["reason_code"] in DEFAULT_REASON_CODES and block["why"]
    own_orders = {o["id"]: o["customer_id"] for o in data.tables["orders"]}
    for block in blocks.values():
        assert all(own_orders[i] == block["customer_id"] for i in block["evidence_order_ids"])


def test_one_good_customer_who_buys_up_limited_drops_is_restricted_from_them_only(data):
    restricted = [b for b in data.ground_truth["blocks"] if b["scope"] == "limited_edition"]

    assert len(restricted) == 1
    reseller = restricted[0]
    assert reseller["type"] in ("good", "vip") and not reseller["second_accounts"]
    limited = {p["id"] for p in data.tables["products"] if p["limited_edition"]}
    drops = {li["order_id"] for li in data.tables["line_items"] if li["product_id"] in limited}
    assert reseller["evidence_order_ids"] and set(reseller["evidence_order_ids"]) <= drops
    plan = next(b for b in data.blocks if b.customer_id == reseller["customer_id"])
    assert plan.scope == {"kind": "limited_edition"}


def _trapped(data, trap):
    return [e["id"] for e in data.ground_truth["customers"] if trap in e.get("traps", ())]


def test_trapped_customers_are_all_honest(data):
    trapped = [e for e in data.ground_truth["customers"] if e.get("traps")]

    assert trapped
    assert {e["type"] for e in trapped} <= {"good", "vip"}


def test_housemates_share_an_address_under_different_names(data):
    orders = _by(data.tables["orders"], "customer_id")
    homes = defaultdict(set)
    for cid in _trapped(data, "household"):
        for o in orders[cid]:
            a = o["shipping_address"]
            homes[(a["address1"], a["address2"], a["zip"])].add((cid, a["name"]))

    shared = [people for people in homes.values() if len(people) > 1]
    assert shared
    for people in shared:
        assert len({name for _, name in people}) == len(people)


def test_campus_students_order_from_one_network(data):
    orders = _by(data.tables["orders"], "customer_id")
    students = [cid for cid in _trapped(data, "campus") if orders[cid]]
    # Some orders are placed on the phone, away from the campus.
    students_by_ip = Counter(ip for cid in students for ip in {o["browser_ip"] for o in orders[cid]})

    assert len(students) >= 2
    assert students_by_ip.most_common(1)[0][1] > len(students) / 2


def test_colliding_cards_share_bin_and_last_four_with_another_expiry_and_no_fingerprint(data):
    orders = _by(data.tables["orders"], "customer_id")
    cards = defaultdict(set)
    for cid in _trapped(data, "colliding_card"):
        for o in orders[cid]:
            if o["card_bin"]:
                assert o["payment_fingerprint"] is None
                cards[(o["card_bin"], o["card_last4"])].add((cid, o["card_expiry"]))

    collisions = [owners for owners in cards.values() if len({cid for cid, _ in owners}) > 1]
    assert collisions
    for owners in collisions:
        assert len({expiry for _, expiry in owners}) == len(owners)


def test_common_names_go_to_several_customers_with_their_own_email(data):
    customers = {c["id"]: c for c in data.tables["customers"]}
    common = {(first, last) for names in COMMON_NAMES.values() for first, last, _, _ in names}
    named = [customers[cid] for cid in _trapped(data, "common_name")]

    assert len(named) >= 2
    assert all((c["first_name"], c["last_name"]) in common for c in named)
    assert len({c["email"] for c in named}) == len(named)


def test_honest_heavy_returners_are_good_customers(data):
    heavy = {e["type"] for e in data.ground_truth["customers"] if "heavy_returner" in e.get("traps", ())}

    assert heavy == {"good"}


def test_the_truth_says_how_much_of_each_abusers_abuse_has_played_out(data):
    entries = data.ground_truth["customers"]

    assert all(isinstance(e["acts"], int) for e in entries if e["type"] == "chargeback_abuser")
    assert all("acts" not in e for e in entries if e["type"] in ("good", "vip", "evader"))


def test_a_chargeback_abusers_acts_are_their_chargebacks_only(data):
    tagged = Counter(o["customer_id"] for o in data.tables["orders"] if "chargeback" in o["tags"])
    abusers = [e for e in data.ground_truth["customers"] if e["type"] == "chargeback_abuser"]

    assert [e["acts"] for e in abusers] == [tagged[e["id"]] for e in abusers]


def test_a_late_claimer_is_knowable_from_the_second_claim(data):
    late = {"wrong_address", "duplicate_order", "site_error"}
    order_customer = {o["id"]: o["customer_id"] for o in data.tables["orders"]}
    claims = Counter(order_customer[r["order_id"]] for r in data.tables["refunds"] if r["reason"] in late)
    claimers = [e for e in data.ground_truth["customers"] if e["type"] == "late_claimer"]

    assert [e["acts"] for e in claimers] == [claims[e["id"]] for e in claimers]
    assert [e["knowable"] for e in claimers] == [claims[e["id"]] >= 2 for e in claimers]


def _customer(ctype: CustomerType) -> Customer:
    person = PeopleFactory(random.Random(1), 1).person()
    return Customer(0, 1, ctype, BEHAVIOUR[ctype], person, datetime(2026, 1, 1, tzinfo=UTC))


def test_a_serial_returner_who_sent_back_half_their_settled_orders_is_not_knowable():
    customer = _customer(CustomerType.serial_returner)
    for returned in (True, True, True, False, False, False):
        customer.act("settled_order")
        if returned:
            customer.act("return")
            customer.act("settled_order_returned")

    assert (customer.acts, customer.knowable) == (3, False)


def test_a_serial_returner_who_sent_back_most_settled_orders_is_knowable():
    customer = _customer(CustomerType.serial_returner)
    for returned in (True, True, True, True, False, False):
        customer.act("settled_order")
        if returned:
            customer.act("return")
            customer.act("settled_order_returned")

    assert (customer.acts, customer.knowable) == (4, True)


def test_a_serial_returner_who_sent_back_both_of_two_settled_orders_is_not_knowable():
    customer = _customer(CustomerType.serial_returner)
    for _ in range(2):
        customer.act("settled_order")
        customer.act("return")
        customer.act("settled_order_returned")

    assert (customer.acts, customer.knowable) == (2, False)


def test_a_serial_returner_who_sent_back_three_of_four_settled_orders_is_knowable():
    customer = _customer(CustomerType.serial_returner)
    for returned in (True, True, False, True):
        customer.act("settled_order")
        if returned:
            customer.act("return")
            customer.act("settled_order_returned")

    assert (customer.acts, customer.knowable) == (3, True)


def test_a_bracketer_who_only_returned_plain_orders_has_not_bracketed_yet():
    customer = _customer(CustomerType.bracketer)
    customer.act("return")
    customer.act("return")

    assert (customer.acts, customer.knowable) == (0, False)


def test_a_bracketer_with_one_bracketed_order_of_two_sizes_is_not_knowable():
    customer = _customer(CustomerType.bracketer)
    customer.act("bracketed_return")

    assert (customer.acts, customer.knowable) == (1, False)


def test_a_bracketer_with_one_bracketed_order_of_three_variants_is_knowable():
    customer = _customer(CustomerType.bracketer)
    customer.act("bracketed_return")
    customer.act("wide_bracketed_return")

    assert (customer.acts, customer.knowable) == (1, True)


def test_a_bracketer_is_knowable_from_the_second_bracketed_order():
    customer = _customer(CustomerType.bracketer)
    customer.act("bracketed_return")
    customer.act("bracketed_return")

    assert (customer.acts, customer.knowable) == (2, True)


def test_a_wardrober_is_knowable_from_the_second_return():
    customer = _customer(CustomerType.wardrober)
    customer.act("return")
    once = customer.knowable
    customer.act("return")

    assert (once, customer.knowable) == (False, True)


@pytest.fixture(scope="module")
def larger():
    return generate(DemoConfig(customers=1000, orders=4000, seed=11), shop_id=1, now=NOW)


def _one_off_orders(data, trap):
    trapped = {e["id"] for e in data.ground_truth["customers"] if trap in e.get("traps", ())}
    refunded = _by(data.tables["refunds"], "order_id")
    return trapped, [o for o in data.tables["orders"] if o["customer_id"] in trapped and o["id"] in refunded]


def test_honest_customers_in_the_two_sizes_trap_kept_one_of_two_sizes_of_one_product(larger):
    trapped, orders = _one_off_orders(larger, "two_sizes")
    lines = _by(larger.tables["line_items"], "order_id")
    once = [
        o
        for o in orders
        if len(lines[o["id"]]) == 2
        and len({line["product_id"] for line in lines[o["id"]]}) == 1
        and sorted(line["refunded_quantity"] for line in lines[o["id"]]) == [0, 1]
    ]

    assert len(trapped) >= 10
    assert {o["customer_id"] for o in once} == trapped
    assert {e["type"] for e in larger.ground_truth["customers"] if e["id"] in trapped} <= {"good", "vip"}


def test_honest_customers_in_the_late_worn_trap_sent_something_back_from_day_21(larger):
    trapped, orders = _one_off_orders(larger, "late_worn")
    refunds = _by(larger.tables["refunds"], "order_id")
    late = {
        o["customer_id"]
        for o in orders
        for r in refunds[o["id"]]
        if r["note"] and r["note"].startswith("Returned on day") and int(r["note"].split()[3]) >= 21
    }

    assert len(trapped) >= 5
    assert late == trapped


def test_about_one_order_in_twenty_carries_a_gift_message_on_its_first_line(data):
    lines = _by(data.tables["line_items"], "order_id")
    gifts = [
        (order["id"], [line["properties"] for line in lines[order["id"]]])
        for order in data.tables["orders"]
        if any(line["properties"] for line in lines[order["id"]])
    ]

    assert len(gifts) == GIFTS_IN_SEED_11
    for _, properties in gifts:
        first, *rest = properties
        assert [p["name"] for p in first] == ["Gift message", "_gift_wrap"]
        assert rest == [[]] * len(rest)
