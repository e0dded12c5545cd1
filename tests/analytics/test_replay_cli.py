"""``storeguard analytics replay`` answers who a stricter threshold would move."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from tests.analytics.returners import shop_with_a_frequent_returner

runner = CliRunner()


def test_replay_prints_the_customer_a_stricter_return_share_would_move(cli_db: Engine) -> None:
    with Session(cli_db, expire_on_commit=False) as session:
        shop, returner = shop_with_a_frequent_returner(session)
        session.commit()
    risk = {
        "serial_returning": {
            "min_ratio_by_count": 0.3,
            "min_ratio_by_value": 0.3,
            "min_likelihood_ratio": 0.4,
        }
    }

    result = runner.invoke(
        app, ["analytics", "replay", "--shop-id", str(shop.id), "--risk", json.dumps(risk), "--json"]
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["moves"] == [
        {"kind": "customer", "id": returner.id, "label": "Rita Returns", "from": "good", "to": "watch"}
    ]


def test_replay_without_a_change_is_refused(cli_db: Engine) -> None:
    with Session(cli_db, expire_on_commit=False) as session:
        shop, _ = shop_with_a_frequent_returner(session)
        session.commit()

    result = runner.invoke(app, ["analytics", "replay", "--shop-id", str(shop.id)])

    assert result.exit_code == 2
    assert "replay_change_required" in result.output
