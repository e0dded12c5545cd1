"""Streaming readers: JSON arrays and JSON lines record by record, without loading the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

CHUNK = 1 << 20


@dataclass(slots=True)
class Record:
    """One record of a file: its 1-based row number, the parsed value or why it failed, the byte
    offset after it, and its text (to send to another process more cheaply than the value)."""

    row: int
    value: Any
    error: str | None
    offset: int
    raw: bytes | str | None = None


def parse(raw: bytes | str) -> Any:
    """Parse one record's text again, as the reader did (orjson, then json for what it refuses)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _first_char(path: Path) -> str:
    with path.open("rb") as fh:
        while chunk := fh.read(4096):
            stripped = chunk.lstrip()
            if stripped:
                return chr(stripped[0])
    return ""


def is_json_array(path: Path) -> bool:
    """Tell whether a file is one JSON array (else it is read as JSON lines)."""
    return _first_char(path) == "["


def iter_json_records(path: Path, *, skip_through: int = 0) -> Iterator[Record]:
    """Yield the records of a JSON array or of JSON lines, detected from the first character.

    Records through row ``skip_through`` (a resumed import's committed rows) are left out; JSON
    lines are not even parsed for that.
    """
    if is_json_array(path):
        yield from (r for r in _iter_array(path) if r.row > skip_through)
    else:
        for row, offset, line in _lines(path, skip_through):
            yield _record(row, offset, line)


def record_batches(
    path: Path, *, skip_through: int = 0, batch_size: int, part: int = 0, parts: int = 1
) -> Iterator[list[Record]]:
    """Yield the records after row ``skip_through`` in batches of ``batch_size`` rows.

    With ``parts`` readers, this one yields batch ``part``, ``part + parts``, ... of them only;
    JSON lines of the other batches are counted, not parsed, so the readers share the work.
    Splitting needs JSON lines: a JSON array is only found record by record by decoding it.
    """
    if parts > 1 and is_json_array(path):
        raise ValueError("a JSON array is read by one reader")
    if parts == 1:
        batch: list[Record] = []
        for record in iter_json_records(path, skip_through=skip_through):
            batch.append(record)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    raw: list[tuple[int, int, bytes]] = []
    index = 0
    for line in _lines(path, skip_through):
        raw.append(line)
        if len(raw) >= batch_size:
            if index % parts == part:
                yield [_record(*r) for r in raw]
            raw, index = [], index + 1
    if raw and index % parts == part:
        yield [_record(*r) for r in raw]


def _lines(path: Path, skip_through: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """Yield the non-blank lines after row ``skip_through``: (row, offset after it, line)."""
    row = 0
    offset = 0
    with path.open("rb") as fh:
        for line in fh:
            offset += len(line)
            if not line.strip():
                continue
            row += 1
            if row > skip_through:
                yield row, offset, line


def _record(row: int, offset: int, line: bytes) -> Record:
    try:
        value = orjson.loads(line)  # several times faster than json.loads
    except orjson.JSONDecodeError:
        # What orjson refuses but Python's json reads (integers past 64 bits, NaN), and the
        # error message for what neither reads, come from json.
        try:
            value = json.loads(line)
        except ValueError as exc:
            return Record(row, None, f"not valid JSON: {exc}", offset)
    return Record(row, value, None, offset, line)


def _iter_array(path: Path) -> Iterator[Record]:
    """Decode one element at a time from a top-level JSON array."""
    decoder = json.JSONDecoder()
    row = 0
    consumed = 0  # bytes of the file before ``buf``
    with path.open("rb") as fh:
        buf = ""
        raw_pending = b""
        eof = False

        def more() -> bool:
            nonlocal buf, raw_pending, eof
            data = fh.read(CHUNK)
            if not data:
                eof = True
                return False
            raw_pending += data
            # Keep incomplete UTF-8 sequences for the next read.
            try:
                text = raw_pending.decode("utf-8")
                raw_pending = b""
            except UnicodeDecodeError as exc:
                text = raw_pending[: exc.start].decode("utf-8")
                raw_pending = raw_pending[exc.start :]
            buf += text
            return True

        more()
        pos = buf.find("[") + 1
        while True:
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n,":
                    pos += 1
                if pos < len(buf) or not more():
                    break
            if pos >= len(buf) or buf[pos] == "]":
                return
            try:
                value, end = decoder.raw_decode(buf, pos)
            except ValueError as exc:
                if not eof and more():
                    continue
                row += 1
                yield Record(row, None, f"not valid JSON: {exc}", consumed + len(buf.encode()))
                return
            row += 1
            text = buf[pos:end]
            # Drop what is decoded so the buffer stays one chunk long.
            consumed += len(buf[:end].encode())
            buf = buf[end:]
            pos = 0
            yield Record(row, value, None, consumed, text)
