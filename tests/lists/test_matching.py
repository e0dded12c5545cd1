"""The matcher: direct and linked matches, paths, scopes, allow entries, IP ranges, countries, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.lists.actions import lift_entry
from storeguard.lists.blocking import block_customer
from storeguard.lists.matching import match
from storeguard.lists.scope import LineFacts
from tests.factories import make_customer, make_order, make_shop
from tests.lists.helpers import AGENT, arrive, block_entry, match_order

HOME = {
    "first_name": "Ola",
    "last_name": "Nordmann",
    "address1": "Storgata 5",
    "zip": "0150",
    "city": "Oslo",
    "country_code": "NO",
}


@pytest.fixture
def shop(session: Session):  # noqa: ANN201
    return make_shop(session, country="NO", currency="NOK")


def test_blocking_a_chargeback_abuser_flags_their_second_account_through_the_shared_phone_and_device(
    session: Session, shop
) -> None:
    # Given a customer who disputed a delivered order, and a second account with a new email
    abuser = make_customer(session, shop, email="ola@example.no")
    disputed = arrive(
        session,
        make_order(
            session,
            shop,
            customer=abuser,
            phone="912 34 567",
            device_id="d-81f2c3a4b5c6",
            shipping_address=HOME,
        ),
    )
    second = make_customer(session, shop, email="ola.new@example.com")
    # When the abuser is blocked with the dispute as evidence, on the customer only
    block_customer(
        session,
        customer_id=abuser.id,
        actor=AGENT,
        reason_code="chargeback_abuse",
        evidence={"order_ids": [disputed.id]},
        block_identifiers=False,
        notify=False,
    )
    # and the second account orders with the same phone and device
    order = arrive(
        session, make_order(session, shop, customer=second, phone="+47 91234567", device_id="D-81F2C3A4B5C6")
    )
    result = match_order(session, order)
    # Then the order is flagged through the link, and the decision says how
    (hit,) = result.effective
    assert (hit.via, hit.type, hit.value, hit.action, hit.reason_code) == (
        "linked",
        "customer",
        str(abuser.id),
        "block",
        "chargeback_abuse",
    )
    assert hit.via_customer_id == abuser.id
    assert hit.path.text() == (f"shares phone +4791234567 and device d-81f2c3a4… with customer #{abuser.id}")
    assert hit.path.as_dict() == [
        {
            "from_customer_id": second.id,
            "to_customer_id": abuser.id,
            "strength": "strong",
            "shared": [
                {"type": "phone", "value": "+4791234567", "display": "912 34 567", "strength": "strong"},
                {
                    "type": "device_id",
                    "value": "d-81f2c3a4b5c6",
                    "display": "d-81f2c3a4b5c6",
                    "strength": "strong",
                },
            ],
        }
    ]
    assert result.strongest_action == "block"


@pytest.mark.parametrize(
    ("shared", "entry_types"),
    [
        ({"phone": "91234567"}, ["phone"]),
        ({"shipping_address": HOME}, ["shipping_address", "name_address"]),
        ({"device_id": "dev-9"}, ["device_id"]),
        ({"payment_fingerprint": "424242-4242-01/29"}, ["payment_fingerprint"]),
    ],
)
def test_a_blocked_customers_identifiers_flag_a_new_account_directly(
    session: Session, shop, shared: dict, entry_types: list[str]
) -> None:
    abuser = make_customer(session, shop, email="a@example.no")
    first = arrive(session, make_order(session, shop, customer=abuser, **shared))
    block_customer(
        session,
        customer_id=abuser.id,
        actor=AGENT,
        reason_code="chargeback_abuse",
        evidence={"order_ids": [first.id]},
        notify=False,
    )
    stranger = make_customer(session, shop, email="b@example.com")

    result = match_order(session, make_order(session, shop, customer=stranger, **shared))

    direct = [m for m in result.effective if m.via == "direct"]
    assert [m.type for m in direct] == entry_types
    assert direct[0].explanation.endswith("the order carries it")
    linked = [m for m in result.effective if m.via == "linked"]
    assert [(m.type, m.value) for m in linked] == [("customer", str(abuser.id))]


def test_a_guest_checkout_is_matched_through_the_customers_its_keys_lead_to(session: Session, shop) -> None:
    abuser = make_customer(session, shop)
    arrive(session, make_order(session, shop, customer=abuser, phone="91234567"))
    block_entry(session, shop.id, "customer", abuser.id)

    result = match(session, shop_id=shop.id, identifiers=[("phone", "+4791234567"), ("email", "x@y.no")])

    (hit,) = result.matches
    assert hit.via == "linked"
    assert hit.path.as_dict()[0]["from_customer_id"] is None
    assert hit.explanation.endswith(f"this order shares phone +4791234567 with customer #{abuser.id}")


def test_an_identifier_the_customer_used_before_applies_to_their_new_order(session: Session, shop) -> None:
    kari = make_customer(session, shop, email="kari@example.no")
    arrive(session, make_order(session, shop, customer=kari, device_id="old-device"))
    entry = block_entry(session, shop.id, "device_id", "old-device")

    result = match(session, shop_id=shop.id, identifiers=[("email", "kari@example.no")], customer_id=kari.id)

    assert [(m.entry_id, m.via) for m in result.matches] == [(entry.id, "direct")]
    assert "has used it before" in result.matches[0].explanation


def test_allow_entry_wins_over_a_block_on_the_same_identifier_and_says_so(session: Session, shop) -> None:
    blocked = block_entry(session, shop.id, "email", "kari@example.no")
    allowed = block_entry(
        session,
        shop.id,
        "email",
        "kari@example.no",
        kind="allow",
        action=None,
        reason_code=None,
        note="verified by phone with the owner",
    )

    result = match(session, shop_id=shop.id, identifiers=[("email", "kari@example.no")])

    assert [(m.entry_id, m.overridden_by) for m in result.matches] == [(blocked.id, allowed.id)]
    assert [m.entry_id for m in result.allows] == [allowed.id]
    assert result.effective == [] and result.strongest_action is None


def test_an_allow_on_one_identifier_does_not_cancel_a_block_on_another(session: Session, shop) -> None:
    blocked = block_entry(session, shop.id, "phone", "+4791234567")
    block_entry(session, shop.id, "email", "kari@example.no", kind="allow", action=None, note="good customer")

    result = match(
        session, shop_id=shop.id, identifiers=[("email", "kari@example.no"), ("phone", "+4791234567")]
    )

    assert [m.entry_id for m in result.effective] == [blocked.id]


def test_an_allow_never_spreads_through_links(session: Session, shop) -> None:
    good = make_customer(session, shop)
    other = make_customer(session, shop)
    arrive(session, make_order(session, shop, customer=good, device_id="shared-dev"))
    arrive(session, make_order(session, shop, customer=other, device_id="shared-dev"))
    block_entry(session, shop.id, "customer", good.id, kind="allow", action=None, note="owner's friend")

    result = match(session, shop_id=shop.id, identifiers=[("device_id", "shared-dev")], customer_id=other.id)

    assert result.allows == []


def test_scope_restricts_a_block_to_the_limited_edition_lines(session: Session, shop) -> None:
    block_entry(
        session, shop.id, "email", "kari@example.no", scope={"kind": "limited_edition"}, action="review"
    )
    lines = [
        LineFacts(index=0, unit_price=100),
        LineFacts(index=1, limited_edition=True),
        LineFacts(index=2, limited_edition=True),
    ]

    result = match(session, shop_id=shop.id, identifiers=[("email", "kari@example.no")], lines=lines)

    (hit,) = result.matches
    assert (hit.line_indexes, hit.restriction, hit.action) == (
        [1, 2],
        "lines 2, 3 (limited-edition items)",
        "review",
    )


def test_a_match_whose_scope_covers_no_line_is_out_of_scope(session: Session, shop) -> None:
    entry = block_entry(
        session, shop.id, "email", "kari@example.no", scope={"kind": "order_above", "amount": 500_00}
    )

    result = match(
        session,
        shop_id=shop.id,
        identifiers=[("email", "kari@example.no")],
        lines=[LineFacts(index=0, unit_price=100_00)],
    )

    assert result.matches == [] and [m.entry_id for m in result.out_of_scope] == [entry.id]


def test_ip_range_and_country_entries_match(session: Session, shop) -> None:
    cidr = block_entry(session, shop.id, "cidr", "203.0.113.0/24", action="verify")
    v6 = block_entry(session, shop.id, "cidr", "2001:db8::/32", action="review")
    country = block_entry(session, shop.id, "country", "kp")

    result = match(session, shop_id=shop.id, identifiers=[("ip", "203.0.113.77"), ("country", "KP")])
    assert sorted(m.entry_id for m in result.matches) == [cidr.id, country.id]
    assert "is in that range" in next(m for m in result.matches if m.entry_id == cidr.id).explanation

    assert [
        m.entry_id for m in match(session, shop_id=shop.id, identifiers=[("ip", "2001:db8:1::5")]).matches
    ] == [v6.id]
    assert match(session, shop_id=shop.id, identifiers=[("ip", "198.51.100.1")]).matches == []


def test_a_lifted_ip_range_stops_matching_at_once(session: Session, shop) -> None:
    cidr = block_entry(session, shop.id, "cidr", "203.0.113.0/24")
    assert match(session, shop_id=shop.id, identifiers=[("ip", "203.0.113.5")]).matches
    lift_entry(session, entry_id=cidr.id, actor=AGENT, reason="that range is a university now")
    assert match(session, shop_id=shop.id, identifiers=[("ip", "203.0.113.5")]).matches == []


def test_an_expired_entry_no_longer_matches(session: Session, shop) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with frozen(start):
        block_entry(session, shop.id, "email", "kari@example.no", expires_at=start + timedelta(days=30))
        assert match(session, shop_id=shop.id, identifiers=[("email", "kari@example.no")]).matches
    with frozen(start + timedelta(days=31)):
        assert match(session, shop_id=shop.id, identifiers=[("email", "kari@example.no")]).matches == []


def test_entries_of_another_shop_never_match(session: Session, shop) -> None:
    other = make_shop(session, country="NO", currency="NOK")
    block_entry(session, other.id, "email", "kari@example.no")
    assert match(session, shop_id=shop.id, identifiers=[("email", "kari@example.no")]).matches == []
