"""Schemathesis over the whole OpenAPI with an owner key: no 5xx, and every answer as documented."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storeguard.core.enums import Role

EXAMPLES_PER_OPERATION = 15


def not_a_server_error(ctx, response, case):  # noqa: ANN001, ANN201
    """Fail on any 5xx answer."""
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code}: {response.text[:300]}")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _fuzz(operation, headers: dict[str, str]) -> str | None:  # noqa: ANN001
    """Run one operation's generated cases; return the first failure, or None."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:  # noqa: ANN001
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is collected and reported
        return f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}"
    return None


def test_every_operation_answers_as_documented_and_never_5xx(app, auth, session):  # noqa: ANN001
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth(Role.owner)
    session.commit()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 70
    failures = [failure for op in operations if (failure := _fuzz(op, headers)) is not None]
    assert not failures, "\n\n".join(failures)
