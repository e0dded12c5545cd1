"""The start-up work of ``storeguard quickstart`` (not the serving)."""

import json
import shlex
import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

from storeguard.core.apikeys import authenticate
from storeguard.core.config import Settings
from storeguard.core.db import Base, make_engine
from storeguard.core.enums import Role
from storeguard.core.models import ApiKey
from storeguard.customers.models import Customer
from storeguard.demo.quickstart import StaleSchema, banner, prepare_database, public_url, start
from storeguard.orders.models import Order
from storeguard.screening.models import Decision
from storeguard.shops.models import Shop
from storeguard.staff.passwords import verify_password
from storeguard.staff.service import find_by_email


@pytest.fixture
def settings(tmp_path):
    return Settings(database_url=f"sqlite:///{tmp_path / 'var' / 'storeguard.db'}", data_dir=tmp_path / "var")


def _count(settings, model):
    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return n


def test_first_start_creates_schema_loads_demo_and_saves_an_owner_key(settings):
    info = start(settings, customers=40, orders=100)

    assert _count(settings, ApiKey) == 1
    assert info.loaded is not None and info.key_created
    assert (_count(settings, Shop), _count(settings, Customer)) == (1, 40)
    assert info.key_file.read_text().strip() == info.api_key
    assert stat.S_IMODE(info.key_file.stat().st_mode) == 0o600
    assert info.ground_truth_file.exists()
    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        assert authenticate(session, info.api_key).role == Role.owner
    engine.dispose()


def test_later_start_keeps_the_data_and_prints_the_same_key(settings):
    first = start(settings, customers=40, orders=100)

    again = start(settings, customers=40, orders=100)

    assert again.loaded is None and not again.key_created
    assert again.api_key == first.api_key
    assert _count(settings, Customer) == 40


def test_start_makes_a_new_key_when_the_saved_one_no_longer_works(settings):
    first = start(settings, customers=40, orders=100)
    first.key_file.write_text("sg_revoked_or_from_another_database\n")

    again = start(settings, customers=40, orders=100)

    assert again.key_created and again.api_key != first.api_key
    assert again.key_file.read_text().strip() == again.api_key


def test_prepare_database_refuses_a_database_the_migrations_did_not_make(settings):
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    engine.dispose()

    with pytest.raises(StaleSchema):
        prepare_database(settings.database_url)

    engine = create_engine(settings.database_url)
    assert "alembic_version" not in inspect(engine).get_table_names()  # nothing was changed
    engine.dispose()


def test_banner_gives_url_docs_key_and_a_curl_to_paste():
    lines = "\n".join(banner("0.0.0.0", 8000, "sg_abc"))

    assert lines.splitlines()[0].endswith("http://127.0.0.1:8000")
    assert "http://127.0.0.1:8000/docs" in lines
    assert 'curl -H "Authorization: Bearer sg_abc" "http://127.0.0.1:8000/v1/products?limit=5"' in lines


def test_start_gives_a_checkout_by_a_blocked_customers_second_account_on_every_start(settings):
    first = start(settings, customers=200, orders=600)
    truth = json.loads(first.ground_truth_file.read_text())

    again = start(settings, customers=200, orders=600)

    example = first.screen_example
    assert example == truth["examples"]["linked_block"] == again.screen_example
    blocked = next(b for b in truth["blocks"] if b["customer_id"] == example["blocked_customer_id"])
    assert example["customer_id"] in blocked["linked_second_accounts"]
    assert example["checkout"]["customer_id"] == example["customer_id"]


def test_start_gives_no_example_from_a_ground_truth_file_of_another_database(settings):
    first = start(settings, customers=200, orders=600)
    truth = json.loads(first.ground_truth_file.read_text())
    truth["examples"]["linked_block"]["checkout"]["email"] = "someone-else@example.com"
    first.ground_truth_file.write_text(json.dumps(truth))

    assert start(settings, customers=200, orders=600).screen_example is None


