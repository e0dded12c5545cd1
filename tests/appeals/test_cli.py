"""``storeguard appeals``: the queue and a decision from the command line."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.appeals.actions import submit_appeal
from storeguard.appeals.models import Appeal
from storeguard.cli import app
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from storeguard.core.migrations import upgrade_to_head
from tests.appeals.helpers import blocked_customer

runner = CliRunner()


@pytest.fixture
def appeal_db(tmp_path, monkeypatch) -> tuple[str, int]:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'sg.db'}"
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", url)
    monkeypatch.setenv("STOREGUARD_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    upgrade_to_head(url)
    engine = make_engine(url)
    with Session(engine) as session:
        b = blocked_customer(session)
        appeal_id = submit_appeal(session, link=b.link, message="Jeg har kvitteringene").id
        session.commit()
    engine.dispose()
    yield url, appeal_id
    get_settings.cache_clear()


def test_appeals_list_shows_the_waiting_appeal(appeal_db) -> None:  # noqa: ANN001
    _url, appeal_id = appeal_db

    result = runner.invoke(app, ["appeals", "list"])

    assert result.exit_code == 0, result.output
    assert "1 appeal(s)" in result.output and f"│ {appeal_id} " in result.output


def test_appeals_decide_lifts_the_block(appeal_db) -> None:  # noqa: ANN001
    url, appeal_id = appeal_db

    result = runner.invoke(app, ["appeals", "decide", str(appeal_id), "lift", "--note", "Takk"])

    engine = make_engine(url)
    with Session(engine) as session:
        status = session.get(Appeal, appeal_id).status
    engine.dispose()
    assert result.exit_code == 0, result.output
    assert f"appeal #{appeal_id} decided: lifted" in result.output and status == "lifted"
