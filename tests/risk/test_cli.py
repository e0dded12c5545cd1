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
        "late_claimer",
        "evader",
    }
    assert figures["not_detectable_yet"] == {"abusive": 1}
    assert figures["honest_in_watch_or_worse"]["good_and_vip"]["of"] == 50


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


def test_recompute_stores_every_customer_and_export_writes_one_line_each(cli_env):
    loaded = runner.invoke(app, ["demo", "--customers", "60", "--orders", "400", "--seed", "5"])
    assert loaded.exit_code == 0, loaded.output
    out = cli_env / "customers.jsonl"

    recomputed = runner.invoke(app, ["risk", "recompute"])
    exported = runner.invoke(app, ["customers", "export", "--format", "jsonl", "--out", str(out)])

    assert recomputed.exit_code == 0, recomputed.output
    assert "assessed 60 customers" in " ".join(recomputed.output.split())
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 60
    assert set(rows[0]) == {
        "customer_id",
        "platform_id",
        "email",
        "segment",
        "suggested_segment",
        "score",
        "findings",
        "linked",
        "model_version",
    }
    assert all(r["model_version"] for r in rows if r["score"] is not None)


def test_export_refuses_a_format_it_does_not_write(cli_env):
    done = runner.invoke(app, ["customers", "export", "--format", "csv"])

    assert done.exit_code == 2 and "the only format is jsonl" in done.output
