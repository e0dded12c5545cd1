"""Insert rows turned into what a driver takes, without SQLAlchemy: for the import's reader process.

Each table's column kinds (``int``, ``str``, ``time``, ``json``, ``bool``, ``date``) come from
the models in the importing process (``fastwrite.column_kinds``); here they compile into one
function per table and column order. PostgreSQL gets COPY text, so its writer only sends bytes;
SQLite gets plain values in the format SQLAlchemy's own types would bind (``fastwrite`` tests
hold the two to the same output). Times are memoised: formatting an aware datetime costs about
2 microseconds, and an import's rows share few distinct times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

KINDS = ("int", "str", "time", "json", "bool", "date")
NULL = "\\N"  # COPY text's NULL
_MEMO_LIMIT = 100_000  # distinct times remembered before the memo starts again

_pg_times: dict[datetime, str] = {}
_sqlite_times: dict[datetime, str] = {}


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given; storeguard stores aware UTC only")
    return value.astimezone(UTC)


def pg_time(value: datetime) -> str:
    """An aware time as PostgreSQL reads it from COPY text (ISO 8601, UTC)."""
    text = _pg_times.get(value)
    if text is None:
        if len(_pg_times) >= _MEMO_LIMIT:
            _pg_times.clear()
        # Equal aware times are the same instant, so one text serves them all. orjson writes
        # ISO 8601 about three times faster than datetime.isoformat.
        text = _pg_times[value] = orjson.dumps(_utc(value))[1:-1].decode()
    return text


def sqlite_time(value: datetime) -> str:
    """An aware time as SQLAlchemy stores it on SQLite ("2025-01-02 03:04:05.000000", UTC)."""
    text = _sqlite_times.get(value)
    if text is None:
        if len(_sqlite_times) >= _MEMO_LIMIT:
            _sqlite_times.clear()
        utc = _utc(value)
        iso = orjson.dumps(utc).decode()  # "2025-01-02T03:04:05[.ffffff]+00:00", quoted
        text = _sqlite_times[value] = f"{iso[1:11]} {iso[12:20]}.{utc.microsecond:06d}"
    return text


def json_text(value: Any) -> str:
    """JSON by orjson, several times faster than json.dumps; the same value reads back."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson does not take (non-text keys, huge ints): the usual way
        return json.dumps(value)


def copy_escape(value: str) -> str:
    """Text as a COPY text field: backslash, tab, newline and carriage return escaped."""
    if value.__class__ is not str:
        value = str(value)  # an enum's value, or a number in a text column
    if value.isprintable() and "\\" not in value:
        return value  # the usual case: nothing to escape (tab, newline and CR are not printable)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_json(value: Any) -> str:
    return copy_escape(json_text(value))


# Per kind, the expression of a value ``v`` that is not None: inlined (a call per value cost more
# than most conversions), with helpers by name from ``_NAMES``. Single quotes only: these go
# inside an f-string.
_COPY = {
    "int": "{v}",
    "str": "{v} if {v}.__class__ is S and {v}.isprintable() and BS not in {v} else escape({v})",
    "time": "PG_TIMES.get({v}) or pg_time({v})",
    "json": "copy_json({v})",
    "bool": "'t' if {v} else 'f'",
    "date": "{v}.isoformat()",
}
_SQLITE = {
    "int": None,
    "str": None,
    "time": "SQLITE_TIMES.get({v}) or sqlite_time({v})",
    "json": "json_text({v})",
    "bool": "1 if {v} else 0",
    "date": "{v}.isoformat()",
}
_NAMES = {
    "N": NULL,
    "S": str,
    "BS": "\\",
    "escape": copy_escape,
    "PG_TIMES": _pg_times,
    "pg_time": pg_time,
    "copy_json": _copy_json,
    "SQLITE_TIMES": _sqlite_times,
    "sqlite_time": sqlite_time,
    "json_text": json_text,
}


def _compile(kinds: Sequence[str], expression: str) -> Callable[[Sequence[Any]], Any]:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"no rendering for column kinds {unknown}")
    names = ", ".join(f"v{k}" for k in range(len(kinds)))
    source = f"def render(r):\n    {names}, = r\n    return {expression}\n"
    scope: dict[str, Any] = {}
    exec(compile(source, "<storeguard row renderer>", "exec"), dict(_NAMES), scope)  # noqa: S102 - built from kinds only
    return scope["render"]  # type: ignore[no-any-return]


def copy_renderer(
    kinds: Sequence[str], *, skip: Sequence[int] = (), escape: bool = True
) -> Callable[[Sequence[Any]], str]:
    """Return a function making a row's COPY text fields (tab-separated, no newline).

    The columns at positions ``skip`` are left out (the writer adds them: ids it alone knows).
    Without ``escape`` text is written as it is, a third faster: only for values known to hold
    no backslash, tab, newline or carriage return (``prepared`` knows it from the JSON text:
    a string can hold none of those unless the text has a backslash).
    """
    fields = []
    for k, kind in enumerate(kinds):
        if k in skip:
            continue
        v = f"v{k}"
        if kind == "int" or (kind == "str" and not escape):
            fields.append(f"{{N if {v} is None else {v}}}")
        elif kind == "json" and not escape:
            fields.append(f"{{N if {v} is None else json_text({v})}}")
        else:
            fields.append(f"{{N if {v} is None else {_COPY[kind].format(v=v)}}}")
    return _compile(kinds, 'f"' + "\\t".join(fields) + '"')


def sqlite_renderer(kinds: Sequence[str]) -> Callable[[Sequence[Any]], list[Any]]:
    """Return a function making a row's values as SQLite's driver binds them (None stays NULL)."""
    values = []
    for k, kind in enumerate(kinds):
        convert = _SQLITE[kind]
        values.append(
            f"v{k}" if convert is None else f"None if v{k} is None else ({convert.format(v=f'v{k}')})"
        )
    return _compile(kinds, "[" + ", ".join(f"({v})" for v in values) + "]")
