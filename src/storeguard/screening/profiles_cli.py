"""``storeguard profiles verify`` and ``storeguard profiles rebuild``: check and repair kept profiles."""

from __future__ import annotations

import time

import typer
from rich.progress import Progress

from storeguard.core.console import cli_session, console
from storeguard.screening.models import PROFILE_NUMBERS
from storeguard.screening.profiles import customer_count, rebuild_profiles, verify_profiles

profiles_app = typer.Typer(
    help="Each customer's history numbers that checkout screening reads, kept as the history changes.",
    no_args_is_help=True,
)


@profiles_app.command("verify")
def verify_command(
    customer: int | None = typer.Option(None, "--customer", help="Only this customer's profile."),
) -> None:
    """Compare every kept profile with one rebuilt from history; exit 1 if any disagree."""
    with cli_session() as session:
        total = 1 if customer is not None else customer_count(session)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("verifying profiles", total=total)
            wrong = verify_profiles(session, customer_id=customer, progress=lambda n: bar.advance(task, n))
        session.rollback()
    for d in wrong:
        kept = dict(zip(PROFILE_NUMBERS, d.kept, strict=True)) if d.kept is not None else {}
        rebuilt = dict(zip(PROFILE_NUMBERS, d.rebuilt, strict=True))
        differ = ", ".join(
            f"{name} kept {kept.get(name, 'none')} rebuilt {value}"
            for name, value in rebuilt.items()
            if kept.get(name) != value
        )
        console.print(f"customer {d.customer_id}: {differ}", highlight=False)
    if wrong:
        console.print(
            f"{len(wrong):,} of {total:,} profile(s) disagree with history; `storeguard profiles rebuild`"
        )
        raise typer.Exit(1)
    console.print(f"all {total:,} profile(s) agree with history")


@profiles_app.command("rebuild")
def rebuild_command(
    customer: int | None = typer.Option(None, "--customer", help="Only this customer's profile."),
) -> None:
    """Rebuild kept profiles from history (every customer, or one); screening never waits for it."""
    with cli_session() as session:
        started = time.perf_counter()
        total = 1 if customer is not None else customer_count(session)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("rebuilding profiles", total=total)
            done = rebuild_profiles(session, customer_id=customer, progress=lambda n: bar.advance(task, n))
    console.print(f"rebuilt {done:,} profile(s) in {time.perf_counter() - started:.1f} s")


def register(app: typer.Typer) -> None:
    """Add ``profiles``."""
    app.add_typer(profiles_app, name="profiles")
