"""CSV import and export of entries: idempotent, all-or-nothing, round trip."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.errors import Invalid
from storeguard.lists.csvio import export_entries, import_entries, read_csv
from storeguard.lists.matching import match
from storeguard.lists.models import ListEntry
from tests.factories import make_customer, make_shop
from tests.lists.helpers import AGENT

CSV = """kind,type,value,action,reason_code,scope_kind,scope_values,scope_amount,expires_at,note,evidence_order_ids,evidence_notes
block,email,Kari+x@GMAIL.com,block,fraud,,,,,,,chargeback on 1001
block,phone,912 34 567,review,chargeback_abuse,categories,sneakers;boots,,,,,
block,cidr,203.0.113.9/24,verify,fraud,order_above,,500000,2099-01-01T00:00:00+00:00,,,
allow,email,vip@example.no,,,,,,,owner's sister,,
"""


@pytest.fixture
def shop(session: Session):  # noqa: ANN201
    return make_shop(session, country="NO", currency="NOK")


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ListEntry))


def test_import_entries_creates_normalized_entries_and_a_second_import_adds_nothing(
    session: Session, shop
) -> None:
    result = import_entries(
        session,
        read_csv(io.StringIO(CSV)),
        shop_id=shop.id,
        actor=AGENT,
        note="moved from the old shop's list",
    )
    again = import_entries(
        session,
        read_csv(io.StringIO(CSV)),
        shop_id=shop.id,
        actor=AGENT,
        note="moved from the old shop's list",
    )

    assert (result.rows, result.created, result.duplicates, result.errors) == (4, 4, 0, [])
    assert (again.created, again.duplicates) == (0, 4)
    rows = session.execute(
        select(
            ListEntry.type, ListEntry.value, ListEntry.action, ListEntry.scope, ListEntry.evidence
        ).order_by(ListEntry.id)
    ).all()
    assert rows[0] == (
        "email",
        "kari@gmail.com",
        "block",
        {"kind": "everything"},
        {"notes": ["chargeback on 1001"]},
    )
    assert rows[1][:4] == (
        "phone",
        "+4791234567",
        "review",
        {"kind": "categories", "categories": ["boots", "sneakers"]},
    )
    assert rows[1][4] == {"notes": ["moved from the old shop's list"]}
    assert rows[2][:4] == ("cidr", "203.0.113.0/24", "verify", {"kind": "order_above", "amount": 500000})
    assert [
        m.type for m in match(session, shop_id=shop.id, identifiers=[("ip", "203.0.113.200")]).matches
    ] == ["cidr"]


def test_import_entries_reports_every_bad_row_and_the_caller_rolls_back(session: Session, shop) -> None:
    bad = (
        CSV
        + "block,phone,12,block,fraud,,,,,,,x\nblock,email,a@b.no,block,nonsense,,,,,,,x\nblock,email,c@d.no,block,fraud,,,,,,,\n"
    )
    result = import_entries(session, read_csv(io.StringIO(bad)), shop_id=shop.id, actor=AGENT)
    assert [(row, field) for row, field, _ in result.errors] == [
        (3, "evidence"),
        (4, "evidence"),
        (6, "phone"),
        (7, "reason_code"),
        (8, "evidence"),
    ]
    assert result.created == 0


def test_read_csv_refuses_a_file_without_type_and_value() -> None:
    with pytest.raises(Invalid) as err:
        list(read_csv(io.StringIO("email,reason\nx@y.no,fraud\n")))
    assert (err.value.code, err.value.field) == ("invalid_csv", "file")


def test_export_entries_writes_what_import_reads(session: Session, shop) -> None:
    import_entries(session, read_csv(io.StringIO(CSV)), shop_id=shop.id, actor=AGENT, note="seed")
    out = io.StringIO()
    assert export_entries(session, out, shop_id=shop.id) == 4
    other = make_shop(session, country="NO", currency="NOK")
    result = import_entries(session, read_csv(io.StringIO(out.getvalue())), shop_id=other.id, actor=AGENT)
    assert (result.created, result.errors) == (4, [])
    assert _count(session) == 8


def _big_csv(customer_id: int, bad_rows: tuple[int, ...] = ()) -> str:
    lines = ["kind,type,value,action,reason_code,evidence_notes,expires_at"]
    for i in range(60):
        kind, value = [
            ("email", f"P.{i}+x@Gmail.com"),
            ("phone", f"+47 4{i:07d}"),
            ("phone", f"9{i:07d}"),
            ("ip", f"10.0.0.{i}"),
            ("customer", f"#{customer_id}"),
        ][i % 5]
        expires = "2099-01-01T00:00:00+00:00" if i % 7 == 0 else ""
        reason = "nonsense" if i in bad_rows else "fraud"
        lines.append(f"block,{kind},{value},review,{reason},old list,{expires}")
    return "\n".join(lines) + "\n"


def _entries(session: Session, shop_id: int) -> list[tuple]:
    return session.execute(
        select(
            ListEntry.type,
            ListEntry.value,
            ListEntry.display,
            ListEntry.customer_id,
            ListEntry.expires_at,
            ListEntry.dedupe_key,
        )
        .where(ListEntry.shop_id == shop_id)
        .order_by(ListEntry.id)
    ).all()


def test_import_entries_in_worker_processes_stores_what_one_process_stores(
    session: Session, shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storeguard.lists import csvio

    customer = make_customer(session, shop)
    other = make_shop(session, country="NO", currency="NOK")
    customer_other = make_customer(session, other)
    monkeypatch.setattr(csvio, "BATCH", 7)
    monkeypatch.setattr(csvio, "PARALLEL_FROM", 14)

    alone = import_entries(
        session, read_csv(io.StringIO(_big_csv(customer.id))), shop_id=shop.id, actor=AGENT
    )
    pooled = import_entries(
        session,
        read_csv(io.StringIO(_big_csv(customer_other.id))),
        shop_id=other.id,
        actor=AGENT,
        workers=2,
    )

    assert (alone.rows, alone.created, alone.errors) == (60, 49, [])  # 12 rows name one customer
    assert (pooled.rows, pooled.created, pooled.errors) == (60, 49, [])
    first, second = _entries(session, shop.id), _entries(session, other.id)
    assert [row for row in first if row[0] != "customer"] == [row for row in second if row[0] != "customer"]
    assert first[1][:2] == ("phone", "+4740000001") and first[2][:2] == ("phone", "+4790000002")
    assert [row[:2] + row[3:4] for row in first if row[0] == "customer"] == [
        ("customer", str(customer.id), customer.id)
    ]
    assert [row[:2] + row[3:4] for row in second if row[0] == "customer"] == [
        ("customer", str(customer_other.id), customer_other.id)
    ]


def test_import_entries_in_worker_processes_reports_bad_rows_by_file_row(
    session: Session, shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storeguard.lists import csvio

    customer = make_customer(session, shop)
    monkeypatch.setattr(csvio, "BATCH", 7)
    monkeypatch.setattr(csvio, "PARALLEL_FROM", 14)
    text = _big_csv(customer.id, bad_rows=(3, 20, 59))

    result = import_entries(session, read_csv(io.StringIO(text)), shop_id=shop.id, actor=AGENT, workers=2)

    assert [(row, field) for row, field, _ in result.errors] == [
        (5, "reason_code"),
        (22, "reason_code"),
        (61, "reason_code"),
    ]
    assert result.created == 0
    assert _count(session) == 0


def test_import_entries_reads_dict_rows_as_the_csv_reader_does(session: Session, shop) -> None:
    other = make_shop(session, country="NO", currency="NOK")

    from_csv = import_entries(session, read_csv(io.StringIO(CSV)), shop_id=shop.id, actor=AGENT, note="n")
    from_dicts = import_entries(
        session, list(csv.DictReader(io.StringIO(CSV))), shop_id=other.id, actor=AGENT, note="n"
    )

    assert (from_csv.created, from_dicts.created) == (4, 4)
    assert [r[:2] + r[4:] for r in _entries(session, shop.id)] == [
        r[:2] + r[4:] for r in _entries(session, other.id)
    ]
