"""Events are never posted inside storeguard's own network (SSRF): a URL whose host is, or resolves
to, an internal address is refused when subscribed, and a delivery to a name that resolves inside
by the time it is sent is refused and its attempt kept as refused."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.enums import OutboxStatus
from storeguard.core.models import OutboxMessage
from storeguard.integrations.events import destinations
from storeguard.integrations.events.actions import KIND, subscribe
from storeguard.integrations.events.destinations import check_host, internal_kind
from storeguard.integrations.events.models import EventDelivery, EventDeliveryAttempt, EventSubscription
from storeguard.integrations.webhooks.worker import run_pass
from storeguard.lists.blocking import block_customer
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_shop
from tests.integrations.receiver import receiving
from tests.refusals import refusal, row_counts

Headers = Callable[..., dict[str, str]]

INTERNAL_HOSTS = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("[::1]", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.5", "private"),
    ("192.168.1.1", "private"),
    ("[fd00::1]", "private"),
    ("169.254.169.254", "link-local"),  # the cloud metadata service
    ("[fe80::1]", "link-local"),
    ("224.0.0.1", "multicast"),
    ("[ff02::1]", "multicast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "reserved"),  # shared address space (carrier NAT)
    ("0.0.0.0", "unspecified"),
    ("[::]", "unspecified"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped IPv6
    ("[::ffff:a9fe:a9fe]", "link-local"),  # 169.254.169.254, mapped and in hex
    ("2130706433", "loopback"),  # 127.0.0.1 as one decimal number
    ("0177.0.0.1", "loopback"),  # octal
    ("0x7f.1", "loopback"),  # hexadecimal, short form
    ("017700000001", "loopback"),  # octal, one number
]


def _post(client: TestClient, headers: dict[str, str], shop: Shop, url: str) -> object:
    return client.post(
        "/v1/event-subscriptions",
        json={"shop_id": shop.id, "url": url, "events": ["customer.blocked"]},
        headers=headers,
    )


@pytest.mark.parametrize(("host", "kind"), INTERNAL_HOSTS)
def test_a_url_whose_host_is_an_internal_address_is_refused_and_nothing_is_stored(
    session: Session, client: TestClient, auth: Headers, host: str, kind: str
) -> None:
    shop = make_shop(session)
    headers = auth()
    before = row_counts(session)

    answer = _post(client, headers, shop, f"http://{host}:8080/hooks")

    assert refusal(answer) == (422, "event_url_internal", "url")
    assert f"a {kind} address" in answer.json()["detail"]
    assert row_counts(session) == before


def test_a_name_that_resolves_to_an_internal_address_is_refused(
    session: Session, client: TestClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(destinations, "system_resolver", lambda host, port: ["93.184.215.14", "10.0.0.7"])
    shop = make_shop(session)
    headers = auth()
    before = row_counts(session)

    answer = _post(client, headers, shop, "https://erp.example.com/hooks")

    assert refusal(answer) == (422, "event_url_internal", "url")
    assert answer.json()["detail"] == (
        "storeguard does not post events to 'https://erp.example.com/hooks': "
        "it leads to 10.0.0.7, a private address inside storeguard's own network"
    )
    assert row_counts(session) == before


def test_a_name_that_resolves_to_public_addresses_is_subscribed(
    session: Session, client: TestClient, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(destinations, "system_resolver", lambda host, port: ["93.184.215.14"])
    shop = make_shop(session)
    headers = auth()

    answer = _post(client, headers, shop, "https://erp.example.com/hooks")

    assert answer.status_code == 201
    assert session.scalars(select(EventSubscription.url)).all() == ["https://erp.example.com/hooks"]


def test_a_scheme_other_than_http_or_https_is_refused(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    headers = auth()
    before = row_counts(session)

    answer = _post(client, headers, shop, "gopher://93.184.215.14/hooks")

    assert refusal(answer) == (422, "event_url_invalid", "url")
    assert row_counts(session) == before


def test_a_deployment_that_allows_private_urls_subscribes_a_local_one(
    session: Session, client: TestClient, auth: Headers, allow_private_urls: None
) -> None:
    shop = make_shop(session)
    headers = auth()

    answer = _post(client, headers, shop, "http://127.0.0.1:9000/hooks")

    assert answer.status_code == 201


def test_a_delivery_to_a_name_that_now_resolves_inside_is_refused_and_kept_as_refused(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_shop(session)
    monkeypatch.setattr(destinations, "system_resolver", lambda host, port: ["93.184.215.14"])
    subscribe(
        session,
        shop_id=shop.id,
        url="http://erp.example.com/hooks",
        events=["customer.blocked"],
        actor=FACTORY_ACTOR,
    )
    block_customer(
        session,
        customer_id=make_customer(session, shop).id,
        actor=FACTORY_ACTOR,
        reason_code="threats",
        evidence={"notes": ["threatening email 3 May"]},
        notify=False,
    )
    session.commit()
    # The name's owner points it at the metadata service after subscribing.
    monkeypatch.setattr(destinations, "system_resolver", lambda host, port: ["169.254.169.254"])

    with receiving() as receiver:
        run_pass(session)

    [attempt] = session.scalars(select(EventDeliveryAttempt)).all()
    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all()
    assert attempt.error == (
        "refused: it leads to 169.254.169.254, a link-local address inside storeguard's own network"
    )
    assert attempt.status_code is None
    assert message.status == OutboxStatus.dead
    assert session.scalars(select(EventDelivery.delivered_at)).all() == [None]
    assert receiver.received == []


def test_a_delivery_connects_to_the_address_checked_with_the_urls_host_header(
    session: Session, monkeypatch: pytest.MonkeyPatch, allow_private_urls: None
) -> None:
    shop = make_shop(session)
    with receiving() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        # The name resolves to the receiver; the request goes to that address, named as the URL names it.
        monkeypatch.setattr(destinations, "system_resolver", lambda host, port: ["127.0.0.1"])
        subscribe(
            session,
            shop_id=shop.id,
            url=f"http://erp.example.com:{port}/hooks/storeguard",
            events=["customer.blocked"],
            actor=FACTORY_ACTOR,
        )
        block_customer(
            session,
            customer_id=make_customer(session, shop).id,
            actor=FACTORY_ACTOR,
            reason_code="threats",
            evidence={"notes": ["threatening email 3 May"]},
            notify=False,
        )
        session.commit()
        run_pass(session)

    [got] = receiver.received
    assert got.headers["Host"] == f"erp.example.com:{port}"
    assert session.scalars(select(EventDelivery.delivered_at)).one() is not None


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_mapped_into_ipv6_is_judged_as_the_ipv4_address(
    address: ipaddress.IPv4Address,
) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")

    assert internal_kind(mapped) == internal_kind(address)


def test_a_name_that_does_not_resolve_cannot_be_checked() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(OSError):
        check_host("nowhere.invalid", 443, resolve=nowhere)
