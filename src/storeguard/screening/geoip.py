"""IP address to country from a MaxMind-format database, when one is configured."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any

import maxminddb

from storeguard.core.config import get_settings


@lru_cache(maxsize=4)
def _reader(path: str) -> Any:
    # MODE_MEMORY: the country database is a few MB and lookups then cost microseconds.
    return maxminddb.open_database(path, maxminddb.MODE_MEMORY)


def country_of_ip(ip: str | None, database: Path | str | None = None) -> str | None:
    """Return the ISO country code of ``ip``, or None when unknown or no database is configured."""
    if not ip:
        return None
    path = database if database is not None else get_settings().geoip_database
    if path is None or not Path(path).exists():
        return None
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return None
    record = _reader(str(path)).get(ip)
    if not isinstance(record, dict):
        return None
    country = record.get("country") or record.get("registered_country") or {}
    code = country.get("iso_code") if isinstance(country, dict) else None
    return str(code).upper() if code else None
