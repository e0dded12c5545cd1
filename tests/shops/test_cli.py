import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.config import get_settings
from storeguard.shops.models import Shop

runner = CliRunner()


@pytest.fixture
def cli_db(committing_engine, monkeypatch):
    """Point the CLI at the backend under test; tables are emptied afterwards."""
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield committing_engine
    get_settings.cache_clear()


def _shops(engine):
    with Session(engine) as session:
        return [(s.domain, s.currency, s.country, s.platform) for s in session.scalars(select(Shop))]


def test_shops_add_then_list(cli_db):
    added = runner.invoke(
        app,
        [
            "shops",
            "add",
            "Fjellstova.myshopify.com",
            "--name",
            "Fjellstova",
            "--currency",
            "nok",
            "--country",
            "NO",
        ],
    )
    listed = runner.invoke(app, ["shops", "list"])

    assert added.exit_code == 0, added.output
    assert _shops(cli_db) == [("fjellstova.myshopify.com", "NOK", "NO", "shopify")]
    assert "fjellstova.myshopify.com" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--currency", "KRONER", "--country", "NO"], "invalid_currency"),
        (["--currency", "NOK", "--country", "Norway"], "invalid_country"),
        (["--currency", "NOK", "--country", "NO", "--platform", "magento"], "invalid_platform"),
    ],
)
def test_shops_add_refuses_bad_input_with_exit_code_2(cli_db, args, message):
    result = runner.invoke(app, ["shops", "add", "fjellstova.no", "--name", "Fjellstova", *args])

    assert result.exit_code == 2
    assert message in result.output
    assert _shops(cli_db) == []


def test_shops_add_refuses_a_domain_already_added(cli_db):
    args = ["shops", "add", "fjellstova.no", "--name", "Fjellstova", "--currency", "NOK", "--country", "NO"]
    runner.invoke(app, args)

    again = runner.invoke(app, args)

    assert again.exit_code == 2
    assert "domain_taken" in again.output
    assert len(_shops(cli_db)) == 1
