"""``storeguard analytics replay``: who a proposed threshold would move, before it is changed."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from storeguard.analytics.replay import replay_policy
from storeguard.core.console import cli_session, console, err_console
from storeguard.shops.service import shop_or_only_shop


def register(app: typer.Typer) -> None:
    """Add the ``analytics`` commands to the root app."""
    analytics = typer.Typer(help="What the blocklist and the thresholds do.", no_args_is_help=True)
    app.add_typer(analytics, name="analytics")

    @analytics.command("replay")
    def replay(
        risk: str | None = typer.Option(
            None,
            help='Risk thresholds to try, as JSON: \'{"serial_returning": {"min_ratio_by_count": 0.3}}\'.',
        ),
        score: list[str] = typer.Option([], help="A screening score threshold to try: review=45 (repeat)."),
        shop_id: int | None = typer.Option(None, help="The shop (left out: the only one)."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    ) -> None:
        """Replay proposed thresholds over the customers and open orders; nothing is changed."""
        try:
            risk_changes = json.loads(risk) if risk else None
            scores = {
                step: None if value in {"", "off"} else int(value)
                for step, value in (s.split("=", 1) for s in score)
            }
        except ValueError as exc:
            err_console.print(f"[red]error[/red] {exc}: --risk takes JSON, --score takes step=number")
            raise typer.Exit(2) from None
        with cli_session() as session:
            shop = shop_or_only_shop(session, shop_id)
            result = replay_policy(session, shop.id, risk=risk_changes, score_thresholds=scores or None)
        if as_json:
            moves = [
                {"kind": m.kind, "id": m.id, "label": m.label, "from": m.before, "to": m.after}
                for m in result.moves
            ]
            answer = {
                "customers_assessed": result.customers,
                "orders_replayed": result.orders,
                "counts": result.counts,
                "moves": moves,
            }
            console.print_json(json.dumps(answer, ensure_ascii=False))
            return
        console.print(
            f"{result.customers} customers assessed, {result.orders} open orders decided again",
            highlight=False,
        )
        for move, count in result.counts.items():
            console.print(f"{count:>6}  {move}", highlight=False)
        table = Table("kind", "id", "who", "from", "to", title=f"{len(result.moves)} would move")
        for m in result.moves:
            table.add_row(m.kind, str(m.id), m.label, m.before, m.after)
        console.print(table)
