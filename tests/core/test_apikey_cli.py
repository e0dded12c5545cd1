"""``storeguard apikey create|list|revoke``: a key is shown once; the list never shows a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setattr(get_settings(), "database_url", url)
    return url


def _create(runner: CliRunner, name: str, role: str) -> str:
    made = runner.invoke(app, ["apikey", "create", "--name", name, "--role", role])
    assert made.exit_code == 0, made.output
    return made.output.strip().splitlines()[-1]


def test_apikey_list_shows_each_key_by_name_role_and_prefix_never_its_secret(cli_db: str) -> None:
    runner = CliRunner()
    first, second = _create(runner, "checkout", "agent"), _create(runner, "reports", "viewer")

    listed = runner.invoke(app, ["apikey", "list"], terminal_width=200)

    assert listed.exit_code == 0, listed.output
    assert "2 API key(s)" in listed.output
    assert ("checkout" in listed.output, "reports" in listed.output) == (True, True)
    assert (first in listed.output, second in listed.output) == (False, False)
    assert first[:8] in listed.output


def test_apikey_list_leaves_out_revoked_keys_unless_asked_for_all(cli_db: str) -> None:
    runner = CliRunner()
    _create(runner, "old", "agent")
    _create(runner, "new", "agent")
    assert runner.invoke(app, ["apikey", "revoke", "1"]).exit_code == 0

    current = runner.invoke(app, ["apikey", "list"], terminal_width=200)
    everything = runner.invoke(app, ["apikey", "list", "--all"], terminal_width=200)

    assert ("1 API key(s)" in current.output, " old " in current.output) == (True, False)
    assert ("2 API key(s)" in everything.output, " old " in everything.output) == (True, True)
