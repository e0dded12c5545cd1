"""The /v1/rules and /v1/named-lists routes: roles, problem details with carets, nothing stored on refusal."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.enums import Role
from storeguard.rules.models import NamedList, PolicyVersion, Rule, RuleVersion

BIG_FIRST = "review if order.total > 500 and customer.orders_count == 0"


def _stored(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(m))
        for m in (Rule, RuleVersion, PolicyVersion, NamedList)
    )


def test_create_and_read_a_rule(client, auth) -> None:  # noqa: ANN001
    admin, viewer = auth(Role.admin), auth(Role.viewer)
    created = client.post(
        "/v1/rules", json={"name": "Big first", "source": BIG_FIRST, "priority": 5}, headers=admin
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["action"], body["version"], body["enabled"], body["priority"]) == ("review", 1, True, 5)
    got = client.get(f"/v1/rules/{body['id']}", headers=viewer)
    assert got.status_code == 200 and got.json()["source"] == BIG_FIRST
    listed = client.get("/v1/rules?limit=500", headers=viewer).json()
    assert body["id"] in [r["id"] for r in listed["items"]]


def test_a_bad_rule_is_a_422_with_position_and_caret_and_nothing_is_stored(client, auth, session) -> None:  # noqa: ANN001
    before = _stored(session)
    r = client.post(
        "/v1/rules", json={"name": "typo", "source": "review if order.totl > 500"}, headers=auth(Role.admin)
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "unknown_field"
    assert body["detail"] == "unknown fact 'order.totl'; did you mean order.total?"
    assert body["position"] == {"line": 1, "column": 11, "offset": 10}
    assert body["caret"] == "review if order.totl > 500\n          ^^^^^^^^^^"
    assert body["field"] == "source"
    assert _stored(session) == before


def test_syntax_and_type_errors_have_their_own_codes(client, auth) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    syntax = client.post("/v1/rules", json={"name": "x", "source": "block if order.total = 5"}, headers=admin)
    types = client.post(
        "/v1/rules", json={"name": "x", "source": "block if order.total > 'x'"}, headers=admin
    )
    assert (syntax.status_code, syntax.json()["code"]) == (422, "rule_syntax_error")
    assert (types.status_code, types.json()["code"]) == (422, "type_mismatch")


def test_validate_answers_ok_or_the_error_and_stores_nothing(client, auth, session) -> None:  # noqa: ANN001
    viewer = auth(Role.viewer)
    before = _stored(session)
    ok = client.post(
        "/v1/rules/validate",
        json={"source": "block if  (email.domain in @disposable_domains)"},
        headers=viewer,
    )
    assert ok.status_code == 200
    assert ok.json() == {
        "ok": True,
        "action": "block",
        "fields_used": ["email.domain"],
        "lists_used": ["disposable_domains"],
        "canonical": "block if email.domain in @disposable_domains",
    }
    bad = client.post("/v1/rules/validate", json={"source": "block if a ==\n  (b"}, headers=viewer)
    assert bad.status_code == 422
    assert bad.json()["position"] == {"line": 2, "column": 5, "offset": 18}
    assert _stored(session) == before


def test_patch_makes_a_new_version_and_versions_lists_them(client, auth) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    rule_id = client.post("/v1/rules", json={"name": "Big", "source": BIG_FIRST}, headers=admin).json()["id"]
    r = client.patch(f"/v1/rules/{rule_id}", json={"source": "block if order.total > 900"}, headers=admin)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["action"] == "block"
    versions = client.get(f"/v1/rules/{rule_id}/versions", headers=auth(Role.viewer)).json()
    assert [(v["version"], v["source"]) for v in versions] == [
        (2, "block if order.total > 900"),
        (1, BIG_FIRST),
    ]


def test_patch_with_bad_text_changes_nothing(client, auth, session) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    rule_id = client.post("/v1/rules", json={"name": "Big", "source": BIG_FIRST}, headers=admin).json()["id"]
    before = _stored(session)
    r = client.patch(f"/v1/rules/{rule_id}", json={"name": "new", "source": "block if"}, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "rule_syntax_error"
    assert client.get(f"/v1/rules/{rule_id}", headers=admin).json()["name"] == "Big"
    assert _stored(session) == before


def test_patch_enabled_switches_the_rule(client, auth) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    rule_id = client.post("/v1/rules", json={"name": "Big", "source": BIG_FIRST}, headers=admin).json()["id"]
    assert (
        client.patch(f"/v1/rules/{rule_id}", json={"enabled": False}, headers=admin).json()["enabled"]
        is False
    )
    disabled = client.get("/v1/rules?enabled=false&limit=500", headers=admin).json()["items"]
    assert rule_id in [r["id"] for r in disabled]


def test_delete_retires_the_rule(client, auth) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    rule_id = client.post("/v1/rules", json={"name": "Big", "source": BIG_FIRST}, headers=admin).json()["id"]
    r = client.delete(f"/v1/rules/{rule_id}?reason=replaced", headers=admin)
    assert r.status_code == 200 and r.json()["deleted_at"] is not None
    assert client.get(f"/v1/rules/{rule_id}", headers=admin).status_code == 404
    assert client.get(f"/v1/rules/{rule_id}/versions", headers=admin).status_code == 200
    listed = [
        r["id"] for r in client.get("/v1/rules?include_deleted=true&limit=500", headers=admin).json()["items"]
    ]
    assert rule_id in listed
    assert rule_id not in [r["id"] for r in client.get("/v1/rules?limit=500", headers=admin).json()["items"]]


def test_viewer_may_read_but_not_change_rules(client, auth, session) -> None:  # noqa: ANN001
    viewer, agent = auth(Role.viewer), auth(Role.agent)
    before = _stored(session)
    assert (
        client.post("/v1/rules", json={"name": "x", "source": BIG_FIRST}, headers=viewer).status_code == 403
    )
    assert client.post("/v1/rules", json={"name": "x", "source": BIG_FIRST}, headers=agent).status_code == 403
    assert client.post("/v1/named-lists", json={"name": "x"}, headers=agent).status_code == 403
    assert client.get("/v1/rules", headers=viewer).status_code == 200
    assert client.get("/v1/rules").status_code == 401
    assert _stored(session) == before


def test_unknown_rule_is_a_404_problem(client, auth) -> None:  # noqa: ANN001
    r = client.patch("/v1/rules/424242", json={"name": "x"}, headers=auth(Role.admin))
    assert r.status_code == 404 and r.json()["code"] == "rule_not_found"


def test_facts_lists_the_catalogue(client, auth) -> None:  # noqa: ANN001
    facts = client.get("/v1/rules/facts", headers=auth(Role.viewer)).json()
    by_name = {f["name"]: f for f in facts}
    assert by_name["order.total"]["type"] == "number"
    assert by_name["order.ip_country"]["nullable"] is True
    assert by_name["velocity.orders_per_ip_24h"]["type"] == "integer"


def test_named_lists_create_update_and_use(client, auth) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    created = client.post(
        "/v1/named-lists",
        json={"name": "high_risk_countries", "values": ["NG", "RU"], "description": "x"},
        headers=admin,
    )
    assert created.status_code == 201 and created.json()["values"] == ["NG", "RU"]
    list_id = created.json()["id"]
    patched = client.patch(f"/v1/named-lists/{list_id}", json={"values": ["NG"]}, headers=admin)
    assert patched.json()["values"] == ["NG"] and patched.json()["revision"] == 2
    assert client.get(f"/v1/named-lists/{list_id}", headers=admin).json()["values"] == ["NG"]
    assert list_id in [n["id"] for n in client.get("/v1/named-lists", headers=admin).json()["items"]]
    ok = client.post(
        "/v1/rules",
        json={"name": "risky", "source": "review if order.ip_country in @high_risk_countries"},
        headers=admin,
    )
    assert ok.status_code == 201
    builtin = client.get("/v1/named-lists/builtin", headers=admin).json()
    assert builtin[0]["name"] == "disposable_domains" and builtin[0]["value_count"] > 1000


def test_named_list_refusals_are_problems_and_store_nothing(client, auth, session) -> None:  # noqa: ANN001
    admin = auth(Role.admin)
    before = _stored(session)
    bad = client.post("/v1/named-lists", json={"name": "Bad Name"}, headers=admin)
    builtin = client.post("/v1/named-lists", json={"name": "disposable_domains"}, headers=admin)
    assert (bad.status_code, bad.json()["code"]) == (422, "named_list_name_invalid")
    assert (builtin.status_code, builtin.json()["code"]) == (422, "named_list_builtin")
    assert client.patch("/v1/named-lists/999999", json={"values": []}, headers=admin).status_code == 404
    assert _stored(session) == before


def test_malformed_body_is_a_validation_problem(client, auth) -> None:  # noqa: ANN001
    r = client.post("/v1/rules", json={"name": "x"}, headers=auth(Role.admin))
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"


def test_a_pattern_re2_refuses_is_a_422_at_the_pattern_and_nothing_is_stored(client, auth, session) -> None:  # noqa: ANN001
    before = _stored(session)
    source = "review if email.local_part.matches(r'(a)\\1')"
    r = client.post("/v1/rules", json={"name": "echo", "source": source}, headers=auth(Role.admin))
    assert (r.status_code, r.json()["code"], r.json()["position"]) == (
        422,
        "invalid_pattern",
        {"line": 1, "column": 36, "offset": 35},
    )
    assert _stored(session) == before


def test_in_range_over_a_list_of_countries_is_a_422_naming_the_value_and_nothing_is_stored(
    client,  # noqa: ANN001
    auth,  # noqa: ANN001
    session,  # noqa: ANN001
) -> None:
    before = _stored(session)
    source = "allow if ip.in_range(['203.0.113.0/24', 'NO'])"
    r = client.post("/v1/rules", json={"name": "office", "source": source}, headers=auth(Role.admin))
    assert (r.status_code, r.json()["code"], r.json()["detail"]) == (
        422,
        "wrong_list_type",
        "'NO' in the list is not an IP address or range (like 203.0.113.0/24)",
    )
    assert _stored(session) == before