def test_first_start_makes_a_demo_owner_whose_saved_password_logs_in_and_is_given_again(settings):
    first = start(settings, customers=40, orders=100)

    again = start(settings, customers=40, orders=100)

    assert (first.owner_created, again.owner_created) == (True, False)
    assert again.owner_password == first.owner_password and len(first.owner_password) == 16
    password_file = settings.data_dir / "demo_owner_password"
    assert password_file.read_text().strip() == first.owner_password
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        user = find_by_email(session, first.owner_email)
        assert (user.role, user.active) == (Role.owner, True)
        assert verify_password(user.password_hash, first.owner_password)
    engine.dispose()


def test_start_gives_no_password_once_the_saved_one_no_longer_logs_in(settings):
    first = start(settings, customers=40, orders=100)
    (settings.data_dir / "demo_owner_password").write_text("changed since\n")

    again = start(settings, customers=40, orders=100)

    assert (again.owner_created, again.owner_password) == (False, None)
    assert first.owner_password is not None


def test_first_start_screens_the_last_weeks_orders_dating_each_decision_at_its_order(settings):
    start(settings, customers=200, orders=600)

    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        week_ago = datetime.now(UTC) - timedelta(days=7, minutes=5)
        recent = {
            o.id: o.created_at for o in session.scalars(select(Order).where(Order.created_at >= week_ago))
        }
        decided = {d.order_id: d.created_at for d in session.scalars(select(Decision))}
    engine.dispose()
    assert len(recent) > 0
    assert decided == recent


def test_banner_gives_the_admin_pages_login_and_password_beside_the_key():
    lines = banner(
        "0.0.0.0", 8000, "sg_abc", owner_email="owner@shop.example", owner_password="Secret1234abcdXY"
    )

    assert lines[1:4] == [
        "admin pages               http://127.0.0.1:8000/login",
        "  log in as               owner@shop.example",
        "  password                Secret1234abcdXY",
    ]


def test_banner_says_how_to_get_a_password_when_the_saved_one_is_gone():
    lines = banner("127.0.0.1", 8000, "sg_abc", owner_email="owner@shop.example", owner_password=None)

    assert (
        lines[3]
        == "  password                (not known here: storeguard users reset-password owner@shop.example)"
    )


def test_banner_adds_a_curl_that_screens_the_example_checkout():
    example = {
        "blocked_customer_id": 7,
        "customer_id": 42,
        "checkout": {"shop_id": 1, "customer_id": 42, "email": "o'neil@example.com", "lines": []},
    }

    lines = banner("127.0.0.1", 8000, "sg_abc", example)

    at = next(i for i, line in enumerate(lines) if "customer #42" in line)
    assert "blocked customer #7" in lines[at]
    words = shlex.split(lines[at + 1])
    assert words[0] == "curl" and words[-1] == "http://127.0.0.1:8000/v1/screen"
    assert json.loads(words[words.index("-d") + 1]) == example["checkout"]
    assert "Authorization: Bearer sg_abc" in words


def test_banner_tells_about_mail_after_both_calls_to_try():
    example = {"blocked_customer_id": 7, "customer_id": 42, "checkout": {"shop_id": 1, "lines": []}}

    lines = banner("127.0.0.1", 8000, "sg_abc", example)

    mail = next(i for i, line in enumerate(lines) if line.startswith("mail to customers"))
    assert mail > max(i for i, line in enumerate(lines) if line.lstrip().startswith("curl"))


def test_banner_tells_how_to_see_mail_when_no_mail_server_is_set():
    lines = "\n".join(banner("127.0.0.1", 8000, "sg_abc"))

    assert (
        "STOREGUARD_SMTP_HOST=127.0.0.1 STOREGUARD_SMTP_PORT=1025 STOREGUARD_SMTP_SECURITY=none make run"
        in lines
    )
    assert ".venv/bin/python -m aiosmtpd -n -l 127.0.0.1:1025" in lines


def test_customers_links_follow_the_port_the_demo_serves_on():
    assert public_url("0.0.0.0", 8123) == "http://127.0.0.1:8123"
