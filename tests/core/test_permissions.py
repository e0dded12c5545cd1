"""One permission table: a page and the JSON route doing the same work let exactly the same roles in."""

from __future__ import annotations

import pytest

from storeguard.core.enums import Role
from storeguard.core.permissions import PERMISSIONS, Permission, allows
from tests.factories import place_order

# (page method, page path, API method, API path): the same work through the pages and the API.
SAME_WORK = [
    ("GET", "/orders", "GET", "/v1/orders"),
    ("GET", "/orders/{id}", "GET", "/v1/orders/{id}"),
    ("POST", "/orders/{id}/cancel", "POST", "/v1/orders/{id}/cancel"),
    ("POST", "/orders/{id}/refund", "POST", "/v1/orders/{id}/refunds"),
    ("POST", "/orders/{id}/capture", "POST", "/v1/orders/{id}/transactions"),
    ("POST", "/orders/{id}/void", "POST", "/v1/orders/{id}/transactions"),
    ("POST", "/orders/{id}/fulfil", "POST", "/v1/orders/{id}/fulfillments"),
]


def test_the_table_gives_each_permission_its_weakest_role():
    assert dict(PERMISSIONS) == {
        Permission.read: Role.viewer,
        Permission.work_orders: Role.agent,
        Permission.read_audit: Role.admin,
        Permission.review_orders: Role.agent,
        Permission.block_customers: Role.agent,
        Permission.write_rules: Role.admin,
        Permission.manage_integrations: Role.admin,
        Permission.manage_staff: Role.owner,
        Permission.manage_secrets: Role.owner,
        Permission.manage_settings: Role.admin,
        Permission.erase_personal_data: Role.admin,
    }


@pytest.mark.parametrize("role", list(Role))
def test_a_role_has_a_permission_when_it_is_at_least_the_tables_role(role):
    assert [allows(role, p) for p in Permission] == [role.at_least(PERMISSIONS[p]) for p in Permission]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("page_method", "page", "api_method", "api"), SAME_WORK, ids=[w[1] for w in SAME_WORK]
)
def test_a_page_refuses_exactly_the_roles_its_api_route_refuses(
    client, login, auth, session, role, page_method, page, api_method, api
):
    from tests.factories import make_product, make_shop

    shop = make_shop(session)
    order = place_order(session, shop, [(make_product(session, shop), 1)])
    me = login(role)
    headers = auth(role)

    page_answer = client.request(
        page_method, page.format(id=order.id), data={"csrf_token": me.csrf} if page_method == "POST" else None
    )
    api_answer = client.request(
        api_method, api.format(id=order.id), headers=headers, json={} if api_method == "POST" else None
    )

    assert (
        (page_answer.status_code == 403)
        == (api_answer.status_code == 403)
        == (not role.at_least(Role.viewer if page_method == "GET" else Role.agent))
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/orders"),
        ("GET", "/orders/1"),
        ("GET", "/orders/1/cancel"),
        ("POST", "/orders/1/cancel"),
        ("POST", "/orders/1/refund"),
    ],
)
def test_every_order_page_sends_a_visitor_who_is_not_logged_in_to_the_login(client, method, path):
    answer = client.request(method, path, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
