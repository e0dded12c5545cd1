"""Autogenerate the next Alembic revision from the models: ``make migration m="what changed"``.

Diffs the models against a scratch SQLite database brought to head, so the revision holds only
what changed since the last one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from storeguard.core.migrations import alembic_config, upgrade_to_head


def main() -> None:
    message = " ".join(sys.argv[1:]) or "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        cfg = alembic_config(url)
        upgrade_to_head(url)
        heads = ScriptDirectory.from_config(cfg).get_heads()
        next_id = f"{int(heads[0]) + 1:04d}" if heads and heads[0].isdigit() else "0001"
        command.revision(cfg, message=message, autogenerate=True, rev_id=next_id)


if __name__ == "__main__":
    main()
