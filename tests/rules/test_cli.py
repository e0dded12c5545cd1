"""``storeguard rules ...`` against a real database (commits, so it uses the committing engine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.core.config import get_settings
from storeguard.rules.models import Rule

runner = CliRunner()


@pytest.fixture
def cli(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """The root CLI pointed at the test database."""
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    from storeguard.cli import app

    yield app
    get_settings.cache_clear()


def _rules(engine: Engine) -> list[Rule]:
    with Session(engine) as s:
        return list(s.scalars(select(Rule).order_by(Rule.id)))


def _rule(engine: Engine, rule_id: int) -> Rule:
    with Session(engine) as s:
        rule = s.get(Rule, rule_id)
        assert rule is not None
        return rule


def test_add_list_disable_enable_and_show(cli: typer.Typer, committing_engine: Engine) -> None:
    added = runner.invoke(
        cli, ["rules", "add", "review if order.total > 500", "--name", "Big", "--priority", "5"]
    )
    assert added.exit_code == 0, added.output
    rule = _rules(committing_engine)[-1]
    assert f"created rule #{rule.id} 'Big' (review, version 1)" in added.output
    assert (rule.name, rule.priority, rule.action) == ("Big", 5, "review")
    assert runner.invoke(cli, ["rules", "disable", str(rule.id), "--reason", "noisy"]).exit_code == 0
    assert _rule(committing_engine, rule.id).enabled is False
    assert runner.invoke(cli, ["rules", "enable", str(rule.id)]).exit_code == 0
    assert _rule(committing_engine, rule.id).enabled is True
    listed = runner.invoke(cli, ["rules", "list"])
    assert listed.exit_code == 0 and "Big" in listed.output and "rule(s); policy version" in listed.output
    shown = runner.invoke(cli, ["rules", "show", str(rule.id)])
    assert shown.exit_code == 0 and "v1" in shown.output and "review if order.total > 500" in shown.output


def test_add_refuses_a_bad_rule_with_a_caret_and_exit_2(cli: typer.Typer, committing_engine: Engine) -> None:
    before = _rules(committing_engine)
    result = runner.invoke(cli, ["rules", "add", "review if order.totl > 500", "--name", "typo"])
    assert result.exit_code == 2
    assert "unknown_field: line 1, column 11" in result.output
    assert "did you mean order.total?" in result.output
    assert "          ^^^^^^^^^^" in result.output
    assert [r.id for r in _rules(committing_engine)] == [r.id for r in before]


def test_validate_says_ok_or_where_the_problem_is(cli: typer.Typer) -> None:
    ok = runner.invoke(cli, ["rules", "validate", "block if email.domain in @disposable_domains"])
    assert ok.exit_code == 0 and "ok: block rule using email.domain" in ok.output
    bad = runner.invoke(cli, ["rules", "validate", "block if order.total = 1"])
    assert bad.exit_code == 2 and "rule_syntax_error" in bad.output and "write '==' to compare" in bad.output


def test_unknown_rule_is_a_clear_error(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["rules", "enable", "999999"])
    assert result.exit_code == 2 and "rule_not_found" in result.output


def test_other_domains_can_attach_commands_to_rules_app() -> None:
    from storeguard.rules.cli import rules_app

    root = typer.Typer()
    from storeguard.rules.cli import register

    register(root)

    @rules_app.command("attached-later")
    def attached() -> None:
        """A command added after register(), like screening's backtest."""
        print("attached ran")

    try:
        result = runner.invoke(root, ["rules", "attached-later"])
        assert result.exit_code == 0 and "attached ran" in result.output
    finally:
        rules_app.registered_commands[:] = [
            c for c in rules_app.registered_commands if c.name != "attached-later"
        ]
