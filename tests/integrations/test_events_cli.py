"""``storeguard events ...``: subscribe a URL (the secret printed once), list, replay, unsubscribe."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.integrations.events.models import EventSubscription
from tests.factories import make_shop

runner = CliRunner()


@pytest.fixture
def shop_id(cli_db: Engine) -> int:
    with Session(cli_db, expire_on_commit=False) as session:
        shop = make_shop(session)
        session.commit()
        return shop.id


def test_subscribe_prints_the_secret_once_and_list_shows_the_url(cli_db: Engine, shop_id: int) -> None:
    subscribed = runner.invoke(
        app,
        [
            "events",
            "subscribe",
            "https://erp.example.com/hooks",
            "-e",
            "customer.blocked",
            "-e",
            "order.held",
        ],
    )
    listed = runner.invoke(app, ["events", "list"])

    assert subscribed.exit_code == 0, subscribed.output
    secret = re.search(r"secret \(shown once\): (whsec_\S+)", subscribed.output)
    assert secret is not None
    assert listed.exit_code == 0 and "https://erp.example.com/hooks" in listed.output
    assert secret.group(1) not in listed.output
    with Session(cli_db) as session:
        [row] = session.scalars(select(EventSubscription)).all()
    assert (row.shop_id, row.events) == (shop_id, ["customer.blocked", "order.held"])


def test_subscribing_a_url_that_is_not_http_is_refused(cli_db: Engine, shop_id: int) -> None:
    result = runner.invoke(app, ["events", "subscribe", "file:///etc/passwd", "-e", "customer.blocked"])

    assert result.exit_code == 2
    assert "event_url_invalid" in result.output
    with Session(cli_db) as session:
        assert session.scalars(select(EventSubscription)).all() == []
