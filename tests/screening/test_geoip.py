"""IP to country from a MaxMind-format database."""

from __future__ import annotations

from pathlib import Path

from storeguard.screening.geoip import country_of_ip
from tests.screening.geo import build_country_db


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
