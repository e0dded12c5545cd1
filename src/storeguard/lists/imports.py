"""A list CSV uploaded on the page, imported in the background with its progress on a page of its own.

The upload is saved under the data directory (its rows counted as it is written), a run is
recorded, and the view hands ``import_job`` to the background. The import stays all or nothing,
as in the CLI: with any bad row nothing is stored, and the run keeps the bad rows for a report.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role, RunStatus
from storeguard.core.errors import Invalid
from storeguard.core.models import WorkRun
from storeguard.core.runs import finish_run, note_progress, run_job, start_run
from storeguard.lists.csvio import import_entries, read_csv
from storeguard.lists.enums import ListErrorCode

IMPORT_KIND = "list_import"
UPLOAD_DIR = "uploads"
NOT_UTF8 = "The file is not UTF-8 text."  # marked for translation where the page shows it
_CHUNK = 1 << 20


def upload_path(data_dir: Path) -> Path:
    """Return a new file name under the data directory for an upload to be saved as."""
    return Path(data_dir) / UPLOAD_DIR / f"list-import-{uuid.uuid4().hex}.csv"


def save_upload(source: IO[bytes], dest: Path, limit: int) -> int:
    """Copy an uploaded file to ``dest`` and return its rows (lines after the header).

    A file over ``limit`` bytes is refused and nothing is left on disk.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = lines = 0
    last = b"\n"
    try:
        with dest.open("wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise Invalid(
                        ListErrorCode.invalid_csv, f"the file is larger than {limit} bytes", field="file"
                    )
                out.write(chunk)
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    lines += last != b"\n"  # a last line without its newline
    return max(lines - 1, 0)


def start_list_import(
    session: Session, *, actor: Actor, file_name: str, path: Path, rows: int, note: str | None
) -> WorkRun:
    """Record the import of a saved file about to run in the background; the caller commits."""
    params = {
        "path": str(path),
        "note": note,
        "actor": [actor.kind, actor.name, actor.role.value],
    }
    return start_run(session, kind=IMPORT_KIND, label=file_name, total=rows, actor=actor, params=params)


def import_job(factory: Callable[[], Session], run_id: int) -> None:
    """Import the run's file in a session of its own (the background task the page starts)."""
    run_job(factory, run_id, _import_file)


def _import_file(session: Session, run: WorkRun) -> None:
    """Import the run's file all or nothing, then record the counts, or the bad rows."""
    params = run.params
    kind, name, role = params["actor"]
    path = Path(params["path"])
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            result = import_entries(
                session,
                read_csv(stream),
                shop_id=None,
                actor=Actor(kind, name, Role(role)),
                note=params.get("note"),
                source=run.label,
                progress=partial(note_progress, run.id),
            )
    except UnicodeDecodeError:
        raise Invalid(ListErrorCode.invalid_csv, NOT_UTF8, field="file") from None
    finally:
        path.unlink(missing_ok=True)
    if result.errors:
        session.rollback()  # all or nothing: no entry of a file with a bad row is kept
        bad_rows = [[row, field or "", message] for row, field, message in result.errors]
        finish_run(
            session,
            run,
            status=RunStatus.refused,
            done=result.rows,
            total=run.total,
            failed=len(result.errors),
            result={"bad_rows": bad_rows},
        )
    else:
        finish_run(
            session,
            run,
            done=result.rows,
            created=result.created,
            skipped=result.duplicates,
            result={"bad_rows": []},
        )
    session.commit()


def bad_rows_csv(run: WorkRun) -> str:
    """The run's bad rows as CSV: row number, field, what is wrong."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "problem"])
    writer.writerows((run.result or {}).get("bad_rows", []))
    return out.getvalue()
