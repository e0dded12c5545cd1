import json

import pytest
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'sg.db'}")
    monkeypatch.setenv("STOREGUARD_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_demo_command_loads_and_writes_ground_truth_where_asked(cli_env):
    truth = cli_env / "truth.json"

    result = runner.invoke(
        app, ["demo", "--customers", "40", "--orders", "90", "--seed", "4", "--ground-truth", str(truth)]
    )

    assert result.exit_code == 0, result.output
    assert "40 customers, 90 orders" in result.output
    written = json.loads(truth.read_text())
    assert len(written["customers"]) == 40 and written["seed"] == 4


def test_demo_command_twice_is_a_clear_error(cli_env):
    runner.invoke(app, ["demo", "--customers", "40", "--orders", "90"])

    again = runner.invoke(app, ["demo", "--customers", "40", "--orders", "90"])

    assert again.exit_code == 2
    assert "demo_already_loaded" in again.output
