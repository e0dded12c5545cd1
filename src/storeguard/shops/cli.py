"""``storeguard shops``: add and list shops from the command line."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.table import Table

from storeguard.core.actor import CLI
from storeguard.core.console import cli_session, console, err_console
from storeguard.shops.actions import create_shop, set_catalogue_mapping
from storeguard.shops.enums import Platform
from storeguard.shops.policy import catalogue_mapping as current
from storeguard.shops.schemas import ShopCreate
from storeguard.shops.service import list_shops as query
from storeguard.shops.service import shop_with_domain

shops_app = typer.Typer(help="Add and list the shops storeguard protects.", no_args_is_help=True)


@shops_app.command("add")
def add_shop(
    domain: str = typer.Argument(..., help="The shop's domain, e.g. nordlys-outfitters.myshopify.com."),
    name: str = typer.Option(..., help="The shop's name as staff know it."),
    platform: str = typer.Option(Platform.shopify.value, help="shopify, woocommerce or other."),
    currency: str = typer.Option(..., help="ISO 4217 currency the shop sells in, e.g. NOK."),
    country: str = typer.Option(..., help="ISO 3166-1 alpha-2 home country, e.g. NO."),
) -> None:
    """Add a shop; prints its id. Connect it with `storeguard integrations secrets set --shop DOMAIN`."""

    try:
        data = ShopCreate(name=name, domain=domain, platform=platform, currency=currency, country=country)
    except ValidationError as exc:
        first = exc.errors()[0]
        err_console.print(f"[red]error[/red] {'.'.join(map(str, first['loc']))}: {first['msg']}")
        raise typer.Exit(2) from None
    with cli_session() as session:
        shop = create_shop(session, data=data, actor=CLI)
        session.commit()
        console.print(f"added shop #{shop.id} {shop.name} ({shop.domain}, {shop.platform}, {shop.currency})")


@shops_app.command("list")
def list_shops(
    limit: int = typer.Option(100, min=1, max=500, help="How many to show."),
) -> None:
    """List the shops."""

    with cli_session() as session:
        shops, total = query(session, limit=limit)
    table = Table("id", "name", "domain", "platform", "currency", "country", title=f"{total} shop(s)")
    for shop in shops:
        table.add_row(str(shop.id), shop.name, shop.domain, shop.platform, shop.currency, shop.country)
    console.print(table)


@shops_app.command("catalogue-mapping")
def catalogue_mapping(
    shop: str = typer.Argument(..., help="The shop's domain."),
    high_value_tag: list[str] | None = typer.Option(
        None, help="A platform tag that marks high value (repeat)."
    ),
    limited_edition_tag: list[str] | None = typer.Option(
        None, help="A tag that marks limited edition (repeat)."
    ),
    high_value_type: list[str] | None = typer.Option(
        None, help="A product type that marks high value (repeat)."
    ),
    limited_edition_type: list[str] | None = typer.Option(
        None, help="A product type that marks limited edition."
    ),
) -> None:
    """Show, or change, which platform tags and product types flag products; mirrored products follow."""

    given = {
        "high_value_tags": high_value_tag,
        "limited_edition_tags": limited_edition_tag,
        "high_value_types": high_value_type,
        "limited_edition_types": limited_edition_type,
    }
    with cli_session() as session:
        found = shop_with_domain(session, shop)
        changes = {k: v for k, v in given.items() if v}
        mapping = (
            set_catalogue_mapping(session, shop_id=found.id, mapping=changes, actor=CLI)
            if changes
            else current(found.settings)
        )
        session.commit()
    for key, values in mapping.items():
        console.print(f"{key.replace('_', ' ')}: {', '.join(values) or '-'}")


def register(app: typer.Typer) -> None:
    """Add ``storeguard shops`` to the root app."""
    app.add_typer(shops_app, name="shops")
