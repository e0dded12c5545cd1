"""The CLI: the review queue and rules backtest, on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine, make_session_factory
from tests.screening.support import Store, make_store, past_order


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()
    get_settings.cache_clear()


def test_cli_reviews_list_and_approve(db: Session) -> None:
    from storeguard.cli import app

    store = make_store(db)
    order = past_order(db, store, None, held=True, hold_reason="screening said review: disposable_email")
    db.commit()
    runner = CliRunner()
    listed = runner.invoke(app, ["reviews", "list"])
    assert listed.exit_code == 0, listed.output
    assert order.number in listed.output and "1 held order(s)" in listed.output
    approved = runner.invoke(app, ["reviews", "approve", str(order.id), "--note", "ok"])
    assert approved.exit_code == 0, approved.output
    again = runner.invoke(app, ["reviews", "approve", str(order.id)])
    assert again.exit_code == 2 and "order_not_held" in again.output


def _backtest(store: Store, *args: str) -> Result:
    from storeguard.cli import app

    dates = ["--from", "2000-01-01", "--to", "2100-01-01"]
    return CliRunner().invoke(app, ["rules", "backtest", *args, "--shop", str(store.shop.id), *dates])


def test_cli_rules_backtest_prints_stopped_and_good(db: Session) -> None:
    import json

    store = make_store(db)
    past_order(db, store, None, lines=[(store.sneaker, 1)], tags=["chargeback"])
    past_order(db, store, None, lines=[(store.shirt, 1)])
    db.commit()
    result = _backtest(store, "block if order.total > 1000", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    assert (body["orders"], body["stopped"], body["stopped_bad"], body["stopped_good"]) == (2, 1, 1, 0)
    bad = _backtest(store, "block if")
    assert bad.exit_code == 2


def test_cli_rules_backtest_shows_a_bad_draft_with_its_place_and_caret(db: Session) -> None:
    store = make_store(db)
    db.commit()
    result = _backtest(store, "block if order.total > 1000", "review if order.totl > 500")
    assert result.exit_code == 2
    assert "unknown_field: rule 2: line 1, column 11: unknown fact 'order.totl'" in result.output
    assert "review if order.totl > 500\n          ^^^^^^^^^^" in result.output
