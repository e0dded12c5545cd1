"""The returns API: an agent works a return from request to refund; refusals are problems that change nothing."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from storeguard.core.enums import Role
from storeguard.returns.models import Return
from tests.returns.conftest import line_of


def _open(client, auth, order, product, quantity=1):
    return client.post(
        "/v1/returns",
        json={
            "order_id": order.id,
            "reason": "size",
            "lines": [{"line_item_id": line_of(order, product), "quantity": quantity}],
        },
        headers=auth(Role.agent),
    )


def test_an_agent_works_a_return_from_request_to_refund(client, auth, session, shipped, shirt):
    made = _open(client, auth, shipped, shirt, 2).json()
    rid, agent = made["id"], auth(Role.agent)

    steps = [
        client.post(f"/v1/returns/{rid}/authorize", json={}, headers=agent).json()["status"],
        client.post(f"/v1/returns/{rid}/receive", headers=agent).json()["status"],
        client.post(
            f"/v1/returns/{rid}/inspect",
            json={"lines": [{"return_line_id": made["lines"][0]["id"], "condition": "damaged_by_customer"}]},
            headers=agent,
        ).json()["status"],
    ]
    refunded = client.post(f"/v1/returns/{rid}/refund", json={}, headers=agent).json()

    assert steps == ["authorized", "received", "inspected"]
    assert (refunded["status"], refunded["fee"], refunded["refunded"]) == ("partly_refunded", 50_000, 50_000)


def test_a_viewer_reads_returns_but_may_not_open_one(client, auth, session, shipped, shirt):
    _open(client, auth, shipped, shirt)

    listed = client.get("/v1/returns", params={"status": "requested"}, headers=auth(Role.viewer))
    refused = client.post(
        "/v1/returns",
        json={
            "order_id": shipped.id,
            "reason": "size",
            "lines": [{"line_item_id": line_of(shipped, shirt), "quantity": 1}],
        },
        headers=auth(Role.viewer),
    )

    assert (listed.status_code, listed.json()["total"]) == (200, 1)
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).select_from(Return)) == 1


def test_an_unknown_reason_is_a_422_naming_the_field(client, auth, shipped, shirt, session):
    answer = client.post(
        "/v1/returns",
        json={
            "order_id": shipped.id,
            "reason": "bored",
            "lines": [{"line_item_id": line_of(shipped, shirt), "quantity": 1}],
        },
        headers=auth(Role.agent),
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert session.scalar(select(func.count()).select_from(Return)) == 0


def test_too_many_units_is_a_409_problem(client, auth, shipped, shirt, session):
    answer = _open(client, auth, shipped, shirt, 3)

    assert (answer.status_code, answer.json()["code"]) == (409, "quantity_exceeds_returnable")
    assert session.scalar(select(func.count()).select_from(Return)) == 0


def test_a_photo_is_uploaded_and_served_back_without_metadata(client, auth, shipped, shirt):
    rid = _open(client, auth, shipped, shirt).json()["id"]
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, format="PNG")

    made = client.post(
        f"/v1/returns/{rid}/photos",
        content=out.getvalue(),
        headers={**auth(Role.agent), "content-type": "image/png"},
    )
    served = client.get(f"/v1/returns/{rid}/photos/{made.json()['id']}", headers=auth(Role.viewer))

    assert made.status_code == 201
    assert (served.status_code, served.headers["content-type"]) == (200, "image/jpeg")
    assert Image.open(io.BytesIO(served.content)).size == (40, 30)


def test_a_text_file_sent_as_a_photo_is_refused(client, auth, shipped, shirt):
    rid = _open(client, auth, shipped, shirt).json()["id"]

    answer = client.post(
        f"/v1/returns/{rid}/photos",
        content=b"hello",
        headers={**auth(Role.agent), "content-type": "image/jpeg"},
    )

    assert (answer.status_code, answer.json()["code"]) == (422, "photo_not_an_image")
    assert client.get(f"/v1/returns/{rid}", headers=auth(Role.viewer)).json()["photos"] == []


def test_an_admin_changes_the_policy_and_a_bad_change_is_refused(client, auth, shop):
    changed = client.patch(
        "/v1/return-policy", json={"changes": {"window_days": 14}}, headers=auth(Role.admin)
    )
    bad = client.patch("/v1/return-policy", json={"changes": {"window_days": -3}}, headers=auth(Role.admin))
    agent = client.patch("/v1/return-policy", json={"changes": {"window_days": 60}}, headers=auth(Role.agent))

    assert (changed.status_code, changed.json()["policy"]["window_days"], changed.json()["revision"]) == (
        200,
        14,
        1,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_policy")
    assert agent.status_code == 403
    assert client.get("/v1/return-policy", headers=auth(Role.viewer)).json()["policy"]["window_days"] == 14


def test_a_photo_larger_than_an_api_body_is_taken_and_one_over_the_photo_limit_refused(
    client, auth, shipped, shirt, monkeypatch
):
    from storeguard.core.config import get_settings

    rid = _open(client, auth, shipped, shirt).json()["id"]
    noise = io.BytesIO()
    Image.effect_noise((900, 900), 80).convert("RGB").save(
        noise, format="PNG"
    )  # over 1 MB, the API body limit
    big = noise.getvalue()
    taken = client.post(
        f"/v1/returns/{rid}/photos", content=big, headers={**auth(Role.agent), "content-type": "image/png"}
    )
    monkeypatch.setattr(get_settings(), "return_photo_max_bytes", len(big) - 1)

    refused = client.post(
        f"/v1/returns/{rid}/photos", content=big, headers={**auth(Role.agent), "content-type": "image/png"}
    )

    assert len(big) > get_settings().max_body_bytes
    assert taken.status_code == 201
    assert (refused.status_code, refused.json()["code"]) == (422, "photo_too_large")
