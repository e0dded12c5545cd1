"""A local fake of Shopify's Admin GraphQL endpoint: checks each request's shape, answers like Shopify.

A real HTTP server on 127.0.0.1 in a thread. It refuses a wrong path, token or variable shape
with the status Shopify would use, records every accepted call, and can be told to throttle.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/admin/api/2025-01/graphql.json"
GID = re.compile(r"^gid://shopify/(Order|Customer|LineItem)/\d+$")

# Each mutation: required variables and a checker for their shape.
ENUMS = {
    "reason": {"CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"},
    "riskLevel": {"HIGH", "MEDIUM", "LOW", "NONE", "PENDING"},
    "sentiment": {"NEGATIVE", "NEUTRAL", "POSITIVE"},
    "restockType": {"RETURN", "CANCEL", "NO_RESTOCK", "LEGACY_RESTOCK"},
}


# ShopifyPaymentsDisputeEvidenceUpdateInput's fields.
DISPUTE_EVIDENCE_INPUT = (
    "accessActivityLog",
    "cancellationPolicyDisclosure",
    "cancellationPolicyFile",
    "cancellationRebuttal",
    "customerCommunicationFile",
    "customerEmailAddress",
    "customerFirstName",
    "customerLastName",
    "refundPolicyDisclosure",
    "refundPolicyFile",
    "refundRefusalExplanation",
    "serviceDocumentationFile",
    "shippingAddress",
    "shippingDocumentationFile",
    "submitEvidence",
    "uncategorizedFile",
    "uncategorizedText",
)


def _check(mutation: str, v: dict[str, Any]) -> str | None:
    """Return what is wrong with the variables, or None."""
    if mutation == "orderCancel":
        if not GID.match(str(v.get("orderId"))):
            return "orderId must be an Order gid"
        if v.get("reason") not in ENUMS["reason"]:
            return "reason must be an OrderCancelReason"
        for key in ("refund", "restock"):
            if not isinstance(v.get(key), bool):
                return f"{key} is a required Boolean"
        if "notifyCustomer" in v and not isinstance(v["notifyCustomer"], bool | None):
            return "notifyCustomer must be a Boolean"
        return None
    if mutation in ("tagsAdd", "tagsRemove"):
        if (
            not GID.match(str(v.get("id")))
            or not v.get("tags")
            or not all(isinstance(t, str) for t in v["tags"])
        ):
            return f"{mutation} needs a gid and a non-empty list of strings"
        return None
    if mutation == "refundCreate":
        data = v.get("input") or {}
        if not GID.match(str(data.get("orderId"))):
            return "input.orderId must be an Order gid"
        for line in data.get("refundLineItems") or []:
            if (
                not GID.match(str(line.get("lineItemId")))
                or not isinstance(line.get("quantity"), int)
                or line.get("restockType") not in ENUMS["restockType"]
            ):
                return "refundLineItems need lineItemId, quantity and restockType"
        return None
    if mutation == "orderRiskAssessmentCreate":
        data = v.get("orderRiskAssessmentInput") or {}
        if not GID.match(str(data.get("orderId"))) or data.get("riskLevel") not in ENUMS["riskLevel"]:
            return "orderRiskAssessmentInput needs orderId and riskLevel"
        if not isinstance(data.get("facts"), list) or any(
            f.get("sentiment") not in ENUMS["sentiment"] or not f.get("description") for f in data["facts"]
        ):
            return "facts need description and sentiment"
        return None
    if mutation == "disputeEvidenceUpdate":
        data = v.get("input") or {}
        allowed = set(DISPUTE_EVIDENCE_INPUT)
        if not re.match(r"^gid://shopify/ShopifyPaymentsDisputeEvidence/\d+$", str(v.get("id"))):
            return "id must be a ShopifyPaymentsDisputeEvidence gid"
        unknown = sorted(set(data) - allowed)
        return f"unknown input field {unknown[0]}" if unknown else None
    if mutation == "orderUpdate":
        data = v.get("input") or {}
        return None if GID.match(str(data.get("id"))) else "input.id must be an Order gid"
    return f"unknown mutation {mutation}"


@dataclass
class FakeShopify:
    token: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    throttle_next: int = 0  # answer THROTTLED (HTTP 200, errors) this many times
    too_many_next: int = 0  # answer HTTP 429 with Retry-After this many times
    fail_next: int = 0  # answer HTTP 503 this many times
    user_error_next: int = 0  # answer the mutation's userErrors this many times
    available: int = 1000
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeShopify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _answer(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake.lock:
                    fake._handle(self, raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _cost(self, cost: int = 10) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": cost,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": self.available,
                    "restoreRate": 100.0,
                },
            }
        }

    def _handle(self, h: Any, raw: bytes) -> None:
        if h.path != PATH:
            self.refused.append(f"path {h.path}")
            return h._answer(404, {"errors": "Not Found"})
        if h.headers.get("X-Shopify-Access-Token") != self.token:
            self.refused.append("token")
            return h._answer(401, {"errors": "[API] Invalid API key or access token"})
        if not (h.headers.get("Content-Type") or "").startswith("application/json"):
            self.refused.append("content-type")
            return h._answer(415, {"errors": "Unsupported Media Type"})
        try:
            body = json.loads(raw)
            query, variables = body["query"], body["variables"]
            mutation = re.search(r"^\s*mutation\s+\w+\s*\([^)]*\)\s*\{\s*(\w+)\s*\(", query).group(1)  # type: ignore[union-attr]
        except (ValueError, KeyError, AttributeError):
            self.refused.append("body")
            return h._answer(400, {"errors": [{"message": "Parse error"}]})
        problem = _check(mutation, variables)
        if problem:
            self.refused.append(problem)
            return h._answer(
                200,
                {"errors": [{"message": problem, "extensions": {"code": "argumentLiteralsIncompatible"}}]},
            )
        if self.fail_next:
            self.fail_next -= 1
            return h._answer(503, {"errors": "Service Unavailable"})
        if self.too_many_next:
            self.too_many_next -= 1
            return h._answer(429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "2.0"})
        if self.throttle_next:
            self.throttle_next -= 1
            self.available = 0
            return h._answer(
                200,
                {
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": self._cost(10),
                },
            )
        self.available = 1000
        errors_key = "orderCancelUserErrors" if mutation == "orderCancel" else "userErrors"
        if self.user_error_next:
            self.user_error_next -= 1
            return h._answer(
                200,
                {
                    "data": {
                        mutation: {errors_key: [{"field": None, "message": "Order is already cancelled"}]}
                    },
                    "extensions": self._cost(),
                },
            )
        self.calls.append({"mutation": mutation, "variables": variables})
        result: dict[str, Any] = {errors_key: []}
        if mutation == "orderCancel":
            result["job"] = {"id": f"gid://shopify/Job/{len(self.calls)}", "done": False}
        return h._answer(200, {"data": {mutation: result}, "extensions": self._cost()})
