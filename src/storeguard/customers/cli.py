"""``storeguard customers``: links between customers, and rebuilding identifiers."""

from __future__ import annotations

import typer

from storeguard.core.console import cli_session, console
from storeguard.customers.service import get_customer, identifiers_of, links_of

# Module level, so another package may add its own customers commands (risk adds ``export``).
customers = typer.Typer(help="Customers, their identifiers and who they are linked to.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the customers commands to the root app."""
    app.add_typer(customers, name="customers")

    @customers.command("links")
    def links(customer_id: int = typer.Argument(..., help="The customer's id.")) -> None:
        """Show who a customer is linked to and which identifiers link them."""

        with cli_session() as session:
            customer = get_customer(session, customer_id)
            result = links_of(session, customer)
            console.print(f"customer #{customer.id} {customer.name or customer.email or ''}".rstrip())
            console.print(f"linked on: {', '.join(result.link_types)}")
            if not result.paths:
                console.print("no linked customers")
            for other, path in sorted(result.paths.items()):
                console.print(f"  #{other}: {path.text()}")
            if result.possible:
                console.print("possible matches (weak links, never linked):")
            for other, path in sorted(result.possible.items()):
                console.print(f"  #{other}: {path.text()}")

    @customers.command("identifiers")
    def identifiers(customer_id: int = typer.Argument(..., help="The customer's id.")) -> None:
        """List the identifiers a customer has used."""

        with cli_session() as session:
            customer = get_customer(session, customer_id)
            for ident in identifiers_of(session, customer.id):
                console.print(f"{ident.type:20} {ident.value}  (first seen {ident.first_seen:%Y-%m-%d})")
