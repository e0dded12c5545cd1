"""``storeguard disputes evidence|add-file|submit`` and ``storeguard policies``."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import storeguard.models  # noqa: F401 - every table known before create_all
from storeguard.cli import app
from storeguard.core.config import get_settings
from storeguard.core.db import Base
from storeguard.disputes.models import Dispute
from tests.disputes.evidence_story import fraud_story

runner = CliRunner()


@pytest.fixture
def story_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'sg.db'}"
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", url)
    monkeypatch.setenv("STOREGUARD_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        dispute_id = fraud_story(session).id
        session.commit()
    engine.dispose()
    yield tmp_path, dispute_id
    get_settings.cache_clear()


def test_the_evidence_command_shows_ce3_and_writes_the_pdf(story_db):
    folder, dispute_id = story_db
    out = folder / "pack.pdf"

    result = runner.invoke(app, ["disputes", "evidence", str(dispute_id), "--pdf", str(out)])

    assert result.exit_code == 0, result.output
    assert "CE3.0: #P150 2026-07-08 shares ip, device, account, shipping_address, email" in result.output
    assert out.read_bytes()[:5] == b"%PDF-"


def test_a_text_file_is_refused_with_its_code(story_db):
    folder, dispute_id = story_db
    text = folder / "note.pdf"
    text.write_text("not a pdf")

    result = runner.invoke(app, ["disputes", "add-file", str(dispute_id), str(text)])

    assert result.exit_code == 2
    assert "file_not_pdf_or_image" in result.output


def test_policies_publish_and_list(story_db):
    folder, _ = story_db
    body = folder / "returns.txt"
    body.write_text("30 dagers retur.", encoding="utf-8")

    published = runner.invoke(app, ["policies", "publish", "1", "return", str(body)])
    listed = runner.invoke(app, ["policies", "list"])

    assert published.exit_code == 0, published.output
    assert "return policy version 1" in published.output
    assert "Angrerett" in listed.output


def test_a_dispute_is_entered_by_hand_on_its_order_from_the_command_line(story_db):
    folder, dispute_id = story_db
    engine = create_engine(f"sqlite:///{folder / 'sg.db'}")
    with Session(engine) as session:
        order_id = session.get(Dispute, dispute_id).order_id
    engine.dispose()

    result = runner.invoke(
        app,
        ["disputes", "enter", "--order", str(order_id), "--amount", "5000", "--currency", "NOK"]
        + ["--reason", "duplicate", "--reference", "BANK-9", "--due", "2030-01-02T10:00"],
    )

    assert result.exit_code == 0, result.output
    assert f"entered on order #{order_id}" in result.output
