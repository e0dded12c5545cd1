"""``storeguard demo`` (load the demo store) and ``storeguard quickstart`` (what ``make run`` calls)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from storeguard.core.config import get_settings
from storeguard.core.console import cli_session, console, err_console
from storeguard.demo.generator import DEFAULT_CUSTOMERS, DEFAULT_ORDERS, DEFAULT_SEED, DemoConfig
from storeguard.demo.loader import load_demo, write_ground_truth
from storeguard.demo.quickstart import (
    GROUND_TRUTH_FILE,
    QUICKSTART_CUSTOMERS,
    QUICKSTART_ORDERS,
    StaleSchema,
    banner,
    prepare_database,
    public_url,
    start,
)


@contextmanager
def _progress(total_orders: int) -> Iterator[object]:
    """Show a bar over the rows being inserted, counted in orders and the rows that hang off them."""
    columns = (
        TextColumn("[bold]{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("generating", total=None)

        def advance(table: str, rows: int) -> None:
            bar.update(
                task,
                description=f"inserting {table}",
                advance=rows if table == "orders" else 0,
                total=total_orders,
            )

        yield advance


def register(app: typer.Typer) -> None:
    """Add ``demo`` and ``quickstart`` to the root app."""

    @app.command("demo")
    def demo(
        customers: int = typer.Option(DEFAULT_CUSTOMERS, min=1, help="How many customers."),
        orders: int = typer.Option(DEFAULT_ORDERS, min=0, help="How many orders over the last year."),
        seed: int = typer.Option(DEFAULT_SEED, help="Same seed, same store."),
        ground_truth: Path = typer.Option(
            None,
            help="Where to write each customer's true type (JSON); default DATA_DIR/demo_ground_truth.json.",
        ),
    ) -> None:
        """Load the demo store Nordlys Outfitters: a year of customers and orders, difficult ones mixed in.

        The defaults (5,000 customers, 12,000 orders) load in well under a minute on SQLite.
        Who is who goes to the ground-truth file, never into the database.
        """

        settings = get_settings()
        prepare_database(settings.database_url)
        started = time.perf_counter()
        with cli_session() as session, _progress(orders) as advance:
            result = load_demo(
                session, DemoConfig(customers=customers, orders=orders, seed=seed), progress=advance
            )
            session.commit()
        elapsed = time.perf_counter() - started
        path = ground_truth or Path(settings.data_dir) / GROUND_TRUTH_FILE
        write_ground_truth(path, result.ground_truth)
        console.print(
            f"loaded shop #{result.shop.id} {result.shop.name}: {result.counts['customers']:,} customers, "
            f"{result.counts['orders']:,} orders, {result.counts['refunds']:,} refunds in {elapsed:.1f} s"
        )
        console.print(f"ground truth (customer types, evaders' original accounts, blocks): {path}")

    @app.command("quickstart")
    def quickstart(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        customers: int = typer.Option(QUICKSTART_CUSTOMERS, min=1, help="Demo customers on first start."),
        orders: int = typer.Option(QUICKSTART_ORDERS, min=0, help="Demo orders on first start."),
    ) -> None:
        """Set up the database, load the demo store on first start, print a key and serve (what `make run` does)."""

        if "STOREGUARD_PUBLIC_BASE_URL" not in os.environ:
            # The links in customers' mail (the appeal page) point at this server, on the port it serves.
            os.environ["STOREGUARD_PUBLIC_BASE_URL"] = public_url(host, port)
            get_settings.cache_clear()
        if "STOREGUARD_EVENTS_ALLOW_PRIVATE_URLS" not in os.environ:
            # The demo's event receiver listens on this machine, an address a deployment refuses.
            os.environ["STOREGUARD_EVENTS_ALLOW_PRIVATE_URLS"] = "true"
            get_settings.cache_clear()
        settings = get_settings()
        try:
            with _progress(orders) as advance:
                info = start(settings, customers=customers, orders=orders, progress=advance)
        except StaleSchema as exc:
            err_console.print(f"[red]error[/red] {exc}")
            raise typer.Exit(2) from None
        if info.loaded is not None:
            console.print(
                f"loaded the demo store: {info.loaded.counts['customers']:,} customers, "
                f"{info.loaded.counts['orders']:,} orders, {len(info.loaded.ground_truth['blocks'])} blocks "
                f"(ground truth in {info.ground_truth_file})"
            )
        if info.key_created:
            console.print(f"created a demo owner API key, saved to {info.key_file} (mode 0600)")
        if info.owner_created:
            console.print(f"created the demo owner {info.owner_email}; the password is saved beside the key")
        console.print()
        lines = banner(
            host,
            port,
            info.api_key,
            info.screen_example,
            owner_email=info.owner_email,
            owner_password=info.owner_password,
            smtp_host=settings.smtp_host,
        )
        for line in lines:
            console.print(line, highlight=False, soft_wrap=True)
        console.print()
        uvicorn.run("storeguard.app:create_app", factory=True, host=host, port=port)
