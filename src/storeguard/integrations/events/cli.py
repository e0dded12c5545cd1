"""``storeguard events ...``: subscribe a URL, list subscriptions and deliveries, replay, unsubscribe."""

from __future__ import annotations

import typer
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console
from storeguard.integrations.events import actions, service
from storeguard.integrations.events.catalog import EVENT_NAMES
from storeguard.shops.service import shop_or_only_shop


def register(app: typer.Typer) -> None:
    """Add the ``events`` commands to the root app."""
    events = typer.Typer(help="Send signed events to the shop's other systems.", no_args_is_help=True)
    app.add_typer(events, name="events")

    @events.command("names")
    def names() -> None:
        """The events a URL can subscribe to."""
        for name in EVENT_NAMES:
            console.print(name, highlight=False)

    @events.command("subscribe")
    def subscribe(
        url: str = typer.Argument(..., help="An http:// or https:// address that takes POSTs."),
        event: list[str] = typer.Option(..., "--event", "-e", help="An event name (repeat for more)."),
        shop_id: int | None = typer.Option(None, help="The shop (left out: the only one)."),
        description: str | None = typer.Option(None),
    ) -> None:
        """Subscribe a URL; prints the signing secret, the only time it is shown."""
        with cli_session() as session:
            shop = shop_or_only_shop(session, shop_id)
            subscription, secret = actions.subscribe(
                session, shop_id=shop.id, url=url, events=event, actor=CLI, description=description
            )
            session.commit()
            console.print(f"subscription #{subscription.id}: {subscription.url}", highlight=False)
            console.print(f"secret (shown once): {secret}", highlight=False, markup=False)

    @events.command("list")
    def list_subscriptions(shop_id: int | None = typer.Option(None)) -> None:
        """The subscriptions, oldest first."""
        with cli_session() as session:
            rows = service.list_subscriptions(session, shop_id=shop_id)
        table = Table("id", "shop", "url", "events", title=f"{len(rows)} subscription(s)")
        for s in rows:
            table.add_row(str(s.id), str(s.shop_id), s.url, ", ".join(s.events))
        console.print(table)

    @events.command("deliveries")
    def deliveries(
        subscription_id: int = typer.Argument(...), limit: int = typer.Option(20, min=1, max=500)
    ) -> None:
        """A subscription's deliveries, newest first, with their state and last answer."""
        with cli_session() as session:
            actions.get_subscription(session, subscription_id)
            rows, total = service.list_deliveries(session, subscription_id, limit=limit)
        table = Table("id", "event", "state", "attempts", "last answer", title=f"{total} delivery(ies)")
        for d in rows:
            last = d.attempts[-1] if d.attempts else None
            answer = "" if last is None else (str(last.status_code) if last.status_code else last.error or "")
            table.add_row(str(d.id), d.event, d.state, str(len(d.attempts)), answer)
        console.print(table)

    @events.command("replay")
    def replay(delivery_id: int = typer.Argument(...)) -> None:
        """Send one delivery again (the worker sends it on its next pass)."""
        with cli_session() as session:
            delivery = actions.replay(session, delivery_id=delivery_id, actor=CLI)
            session.commit()
            console.print(f"delivery #{delivery.id} ({delivery.event}) queued again", highlight=False)

    @events.command("unsubscribe")
    def unsubscribe(subscription_id: int = typer.Argument(...)) -> None:
        """Stop sending events to a subscription's URL."""
        with cli_session() as session:
            actions.unsubscribe(session, subscription_id=subscription_id, actor=CLI)
            session.commit()
            console.print(f"subscription #{subscription_id} deleted", highlight=False)
