"""One vocabulary of refusals: every code is an enum member, and one refusal has one name."""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.core.errors import CommonError, DomainError, Invalid, NotFound
from tests.factories import make_product, make_shop
from tests.refusals import refusal, row_counts

SOURCE = Path(__file__).resolve().parents[2] / "src" / "storeguard"
# Where a refusal's code is given: the first argument of an error kind, the second of problem_bytes.
CODE_POSITION = {
    "DomainError": 0,
    "Invalid": 0,
    "NotFound": 0,
    "Conflict": 0,
    "Forbidden": 0,
    "Unauthorized": 0,
    "problem_bytes": 1,
}


def _code_argument(node: ast.Call) -> ast.expr | None:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name not in CODE_POSITION:
        return None
    by_keyword = next((k.value for k in node.keywords if k.arg == "code"), None)
    if by_keyword is not None:
        return by_keyword
    position = CODE_POSITION[name]
    return node.args[position] if len(node.args) > position else None


def _literal_codes() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            code = _code_argument(node) if isinstance(node, ast.Call) else None
            if isinstance(code, ast.Constant | ast.JoinedStr):
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: {ast.unparse(code)}")
    return found


_SNAKE_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def _errors_carrying_a_string_code() -> list[str]:
    """Any exception (``...Error``) whose first argument is a literal that reads like a code."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if (
                name.endswith("Error")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and _SNAKE_CODE.match(first.value)
            ):
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: {name}({first.value!r})")
    return found


def _problem_codes_written_by_hand() -> list[str]:
    """Problem bodies built as dicts (the HTTP layer's own) name their code through CommonError too."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                    found.append(f"{path.relative_to(SOURCE)}:{node.lineno}: {value.value!r}")
    return found


def test_no_refusal_in_the_source_is_raised_with_a_string_for_a_code() -> None:
    assert _literal_codes() == []


def test_no_error_a_refusal_is_made_from_carries_its_code_as_a_string() -> None:
    # A platform's signature error becomes a refusal with the same code: a code outside the enum
    # there would fail on the way, as a 500.
    assert _errors_carrying_a_string_code() == []


def test_no_problem_body_in_the_source_writes_its_code_as_a_string() -> None:
    assert _problem_codes_written_by_hand() == []


def test_the_source_walk_finds_a_literal_code_however_it_is_passed() -> None:
    calls = [
        'Invalid("typo", "m")',
        'errors.NotFound(code="typo", message="m")',
        'Conflict(f"{kind}_taken", "m")',
        'problem_bytes(413, "too_big", "t", "d", "/")',
    ]
    codes = [_code_argument(ast.parse(call, mode="eval").body) for call in calls]  # type: ignore[arg-type]

    assert [ast.unparse(c) for c in codes if c is not None] == [
        "'typo'",
        "'typo'",
        "f'{kind}_taken'",
        "'too_big'",
    ]


def test_a_refusal_with_a_loose_string_for_a_code_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="not a member of an error-code enum"):
        Invalid("typo_code", "never reaches a client")  # type: ignore[arg-type]


def test_a_refusal_keeps_its_enum_members_value_as_its_code() -> None:
    error = NotFound(CommonError.shop_not_found, "no shop 9", field="shop_id")

    assert (error.code, error.status, error.problem()["field"]) == ("shop_not_found", 404, "shop_id")


def test_every_domain_error_enum_is_a_strenum_with_lowercase_values() -> None:
    from storeguard.customers.enums import CustomerErrorCode  # noqa: PLC0415 - the list under test
    from storeguard.demo.errors import DemoError  # noqa: PLC0415
    from storeguard.integrations.errors import IntegrationError  # noqa: PLC0415
    from storeguard.lists.enums import ListErrorCode  # noqa: PLC0415
    from storeguard.orders.errors import OrderError  # noqa: PLC0415
    from storeguard.rules.errors import RuleErrorCode  # noqa: PLC0415
    from storeguard.screening.errors import ScreeningError  # noqa: PLC0415
    from storeguard.shops.errors import ShopError  # noqa: PLC0415

    enums: list[type[StrEnum]] = [
        CommonError,
        CustomerErrorCode,
        DemoError,
        IntegrationError,
        ListErrorCode,
        OrderError,
        RuleErrorCode,
        ScreeningError,
        ShopError,
    ]
    # One refusal has one name in one enum: a shared one lives in CommonError only, and no two
    # domains restate each other's (a customer not found is the customers' wherever it is raised).
    owners: dict[str, list[str]] = {}
    for enum in enums:
        for member in enum:
            owners.setdefault(member.value, []).append(enum.__name__)
    assert {code: names for code, names in owners.items() if len(names) > 1} == {}
    assert all(m.value == m.value.lower() for e in enums for m in e)
    assert issubclass(DomainError, Exception)


