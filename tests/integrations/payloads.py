"""The project's own small Shopify and gateway payloads, written for these tests."""

from __future__ import annotations

from typing import Any

BIG_ORDER_ID = 820982911946154508  # beyond 2^53: a float would turn it into ...500
BIG_CUSTOMER_ID = 9007199254740993  # 2^53 + 1


def shopify_order(**overrides: Any) -> dict[str, Any]:
    """A paid NOK order as orders/create delivers it."""
    order: dict[str, Any] = {
        "id": BIG_ORDER_ID,
        "name": "#5001",
        "order_number": 5001,
        "email": "ola.nordmann@example.no",
        "phone": "+4791234567",
        "currency": "NOK",
        "created_at": "2025-03-01T10:00:00+01:00",
        "updated_at": "2025-03-01T10:00:05+01:00",
        "financial_status": "paid",
        "fulfillment_status": None,
        "cancel_reason": None,
        "cancelled_at": None,
        "closed_at": None,
        "subtotal_price": "1299.50",
        "total_tax": "324.88",
        "total_discounts": "100.00",
        "total_price": "1623.38",
        "tags": "vip, repeat",
        "note": "ring the bell",
        "gateway": "shopify_payments",
        "client_details": {"browser_ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
        "payment_details": {
            "credit_card_bin": "454545",
            "credit_card_number": "•••• •••• •••• 4242",
            "credit_card_company": "Visa",
        },
        "shipping_lines": [{"price": "99.00", "title": "Posten"}],
        "line_items": [
            {
                "id": 1000000000000000001,
                "product_id": 7001,
                "variant_id": 8001,
                "title": "Joggesko",
                "variant_title": "42 / Blå",
                "sku": "JOG-42-BLA",
                "quantity": 2,
                "price": "649.75",
                "total_discount": "100.00",
            },
        ],
        "customer": {
            "id": BIG_CUSTOMER_ID,
            "email": "ola.nordmann@example.no",
            "first_name": "Ola",
            "last_name": "Nordmann",
            "phone": "+4791234567",
            "state": "enabled",
            "tags": "",
            "updated_at": "2025-03-01T10:00:00+01:00",
            "created_at": "2024-01-01T00:00:00Z",
        },
        "shipping_address": {
            "first_name": "Ola",
            "last_name": "Nordmann",
            "address1": "Storgata 1",
            "city": "Oslo",
            "zip": "0155",
            "country_code": "NO",
            "phone": "+4791234567",
            "latitude": 59.91,
        },
        "billing_address": {
            "first_name": "Ola",
            "last_name": "Nordmann",
            "address1": "Storgata 1",
            "city": "Oslo",
            "zip": "0155",
            "country_code": "NO",
        },
    }
    order.update(overrides)
    return order


def shopify_refund(**overrides: Any) -> dict[str, Any]:
    """A refund of one of the two shoes, returned and restocked."""
    refund: dict[str, Any] = {
        "id": 3000000000000000001,
        "order_id": BIG_ORDER_ID,
        "created_at": "2025-03-05T12:00:00Z",
        "note": "wrong size",
        "refund_line_items": [
            {
                "id": 1,
                "line_item_id": 1000000000000000001,
                "quantity": 1,
                "restock_type": "return",
                "subtotal": "599.75",
            },
        ],
        "transactions": [
            {
                "id": 4000000000000000001,
                "kind": "refund",
                "amount": "599.75",
                "status": "success",
                "gateway": "shopify_payments",
                "authorization": "re_abc",
                "currency": "NOK",
                "created_at": "2025-03-05T12:00:00Z",
            },
        ],
        "order_adjustments": [],
    }
    refund.update(overrides)
    return refund


RETURN_ID = 945000961
SHOE_LINE_ID = 1000000000000000001  # the shoes' line of shopify_order()


def shopify_fulfillment(**overrides: Any) -> dict[str, Any]:
    """Both shoes of shopify_order() shipped on 2 March 2025."""
    fulfillment: dict[str, Any] = {
        "id": 5000000000000000001,
        "order_id": BIG_ORDER_ID,
        "status": "success",
        "created_at": "2025-03-02T10:00:00Z",
        "line_items": [{"id": SHOE_LINE_ID, "quantity": 2}],
    }
    fulfillment.update(overrides)
    return fulfillment


def shopify_return(**overrides: Any) -> dict[str, Any]:
    """One of the two shoes coming back, too small, as Shopify's returns/* webhooks deliver a Return."""
    rma: dict[str, Any] = {
        "id": RETURN_ID,
        "admin_graphql_api_id": f"gid://shopify/Return/{RETURN_ID}",
        "order": {"id": BIG_ORDER_ID, "admin_graphql_api_id": f"gid://shopify/Order/{BIG_ORDER_ID}"},
        "status": "requested",
        "name": "#5001-R1",
        "total_return_line_items": 1,
        "return_line_items": [
            {
                "id": 77001,
                "admin_graphql_api_id": "gid://shopify/ReturnLineItem/77001",
                "fulfillment_line_item": {
                    "id": 66001,
                    "line_item": {
                        "id": SHOE_LINE_ID,
                        "admin_graphql_api_id": f"gid://shopify/LineItem/{SHOE_LINE_ID}",
                    },
                },
                "quantity": 1,
                "return_reason": "SIZE_TOO_SMALL",
                "return_reason_note": "",
                "customer_note": "Half a size too small",
            }
        ],
    }
    rma.update(overrides)
    return rma
