"""The ``storeguard`` command; each domain adds its commands through ``register(app)``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from storeguard import DOMAINS
from storeguard.core.config import get_settings
from storeguard.core.db import import_all_models, make_engine, make_session_factory
from storeguard.core.errors import DomainError

app = typer.Typer(
    help="storeguard: screen orders, block and unblock difficult customers, keep the record.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def cli_session() -> Iterator[Session]:
    """Open a session on the configured database; a DomainError becomes a clear error and exit 2."""
    settings = get_settings()
    import_all_models()
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            yield session
    except DomainError as exc:
        err_console.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _register_domains() -> None:
    from storeguard.core import cli as core_cli

    core_cli.register(app)
    for domain in DOMAINS:
        name = f"storeguard.{domain}.cli"
        if importlib.util.find_spec(f"storeguard.{domain}") and importlib.util.find_spec(name):
            module = importlib.import_module(name)
            module.register(app)


_register_domains()


def main() -> None:
    """Run the CLI."""
    app(prog_name="storeguard", args=sys.argv[1:])
