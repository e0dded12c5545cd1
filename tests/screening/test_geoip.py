"""IP to country from a MaxMind-format database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from storeguard.core.config import get_settings
from storeguard.screening.engine import screen
from storeguard.screening.geoip import country_of_ip
from storeguard.screening.velocity_sql import SqlVelocity
from tests.screening.geo import build_country_db
from tests.screening.support import checkout, make_store


def test_country_of_ip_reads_a_maxmind_database(tmp_path: Path) -> None:
    db = build_country_db(tmp_path / "countries.mmdb")
    assert country_of_ip("81.0.12.1", db) == "NO"
    assert country_of_ip("41.0.0.9", db) == "NG"
    assert country_of_ip("2001:db8::1", db) == "DE"


def test_country_of_ip_is_unknown_outside_the_database_or_for_bad_input(tmp_path: Path) -> None:
    db = build_country_db(tmp_path / "countries.mmdb")
    assert country_of_ip("9.9.9.9", db) is None
    assert country_of_ip("not-an-ip", db) is None
    assert country_of_ip(None, db) is None


def test_country_of_ip_is_unknown_without_a_database(tmp_path: Path) -> None:
    assert country_of_ip("81.0.12.1", tmp_path / "missing.mmdb") is None


@pytest.fixture
def geoip_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point STOREGUARD_GEOIP_DATABASE at a test database, as production configures it."""
    db = build_country_db(tmp_path / "countries.mmdb")
    monkeypatch.setenv("STOREGUARD_GEOIP_DATABASE", str(db))
    get_settings.cache_clear()
    yield db
    monkeypatch.undo()
    get_settings.cache_clear()


def test_screen_flags_an_ip_country_that_is_neither_billing_nor_shipping_country(
    session: Session, geoip_configured: Path
) -> None:
    store = make_store(session)  # billing and shipping in NO
    result = screen(session, checkout(store, browser_ip="41.0.0.9"), velocity=SqlVelocity())
    assert result.facts["order.ip_country"] == "NG"
    assert [(r.code, r.weight) for r in result.verdict.reasons] == [("ip_country_mismatch", 20)]
    assert result.verdict.reasons[0].message == (
        "The order was placed from NG, which is neither the billing nor the shipping country."
    )


def test_screen_does_not_flag_an_ip_in_the_shipping_country(session: Session, geoip_configured: Path) -> None:
    store = make_store(session)
    result = screen(session, checkout(store, browser_ip="81.0.12.1"), velocity=SqlVelocity())
    assert result.facts["order.ip_country"] == "NO"
    assert result.facts["signals.ip_country_mismatch"] is False
