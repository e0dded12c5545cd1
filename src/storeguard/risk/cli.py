"""``storeguard risk ...``: measure the detectors against a ground truth, and explain one customer."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from storeguard.core.config import get_settings
from storeguard.core.console import cli_session, console, err_console
from storeguard.customers import cli as customers_cli
from storeguard.customers.service import cluster_ids
from storeguard.risk import actions, service
from storeguard.risk.evaluation import TARGETS, Evaluation, evaluate
from storeguard.risk.models import CustomerRisk
from storeguard.risk.policy import DEFAULT
from storeguard.shops.service import get_shop_by_domain, shop_or_only_shop, shop_with_domain

DEFAULT_OUT = Path("bench/results/risk_quality.json")
# Where the demo loader writes its ground truth, under the data directory (storeguard.demo's name).
TRUTH_FILE = "demo_ground_truth.json"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _table(result: Evaluation) -> Table:
    table = Table(title="risk findings against the ground truth")
    for name in ("type", "precision", "recall", "support", "flagged"):
        table.add_column(name, justify="left" if name == "type" else "right")
    for name, score in result.per_type.items():
        table.add_row(name, _fmt(score.precision), _fmt(score.recall), str(score.support), str(score.flagged))
    for name, support in result.not_detectable.items():
        table.add_row(f"{name} (not detectable yet)", "-", "-", str(support), "-")
    quiet = sum(result.latent.values())
    if quiet:
        table.add_row("abusers not knowable from the data yet", "-", "-", str(quiet), "-")
    o = result.overall
    table.add_row(
        "abusive vs not", _fmt(o.precision), _fmt(o.recall), str(o.support), str(o.flagged), style="bold"
    )
    return table


def register(app: typer.Typer) -> None:
    """Add the ``risk`` commands to the root app."""
    risk = typer.Typer(
        help="Customer risk: findings with their evidence, and how well they hold.", no_args_is_help=True
    )
    app.add_typer(risk, name="risk")

    @risk.command("evaluate")
    def evaluate_command(
        truth: Path | None = typer.Option(
            None,
            dir_okay=False,
            help="The demo's ground-truth JSON; default the one the demo wrote to the data directory.",
        ),
        shop: str | None = typer.Option(None, help="Shop domain; default the one the truth file names."),
        out: Path = typer.Option(DEFAULT_OUT, help="Where to write the figures (JSON)."),
    ) -> None:
        """Print precision and recall per abuse type, overall, and the honest customers placed in watch or worse."""
        truth = truth or Path(get_settings().data_dir) / TRUTH_FILE
        try:
            data = json.loads(truth.read_text(encoding="utf-8"))
            customers = data["customers"]
        except OSError:
            err_console.print(
                f"[red]error[/red] no ground truth at {truth}: load the demo first (make run, or "
                "storeguard demo), or give --truth"
            )
            raise typer.Exit(2) from None
        except (ValueError, KeyError) as exc:
            err_console.print(f"[red]error[/red] {truth} is not a ground-truth file: {exc}")
            raise typer.Exit(2) from None
        domain = shop or data.get("shop")
        with cli_session() as session:
            found = get_shop_by_domain(session, domain) if domain else None
            if found is None:
                err_console.print(f"[red]error[/red] no shop {domain!r} in this database")
                raise typer.Exit(2)
            started = time.perf_counter()
            assessments = service.assess_shop(session, found.id)
            elapsed = time.perf_counter() - started
            clusters = cluster_ids(session, found.id)
        result = evaluate(assessments, customers, cluster_of=clusters)
        console.print(_table(result))
        for name, (n, total) in result.honest_watch_or_worse.items():
            share = f"{n / total:.2%}" if total else "-"
            console.print(f"{name} customers in watch or worse: {n} of {total} ({share})")
        for trap, (flagged, watched, total) in result.traps.items():
            console.print(
                f"honest customers in the {trap.replace('_', ' ')} trap: {flagged} of {total} with a finding, "
                f"{watched} in watch or worse"
            )
        if result.clusters is not None:
            c = result.clusters
            console.print(
                f"clusters joining unrelated customers: {c.joining_unrelated} of {c.clusters}"
                + (f" (e.g. {', '.join('+'.join(map(str, e)) for e in c.examples)})" if c.examples else "")
            )
        console.print(
            f"assessed {len(assessments):,} customers in {elapsed:.1f} s; targets: precision and recall "
            f">= {TARGETS['precision']}, honest in watch or worse <= {TARGETS['honest_watch_or_worse']:.0%}"
        )
        figures = {
            "shop": found.domain,
            "seed": data.get("seed"),
            "customers": len(customers),
            "orders": data.get("orders"),
            "assessed": len(assessments),
            "seconds": round(elapsed, 2),
            **result.as_dict(),
            "thresholds": DEFAULT,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"figures written to {out}")

    @risk.command("show")
    def show(customer_id: int = typer.Argument(..., help="The customer to explain.")) -> None:
        """Print a customer's figures, findings with their evidence, and how the score adds up."""
        with cli_session() as session:
            a = service.assess_customer(session, customer_id)
        s = a.summary
        console.print(
            f"customer {a.customer_id}: score {a.score}, suggested segment [bold]{a.segment}[/bold]"
        )
        days = "-" if s.median_days_to_return is None else f"{s.median_days_to_return} days"
        console.print(
            f"  {s.orders} orders worth {s.order_value / 100:,.2f}, {s.delivered} delivered, {s.cancelled} cancelled; "
            f"{s.returns} returns ({s.return_ratio_by_count:.0%} of delivered orders, {s.return_ratio_by_value:.0%} "
            f"by value), median {days} from delivery to return; {s.refunds_without_return} refunds without "
            f"a return, {s.not_received_claims} not-received claims, {s.chargebacks} chargebacks; "
            f"true loss {s.true_loss / 100:,.2f}",
            highlight=False,
        )
        if not a.findings:
            console.print("  no findings")
        for f in a.findings:
            console.print(
                f"  [bold]{f.type}[/bold] (confidence {f.confidence:.2f}): {f.words}", highlight=False
            )
            for label, ids in (
                ("orders", f.order_ids),
                ("refunds", f.refund_ids),
                ("disputes", f.dispute_ids),
                ("linked blocked customers", f.customer_ids),
            ):
                if ids:
                    console.print(f"    {label}: {', '.join(map(str, ids))}", highlight=False)
            console.print(f"    thresholds: {json.dumps(f.thresholds, default=str)}", highlight=False)
        for c in a.contributions:
            console.print(f"  {c.words}", highlight=False)

    @risk.command("recompute")
    def recompute(
        shop: str | None = typer.Option(None, help="The shop's domain; the only shop when left out."),
    ) -> None:
        """Assess every customer again and store the scores, findings and suggestions (segments a person set stay)."""
        with cli_session() as session:
            target = shop_with_domain(session, shop) if shop else shop_or_only_shop(session, None)
            started = time.perf_counter()
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("assessing customers", total=None)
                done = actions.recompute_risk(
                    session,
                    shop_id=target.id,
                    progress=lambda n, total: bar.update(task, completed=n, total=total),
                )
            session.commit()
            pending = len(
                actions.pending_suggestions(
                    session.scalars(select(CustomerRisk).where(CustomerRisk.shop_id == target.id))
                )
            )
        console.print(
            f"assessed {done:,} customers of {target.domain} in {time.perf_counter() - started:.1f} s; "
            f"{pending:,} segment suggestion(s) wait for a person"
        )

    @customers_cli.customers.command("export")
    def export(
        format: str = typer.Option("jsonl", "--format", help="jsonl: one customer per line."),
        out: Path | None = typer.Option(None, help="Write here instead of standard output."),
        shop: str | None = typer.Option(None, help="The shop's domain; the only shop when left out."),
    ) -> None:
        """Write each customer: platform id, segment, score, findings (type, confidence), linked customers."""
        if format != "jsonl":
            raise typer.BadParameter("the only format is jsonl", param_hint="--format")
        with cli_session() as session:
            target = shop_with_domain(session, shop) if shop else shop_or_only_shop(session, None)
            lines = (
                json.dumps(row, ensure_ascii=False) + "\n" for row in service.export_rows(session, target.id)
            )
            if out is None:
                for line in lines:
                    print(line, end="")
            else:
                with out.open("w", encoding="utf-8") as handle:
                    handle.writelines(lines)