def test_every_code_is_raised_with_one_status_wherever_it_is_raised() -> None:
    kinds: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            code = _code_argument(node) if isinstance(node, ast.Call) else None
            if isinstance(code, ast.Attribute) and isinstance(node.func, ast.Name | ast.Attribute):
                kind = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if kind in ("Invalid", "NotFound", "Conflict", "Forbidden", "Unauthorized"):
                    kinds.setdefault(ast.unparse(code), set()).add(kind)

    assert (len(kinds) > 100, {code: k for code, k in kinds.items() if len(k) > 1}) == (True, {})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "post",
            "/v1/orders",
            {"shop_id": 987654, "currency": "NOK", "lines": [{"product_id": 1, "quantity": 1}]},
        ),
        (
            "post",
            "/v1/screen",
            {"shop_id": 987654, "lines": [{"sku": "X", "quantity": 1, "unit_price": 100}]},
        ),
        ("get", "/v1/shops/987654", None),
        ("get", "/v1/screening/settings/987654", None),
        ("post", "/v1/rules", {"shop_id": 987654, "name": "x", "source": "review if order.total > 1"}),
        # A list narrowed to a shop that does not exist is refused, not answered with an empty page.
        ("get", "/v1/orders?shop_id=987654", None),
        ("get", "/v1/customers?shop_id=987654", None),
        ("get", "/v1/customers/link-types?shop_id=987654", None),
        ("get", "/v1/products?shop_id=987654", None),
        ("get", "/v1/lists/entries?shop_id=987654", None),
        ("get", "/v1/reason-codes?shop_id=987654", None),
        ("get", "/v1/rules?shop_id=987654", None),
        ("get", "/v1/named-lists?shop_id=987654", None),
        ("get", "/v1/reviews?shop_id=987654", None),
        ("get", "/v1/audit/verify?shop_id=987654", None),
    ],
)
def test_an_unknown_shop_is_404_shop_not_found_on_every_route(
    client: TestClient, owner_headers: dict[str, str], method: str, path: str, body: dict | None
) -> None:
    answer = client.request(method, path, json=body, headers=owner_headers)

    # A shop named in a body or a query is that field's fault; one in the path is the target itself.
    field = None if path.split("?")[0].endswith("987654") else "shop_id"
    assert (answer.status_code, answer.json()["code"], answer.json().get("field")) == (
        404,
        "shop_not_found",
        field,
    ), answer.json()


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_every_request_body_refuses_fields_it_does_not_know(app: FastAPI) -> None:
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    bodies = {
        ref
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "requestBody" in operation
        for ref in _refs(operation["requestBody"])
    }
    seen: set[str] = set()
    todo = set(bodies)
    while todo:  # the bodies and every object they hold
        name = todo.pop()
        seen.add(name)
        todo |= _refs(schemas[name]) - seen

    lenient = sorted(
        n
        for n in seen
        if schemas[n].get("type") == "object" and schemas[n].get("additionalProperties") is not False
    )
    assert (len(bodies) >= 15, lenient) == (True, [])


def test_every_route_refuses_a_query_parameter_it_does_not_read_and_changes_nothing(
    app: FastAPI, client: TestClient, session: Session, owner_headers: dict[str, str]
) -> None:
    # Left alone: what platforms call (webhooks) and what a load balancer probes (/healthz).
    operations = sorted(
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
        if not path.startswith("/webhooks/") and path != "/healthz"
    )
    checkout = {"shop_id": 1, "lines": [{"sku": "X", "quantity": 1, "unit_price": 100}]}
    before = row_counts(session)

    answers = {
        (method, path): client.request(
            method,
            re.sub(r"\{[^}]+\}", "1", path) + "?no_such_parameter=1",
            json=checkout if path == "/v1/screen" else ({} if method != "GET" else None),
            headers=owner_headers,
        )
        for method, path in operations
    }

    wrong = {
        op: (a.status_code, a.json().get("code"), a.json().get("field"))
        for op, a in answers.items()
        if (a.status_code, a.json().get("code"), a.json().get("field"))
        != (422, "validation_failed", "no_such_parameter")
    }
    assert (len(operations) > 50, wrong) == (True, {})
    assert row_counts(session) == before


def test_a_query_parameter_a_route_reads_is_still_accepted(
    client: TestClient, owner_headers: dict[str, str]
) -> None:
    answer = client.get("/v1/orders?status=open&limit=5&offset=0", headers=owner_headers)

    assert (answer.status_code, answer.json()["limit"]) == (200, 5)


def test_an_unknown_query_parameter_is_refused_only_after_the_key_is_checked(client: TestClient) -> None:
    answer = client.get("/v1/orders?stauts=open")

    assert (answer.status_code, answer.json()["code"]) == (401, "missing_api_key")


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/screen"])
def test_a_customer_the_shop_does_not_have_is_404_customer_not_found_naming_customer_id(
    client: TestClient, session: Session, owner_headers: dict[str, str], path: str
) -> None:
    shop = make_shop(session, currency="USD")
    cap = make_product(session, shop, sku="CAP", price=100, stock=5)
    line = {"product_id": cap.id, "quantity": 1} if path == "/v1/orders" else {"sku": "CAP", "quantity": 1}
    before = row_counts(session)

    answer = client.post(
        path,
        json={"shop_id": shop.id, "currency": "USD", "customer_id": 987654, "lines": [line]},
        headers=owner_headers,
    )

    assert refusal(answer) == (404, "customer_not_found", "customer_id")
    assert row_counts(session) == before
