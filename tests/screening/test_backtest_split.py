"""A large backtest split over processes, each taking a share of the customers, answers as one does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from storeguard.core.db import Base, make_engine
from storeguard.rules import compile_rule
from storeguard.rules.facts import FACTS
from storeguard.rules.service import resolver_for
from storeguard.screening import backtest as backtest_module
from storeguard.screening.backtest import backtest
from tests.screening.test_backtest_facts import FROM, TO, _profile_store

SOURCES = [
    "block if linked.blocked_customers > 0",
    "review if customer.segment == 'watch' or customer.finding_bracketing",
    "verify if velocity.orders_per_email_1h >= 3 or velocity.amount_per_ip_30d > 1000",
    "review if signals.country_mismatch or signals.shared_shipping_address and order.total > 500",
    "block if customer.refunds_count > 0 and customer.orders_count > 1 or customer.cancellations > 0",
    "review if order.total > 100 and order.is_first_order",
    # the benchmark's rule: velocity, links, the segment and a signal together
    "review if velocity.orders_per_email_24h > 2 or linked.blocked_customers > 0"
    " or customer.segment == 'watch' and signals.has_chargebacks",
]


@pytest.fixture
def committed(committing_engine: Engine) -> Iterator[Session]:
    """A session whose store is committed: the processes of a split backtest read it on their own."""
    with Session(committing_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def splits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Split every range (two shares, whatever the machine's cores) and note each split made."""
    made: list[tuple[str, int]] = []
    shares = backtest_module._shares

    def noted(*args: Any) -> tuple[str, int] | None:
        answer = shares(*args)
        if answer is not None:
            made.append(answer)
        return answer

    monkeypatch.setattr(backtest_module, "SPLIT_FROM", 1)
    monkeypatch.setattr(backtest_module, "processes_available", lambda: 2)
    monkeypatch.setattr(backtest_module, "_shares", noted)
    return made


def _answer(session: Session, shop_id: int, source: str, **kw: Any) -> dict[str, Any]:
    answer = backtest(session, shop_id=shop_id, sources=[source], date_from=FROM, date_to=TO, **kw).as_dict()
    answer.pop("seconds")
    return answer


@pytest.mark.parametrize("source", SOURCES)
def test_a_backtest_split_over_processes_has_the_answer_of_one_process(
    committed: Session, splits: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    shop_id = _profile_store(committed).shop.id
    committed.commit()
    split = _answer(committed, shop_id, source)
    assert [n for _, n in splits] == [2]
    monkeypatch.setattr(backtest_module, "SPLIT_FROM", 10**12)
    whole = _answer(committed, shop_id, source)
    assert len(splits) == 1  # the second ran in this process
    assert split["stopped"] > 0
    assert split == whole


def test_a_split_backtest_reports_its_progress_up_to_every_order_of_the_range(
    committed: Session, splits: list[tuple[str, int]]
) -> None:
    shop_id = _profile_store(committed).shop.id
    committed.commit()
    heard: list[int] = []
    answer = _answer(committed, shop_id, SOURCES[-1], progress=heard.append)
    assert answer["orders"] == 17
    assert heard[-1] == 17
    assert heard == sorted(heard)


def test_a_backtest_on_a_database_in_memory_runs_in_this_process(splits: list[tuple[str, int]]) -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        store = _profile_store(session)
        answer = _answer(session, store.shop.id, SOURCES[-1])
    assert answer["orders"] == 17
    assert splits == []


def test_a_backtest_of_a_range_below_the_split_size_runs_in_this_process(
    committed: Session, splits: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop_id = _profile_store(committed).shop.id
    committed.commit()
    monkeypatch.setattr(backtest_module, "SPLIT_FROM", 18)
    assert _answer(committed, shop_id, SOURCES[-1])["orders"] == 17
    assert splits == []


def test_the_full_path_is_never_split(committed: Session, splits: list[tuple[str, int]]) -> None:
    shop_id = _profile_store(committed).shop.id
    committed.commit()
    assert _answer(committed, shop_id, SOURCES[-1], full=True)["path"] == "full"
    assert splits == []


def test_a_split_names_a_database_file_by_its_whole_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, splits: list[tuple[str, int]]
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///relative.db")
    Base.metadata.create_all(engine)
    monkeypatch.setattr(backtest_module, "SPLIT_FROM", 0)
    with Session(engine) as session:
        rule = compile_rule("block if order.total > 1", FACTS, resolver_for(session, 1))
        shares = backtest_module._shares(session, 1, [rule], "columnar", FROM, TO)
    engine.dispose()
    assert shares == (f"sqlite:///{tmp_path}/relative.db", 2)
