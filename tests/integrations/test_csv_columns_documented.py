"""Every column an import reads is in docs/csv-columns.md, so a merchant never has to read code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM
from storeguard.integrations.bulk import csv_files
from storeguard.integrations.bulk.service import import_file
from storeguard.lists.csvio import import_entries, read_csv
from storeguard.lists.csvrows import COLUMNS as LIST_COLUMNS
from storeguard.orders.models import Order
from tests.factories import make_shop

DOC = (Path(__file__).resolve().parents[2] / "docs" / "csv-columns.md").read_text()


def _columns_read_by(module: object) -> set[str]:
    """The column names the CSV mapping reads: row.get("x"), row["x"], _need(row, "x"), ..."""
    tree = ast.parse(Path(module.__file__).read_text())  # type: ignore[attr-defined]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            args = node.args[1:] if called in {"_need", "_int"} else node.args[:1] if called == "get" else []
            names |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
        subscript = isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
        if subscript and isinstance(node.slice.value, str) and getattr(node.value, "id", "") == "row":
            names.add(node.slice.value)
    return {n for n in names if re.fullmatch(r"[a-z][a-z0-9_]*", n)}


def test_every_column_the_csv_imports_read_is_documented() -> None:
    read = _columns_read_by(csv_files) - {"woo_status"}  # the WooCommerce preset's own, described in prose
    documented = set(re.findall(r"`([a-z][a-z0-9_]*)`", DOC))
    prefixed = {f"{side}_{a}" for side in ("billing", "shipping") for a in csv_files.ADDRESS}

    assert sorted(read - documented - prefixed) == []


def test_every_list_import_column_is_documented() -> None:
    documented = set(re.findall(r"`([a-z][a-z0-9_]*)`", DOC))

    assert sorted(set(LIST_COLUMNS) - documented) == []


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_every_import_has_an_example_file_the_document_links_to() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("*.csv"))

    assert files == ["customers.csv", "list-entries.csv", "orders.csv", "refunds.csv"]
    assert [f for f in files if f"(examples/{f})" not in DOC] == []


def test_the_example_files_import_cleanly_into_a_new_shop(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    session.commit()

    runs = [
        import_file(session, shop, kind, EXAMPLES / f"{kind}.csv", report_dir=tmp_path)
        for kind in ("customers", "orders", "refunds")
    ]
    entries = import_entries(
        session,
        read_csv((EXAMPLES / "list-entries.csv").open(encoding="utf-8-sig")),
        shop_id=shop.id,
        actor=SYSTEM,
    )

    assert [(r.kind, r.status, r.created, r.failed) for r in runs] == [
        ("customers", "finished", 2, 0),
        ("orders", "finished", 2, 0),
        ("refunds", "finished", 1, 0),
    ]
    assert (entries.errors, entries.created) == ([], 5)
    refunded = session.scalar(select(Order).where(Order.shop_id == shop.id, Order.number == "#1001"))
    assert (refunded.total, [r.amount for r in refunded.refunds]) == (134_800, [129_900])
