"""Commands: process the webhook inbox, run the worker, configure secrets, import files."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from storeguard.core.actor import CLI
from storeguard.core.config import get_settings
from storeguard.core.console import cli_session, console, err_console
from storeguard.integrations.actions import configure_gateway, configure_shop
from storeguard.integrations.bulk.disputes import (
    MAPPERS,
    DisputeImport,
    import_disputes,
    import_shopify_disputes,
)
from storeguard.integrations.bulk.product_files import import_products
from storeguard.integrations.bulk.service import import_blocklist, import_file
from storeguard.integrations.webhooks.inbox import process_pending
from storeguard.integrations.webhooks.worker import run_pass
from storeguard.shops.service import shop_with_domain


def register(app: typer.Typer) -> None:
    """Add the integrations, gateways and import commands."""
    integrations = typer.Typer(
        help="Webhook inbox, outbound Shopify calls and shop secrets.", no_args_is_help=True
    )
    secrets = typer.Typer(
        help="Store a shop's webhook secret and Admin API token (never printed).", no_args_is_help=True
    )
    gateways = typer.Typer(help="Configure payment gateways' webhook secrets.", no_args_is_help=True)
    importer = typer.Typer(help="Bulk import orders, customers and refunds.", no_args_is_help=True)
    app.add_typer(integrations, name="integrations")
    integrations.add_typer(secrets, name="secrets")
    app.add_typer(gateways, name="gateways")
    app.add_typer(importer, name="import")

    @integrations.command("process-inbox")
    def process_inbox() -> None:
        """Process every stored webhook delivery still waiting (leftovers after a crash included)."""

        with cli_session() as session:
            result = process_pending(session)
        console.print(
            f"processed {result.processed}, ignored {result.ignored}, failed {result.failed}, "
            f"waiting to retry {result.retrying}"
        )

    @integrations.command("worker")
    def worker(
        once: bool = typer.Option(False, "--once", help="Do one pass and exit."),
        interval: float = typer.Option(2.0, help="Seconds between passes."),
    ) -> None:
        """Process the webhook inbox and send due outbound Shopify calls, until stopped."""

        while True:
            with cli_session() as session:
                work = run_pass(session)
            if once or work.busy:
                console.print(
                    f"inbox: {work.inbox.processed} processed, {work.inbox.failed} failed; "
                    f"shopify calls sent: {work.sent}; customers reassessed: {work.assessed}"
                )
            if once:
                return
            if not work.busy:
                time.sleep(interval)

    @secrets.command("set")
    def secrets_set(
        shop: str = typer.Option(..., "--shop", help="The shop's domain (kari-sko.myshopify.com)."),
        webhook_secret: str | None = typer.Option(None, help="The app's webhook signing secret."),
        access_token: str | None = typer.Option(None, help="The Admin API access token."),
        api_base_url: str | None = typer.Option(None, help="Override https://{shop} (a test server)."),
    ) -> None:
        """Store a shop's secrets encrypted; the previous webhook secret stays valid for a rotation."""

        with cli_session() as session:
            stored = configure_shop(
                session,
                shop,
                actor=CLI,
                webhook_secret=webhook_secret,
                access_token=access_token,
                api_base_url=api_base_url,
            )
            session.commit()
        console.print(f"stored for {shop}: {', '.join(stored)}")

    @gateways.command("add")
    def gateways_add(
        gateway: str = typer.Argument(..., help="stripe, square or paypal."),
        secret: str = typer.Option(..., help="The webhook signing secret (PayPal: the webhook id)."),
        notification_url: str | None = typer.Option(None, help="Square: the URL Square posts to."),
    ) -> None:
        """Store a gateway's webhook secret encrypted (never printed back)."""

        with cli_session() as session:
            stored = configure_gateway(
                session,
                gateway,
                secret,
                actor=CLI,
                notification_url=notification_url,
                webhook_id=secret if gateway.lower() == "paypal" else None,
            )
            session.commit()
        console.print(f"stored for {gateway}: {', '.join(stored)}")

    def _run(kind: str, file: Path, shop: str, preset: str | None, batch_size: int) -> None:

        size = file.stat().st_size if file.is_file() else 0
        started = time.perf_counter()
        with (
            cli_session() as session,
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[rows]} {task.fields[unit]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as bar,
        ):
            target = shop_with_domain(session, shop)
            task = bar.add_task("importing", total=size or None, rows=0, unit="rows")

            def progress(rows: int, offset: int) -> None:
                bar.update(task, completed=offset if offset else None, rows=rows)

            assessing = None

            def assessed(done: int, total: int) -> None:
                nonlocal assessing
                if assessing is None:
                    assessing = bar.add_task("assessing risk", total=total, rows=0, unit="customers")
                bar.update(assessing, completed=done, rows=done)

            run = import_file(
                session,
                target,
                kind,
                file,
                report_dir=Path(get_settings().data_dir) / "imports",
                preset=preset,
                batch_size=batch_size,
                on_progress=progress,
                on_assess=assessed,
            )
            bar.update(task, completed=size or None)
        seconds = time.perf_counter() - started
        console.print(
            f"created {run.created}, updated {run.updated}, skipped {run.skipped}, failed {run.failed} "
            f"in {seconds:.1f} s"
        )
        if run.failed:
            console.print(f"bad rows (row number and reason): {run.report_path}")

    @importer.command("shopify")
    def import_shopify(
        file: Path = typer.Argument(..., help="Shopify order objects: a JSON array or JSON lines."),
        shop: str = typer.Option(..., "--shop", help="The shop's domain."),
        batch_size: int = typer.Option(1000, help="Rows per committed batch."),
    ) -> None:
        """Import Shopify orders (with customers, lines, refunds); safe to re-run, resumes if interrupted."""
        _run("shopify", file, shop, None, batch_size)

    @importer.command("shopify-disputes")
    def import_shopify_disputes_command(
        file: Path = typer.Argument(
            ...,
            help="Shopify Payments dispute objects: a JSON array or JSON lines.",
            exists=True,
            dir_okay=False,
        ),
        shop: str = typer.Option(..., "--shop", help="The shop's domain."),
    ) -> None:
        """Record a shop's Shopify Payments disputes on their orders, then reassess the customers they touch."""

        with cli_session() as session, Progress(console=console, transient=True) as bar:
            task = bar.add_task("disputes", total=None)
            result = import_shopify_disputes(
                session,
                shop_with_domain(session, shop),
                file,
                actor=CLI,
                progress=lambda done: bar.update(task, completed=done),
            )
        _say_disputes(result)

    @importer.command("disputes")
    def import_disputes_command(
        file: Path = typer.Argument(
            ...,
            help="The gateway's dispute objects as its API lists them: a JSON array or JSON lines.",
            exists=True,
            dir_okay=False,
        ),
        shop: str = typer.Option(..., "--shop", help="The shop's domain."),
        gateway: str = typer.Option(..., "--gateway", help="shopify, stripe, square or paypal"),
    ) -> None:
        """Record a shop's disputes from any gateway on their orders, then reassess the customers they touch."""
        if gateway not in MAPPERS:
            err_console.print(f"[red]--gateway is one of {', '.join(MAPPERS)}, not {gateway!r}[/red]")
            raise typer.Exit(2)
        with cli_session() as session, Progress(console=console, transient=True) as bar:
            task = bar.add_task("disputes", total=None)
            result = import_disputes(
                session,
                shop_with_domain(session, shop),
                file,
                gateway=gateway,
                actor=CLI,
                progress=lambda done: bar.update(task, completed=done),
            )
        _say_disputes(result)

    @importer.command("shopify-products")
    def import_shopify_products(
        file: Path = typer.Argument(
            ...,
            help="Shopify's products CSV export, or JSON lines of product objects.",
            exists=True,
            dir_okay=False,
        ),
        shop: str = typer.Option(..., "--shop", help="The shop's domain."),
    ) -> None:
        """Load a shop's catalogue (one product per variant SKU, flags by the catalogue mapping); safe to re-run."""

        with cli_session() as session, Progress(console=console, transient=True) as progress:
            task = progress.add_task("products", total=None)
            report = import_products(
                session,
                shop_with_domain(session, shop),
                file,
                actor=CLI,
                progress=lambda done: progress.update(task, completed=done),
            )
        r = report.result
        console.print(
            f"{report.products} products read: {r.created} variants created, {r.updated} updated, "
            f"{r.unchanged} unchanged; {len(report.failed)} skipped"
        )
        for row, why in report.failed[:20]:
            err_console.print(f"[red]row {row}[/red] {why}")
        if report.failed:
            raise typer.Exit(1)

    def _run_blocklist(file: Path, shop: str, note: str | None) -> None:

        with cli_session() as session:
            result = import_blocklist(session, shop_with_domain(session, shop), file, actor=CLI, note=note)
            if result.errors:
                session.rollback()
                for row, field, message in result.errors:
                    err_console.print(f"[red]row {row}[/red] {field or ''}: {message}")
                err_console.print("nothing was imported")
                raise typer.Exit(2)
            session.commit()
        console.print(
            f"{result.rows:,} rows: {result.created:,} entries created, {result.duplicates:,} already there"
        )

    @importer.command("csv")
    def import_csv(
        file: Path = typer.Argument(..., help="A CSV file with a header row."),
        kind: str = typer.Option(..., "--kind", help="customers, orders, refunds or blocklist."),
        shop: str = typer.Option(..., "--shop", help="The shop's domain."),
        preset: str | None = typer.Option(None, help="Column preset: woocommerce (orders)."),
        batch_size: int = typer.Option(1000, help="Rows per committed batch."),
        note: str | None = typer.Option(None, help="Blocklist: evidence note for rows that carry none."),
    ) -> None:
        """Import a CSV of customers, orders, refunds or list entries; columns: docs/csv-columns.md.

        Orders, customers and refunds commit in batches and resume where an interrupted run
        stopped; a blocklist is all or nothing: any bad row cancels it.
        """
        if kind == "blocklist":
            _run_blocklist(file, shop, note)
        else:
            _run(kind, file, shop, preset, batch_size)


def _say_disputes(result: DisputeImport) -> None:
    console.print(
        f"{result.recorded} disputes recorded ({result.without_order} on no known order); "
        f"{result.assessed} customers reassessed; {len(result.failed)} rows refused"
    )
    for row, why in result.failed[:20]:
        err_console.print(f"[red]row {row}[/red] {why}")
    if result.failed:
        raise typer.Exit(1)
