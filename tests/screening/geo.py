"""Build a small MaxMind-format country database for tests."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

NETWORKS = {"81.0.0.0/16": "NO", "5.5.0.0/16": "US", "41.0.0.0/16": "NG", "2001:db8::/32": "DE"}


def build_country_db(path: Path) -> Path:
    """Write a GeoIP2-Country-shaped database mapping a few networks to countries."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-Country",
        languages=["en"],
        description="storeguard test countries",
    )
    for network, code in NETWORKS.items():
        writer.insert_network(IPSet([network]), {"country": {"iso_code": code}})
    writer.to_db_file(str(path))
    return path
