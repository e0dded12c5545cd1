"""Dispute evidence sent to Stripe through the outbox: the pack PDF uploaded, then the evidence submitted.

The disputes domain publishes ``dispute.evidence_submitted`` with the evidence fields it checked
against Stripe's limits; this module subscribes, queues one ``stripe`` message per dispute, and
the worker sends it after the commit: first the pack as a File (purpose ``dispute_evidence``),
then ``POST /v1/disputes/{id}`` with the ``evidence`` hash and ``submit=true``. Idempotency keys
make a retried message one upload and one submission at Stripe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy.orm import Session

from storeguard.core.config import get_settings
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import GiveUp, RetryLater, enqueue
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.fields import PACK_FILE
from storeguard.disputes.pdf import render_pack_pdf
from storeguard.disputes.service import file_bytes, get_dispute
from storeguard.integrations.enums import SecretName, SecretScope
from storeguard.integrations.secrets import get_secret

KIND = "stripe"
EVENT = "dispute.evidence_submitted"


def on_event(session: Session, message: OutboxMessage) -> None:
    """Queue the Stripe submission for a Stripe dispute's evidence; other events are not Stripe's."""
    event = message.payload
    data = event.get("data") or {}
    if event.get("name") != EVENT or data.get("gateway") != "stripe":
        return
    enqueue(
        session,
        KIND,
        {
            "dispute_id": event["subject_id"],
            "gateway_dispute_id": data["gateway_dispute_id"],
            "evidence": data["evidence"],
        },
        dedupe_key=f"stripe:dispute-evidence:{event['subject_id']}",
    )


def form_fields(value: Any, prefix: str) -> list[tuple[str, str]]:
    """Flatten a nested hash into Stripe's form encoding: ``evidence[a][b][0][c]=...``."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in form_fields(v, f"{prefix}[{k}]")]
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in form_fields(v, f"{prefix}[{i}]")]
    return [(prefix, "true" if value is True else "false" if value is False else str(value))]


Transport = Callable[..., httpx.Response]


def _post(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(url, timeout=30, **kwargs)


def send(
    session: Session, message: OutboxMessage, transport: Transport = _post, base_url: str | None = None
) -> None:
    """Upload the pack PDF, then submit the evidence; RetryLater when throttled, GiveUp when refused."""
    payload = message.payload
    key = get_secret(session, scope=SecretScope.gateway, owner="stripe", name=SecretName.api_key)
    if key is None:
        raise GiveUp("no Stripe API key: add it as the stripe gateway's api_key secret")
    base = (base_url or get_settings().stripe_api_base_url).rstrip("/")
    auth = {"Authorization": f"Bearer {key.current}"}
    dispute = get_dispute(session, payload["dispute_id"])
    file_id = payload.get("file_id")
    if file_id is None:
        pdf = render_pack_pdf(build_evidence_pack(session, dispute), files=file_bytes(session, dispute.id))
        uploaded = _checked(
            transport(
                f"{base}/v1/files",
                headers={**auth, "Idempotency-Key": f"storeguard-dispute-{dispute.id}-pack"},
                data={"purpose": "dispute_evidence"},
                files={"file": (f"dispute-{dispute.id}-evidence.pdf", pdf, "application/pdf")},
            )
        )
        file_id = uploaded["id"]
        message.payload = payload = {**payload, "file_id": file_id}  # a retry does not upload again
    evidence = {k: (file_id if v == PACK_FILE else v) for k, v in payload["evidence"].items()}
    result = _checked(
        transport(
            f"{base}/v1/disputes/{payload['gateway_dispute_id']}",
            headers={
                **auth,
                "Idempotency-Key": f"storeguard-dispute-{dispute.id}-submit",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            content=urlencode([*form_fields(evidence, "evidence"), ("submit", "true")]).encode(),
        )
    )
    message.payload = {**payload, "result": {"id": result.get("id"), "status": result.get("status")}}


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 429:
        raise RetryLater("Stripe answered 429 Too Many Requests", timedelta(seconds=2))
    if response.status_code >= 500:
        raise RuntimeError(f"Stripe answered {response.status_code}")
    if response.status_code >= 400:
        raise GiveUp(f"Stripe refused the call with {response.status_code}: {response.text[:300]}")
    return response.json()


def senders(session: Session, transport: Transport = _post) -> dict[str, Callable[[OutboxMessage], None]]:
    """Return the outbox senders this module provides, bound to ``session``."""
    return {KIND: lambda message: send(session, message, transport)}
