"""What every command shares: the consoles it prints to and a session that turns refusals into exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from storeguard.core.config import get_settings
from storeguard.core.db import make_engine, make_session_factory
from storeguard.core.errors import DomainError

console = Console()
err_console = Console(stderr=True)


@contextmanager
def cli_session() -> Iterator[Session]:
    """Open a session on the configured database; a DomainError becomes a clear error and exit 2."""
    engine = make_engine(get_settings().database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            yield session
    except DomainError as exc:
        err_console.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
