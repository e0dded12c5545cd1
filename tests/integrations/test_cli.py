"""The integrations commands: secrets are stored encrypted and never printed back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine, make_session_factory
from storeguard.integrations.enums import SecretName, SecretScope
from storeguard.integrations.models import IntegrationSecret
from storeguard.integrations.secrets import get_secret
from storeguard.lists.models import ListEntry


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setattr(get_settings(), "database_url", url)
    return url


def test_shop_and_gateway_secrets_are_stored_without_printing_them(cli_db: str) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "shops",
            "add",
            "kari.myshopify.com",
            "--name",
            "Kari",
            "--currency",
            "NOK",
            "--country",
            "NO",
        ],
    )
    secret = runner.invoke(
        app,
        [
            "integrations",
            "secrets",
            "set",
            "--shop",
            "kari.myshopify.com",
            "--webhook-secret",
            "shpss_cli_secret",
        ],
    )
    gateway = runner.invoke(app, ["gateways", "add", "stripe", "--secret", "whsec_cli_secret"])

    assert (added.exit_code, secret.exit_code, gateway.exit_code) == (0, 0, 0), added.output + secret.output
    assert "shpss_cli_secret" not in secret.output and "whsec_cli_secret" not in gateway.output
    engine = make_engine(cli_db)
    with make_session_factory(engine)() as session:
        rows = list(session.scalars(select(IntegrationSecret)))
        assert {(r.scope, r.owner, r.name) for r in rows} == {
            ("shop", "kari.myshopify.com", "webhook_secret"),
            ("gateway", "stripe", "webhook_secret"),
        }
        assert all("secret" not in r.current for r in rows)
        pair = get_secret(session, scope=SecretScope.gateway, owner="stripe", name=SecretName.webhook_secret)
        assert pair is not None and pair.current == "whsec_cli_secret"
    engine.dispose()


def test_an_unknown_gateway_is_a_clear_error_with_exit_code_2(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["gateways", "add", "bitcoin", "--secret", "x"])
    assert result.exit_code == 2


def test_worker_once_processes_the_inbox_and_the_outbox(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["integrations", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "inbox: 0 processed, 0 failed; shopify calls sent: 0" in result.output


def test_import_csv_blocklist_goes_through_the_lists_import_and_returns_are_refused(
    cli_db: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    shop = ["shops", "add", "kari.myshopify.com", "--name", "Kari", "--currency", "NOK", "--country", "NO"]
    assert runner.invoke(app, shop).exit_code == 0
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    header = "type,value,reason_code,evidence_notes\n"
    good.write_text(header + "email,X@Example.no,fraud,old list\nip,192.0.2.1,fraud,old list\n")
    bad.write_text(header + "email,x2@example.no,fraud,old list\nphone,12,fraud,x\n")
    base = ["import", "csv", "--shop", "kari.myshopify.com", "--kind"]

    imported = runner.invoke(app, [*base, "blocklist", str(good)])
    refused = runner.invoke(app, [*base, "blocklist", str(bad)])
    returns = runner.invoke(app, [*base, "returns", str(good)])

    assert imported.exit_code == 0, imported.output
    assert "2 rows: 2 entries created" in imported.output
    assert refused.exit_code == 2 and "row 3" in refused.output and "nothing was imported" in refused.output
    assert returns.exit_code == 2 and "storeguard has no returns yet" in " ".join(returns.output.split())
    engine = make_engine(cli_db)
    with make_session_factory(engine)() as session:
        values = sorted(session.scalars(select(ListEntry.value)))
    engine.dispose()
    assert values == ["192.0.2.1", "x@example.no"]
