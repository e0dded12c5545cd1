"""``storeguard profiles verify`` and ``rebuild`` on a demo store loaded by the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.config import get_settings

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite file with a small demo store in it (its orders bulk-inserted)."""
    db = tmp_path / "sg.db"
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("STOREGUARD_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    loaded = runner.invoke(app, ["demo", "--customers", "40", "--orders", "200", "--seed", "3"])
    assert loaded.exit_code == 0, loaded.output
    yield db
    get_settings.cache_clear()


def _sql(db: Path, statement: str) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return int(result.scalar() or 0) if result.returns_rows else 0
    finally:
        engine.dispose()


def test_the_demo_loader_leaves_every_profile_agreeing_with_history(demo_db: Path) -> None:
    result = runner.invoke(app, ["profiles", "verify"])

    assert result.exit_code == 0, result.output
    assert "all 40 profile(s) agree with history" in result.output


def test_verify_names_a_profile_changed_by_hand_and_rebuild_repairs_it(demo_db: Path) -> None:
    customer = _sql(demo_db, "SELECT min(customer_id) FROM customer_profiles WHERE orders_count > 0")
    real = _sql(demo_db, f"SELECT orders_count FROM customer_profiles WHERE customer_id = {customer}")
    _sql(
        demo_db,
        f"UPDATE customer_profiles SET orders_count = orders_count + 5 WHERE customer_id = {customer}",
    )

    found = runner.invoke(app, ["profiles", "verify"])
    repaired = runner.invoke(app, ["profiles", "rebuild", "--customer", str(customer)])
    again = runner.invoke(app, ["profiles", "verify"])

    assert found.exit_code == 1, found.output
    assert f"customer {customer}: orders_count kept {real + 5} rebuilt {real}" in found.output
    assert "1 of 40 profile(s) disagree with history" in found.output
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt 1 profile(s)" in repaired.output
    assert again.exit_code == 0, again.output
