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


def test_risk_evaluate_prints_the_table_and_writes_the_figures(cli_env):
    truth, out = cli_env / "truth.json", cli_env / "results" / "risk.json"
    loaded = runner.invoke(
        app, ["demo", "--customers", "60", "--orders", "400", "--seed", "5", "--ground-truth", str(truth)]
    )
    assert loaded.exit_code == 0, loaded.output

    result = runner.invoke(app, ["risk", "evaluate", "--truth", str(truth), "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "abusive vs not" in result.output
    assert "abusive (not detectable yet)" in result.output
    figures = json.loads(out.read_text())
    assert figures["seed"] == 5 and figures["assessed"] <= 60
    assert set(figures["per_type"]) == {
        "wardrober",
        "bracketer",
        "serial_returner",
        "low_value_refund_abuser",
        "item_not_received_claimer",
        "chargeback_abuser",
        "evader",
    }
    assert figures["not_detectable_yet"] == {"abusive": 1}
    assert figures["honest_in_watch_or_worse"]["good_and_vip"]["of"] == 51


def test_risk_show_explains_a_customer(cli_env):
    truth = cli_env / "truth.json"
    runner.invoke(
        app, ["demo", "--customers", "40", "--orders", "200", "--seed", "5", "--ground-truth", str(truth)]
    )

    result = runner.invoke(app, ["risk", "show", "1"])

    assert result.exit_code == 0, result.output
    assert "customer 1: score" in result.output


def test_risk_show_of_an_unknown_customer_is_a_clear_error(cli_env):
    runner.invoke(app, ["demo", "--customers", "40", "--orders", "90"])

    result = runner.invoke(app, ["risk", "show", "999999"])

    assert result.exit_code == 2
    assert "customer_not_found" in result.output
