"""A local fake of Stripe's Files and Disputes endpoints: checks each request's shape, answers like Stripe.

A real HTTP server on 127.0.0.1 in a thread. It refuses a wrong key, a file that is not a PDF or
not for dispute evidence, an unknown dispute, an evidence field Stripe does not have, and a second
submission, with Stripe's status codes; it records every accepted call.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

# Stripe's dispute evidence fields (the API reference's ``evidence`` hash).
EVIDENCE_FIELDS = {
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "enhanced_evidence",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
}
KEY = re.compile(r"^evidence\[([a-z_]+)\]")


@dataclass
class FakeStripe:
    api_key: str
    disputes: set[str] = field(default_factory=set)
    files: dict[str, bytes] = field(default_factory=dict)
    submitted: dict[str, dict[str, str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake._handle(self, raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _refuse(self, handler: Any, status: int, message: str) -> None:
        self.refused.append(message)
        handler.answer(status, {"error": {"type": "invalid_request_error", "message": message}})

    def _handle(self, handler: Any, raw: bytes) -> None:
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._refuse(handler, 401, "Invalid API Key provided")
        if handler.path == "/v1/files":
            return self._file(handler, raw)
        match = re.fullmatch(r"/v1/disputes/(dp_[A-Za-z0-9_]+)", handler.path)
        if match is None or match.group(1) not in self.disputes:
            return self._refuse(handler, 404, f"No such dispute: {handler.path}")
        return self._dispute(handler, match.group(1), raw)

    def _file(self, handler: Any, raw: bytes) -> None:
        head = f"Content-Type: {handler.headers.get('Content-Type')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        if "purpose" not in parts or parts["purpose"].get_content().strip() != "dispute_evidence":
            return self._refuse(handler, 400, "purpose must be dispute_evidence")
        data = parts["file"].get_payload(decode=True) if "file" in parts else b""
        if not data.startswith(b"%PDF-"):
            return self._refuse(handler, 400, "the file must be a PDF, JPEG or PNG")
        file_id = f"file_{len(self.files) + 1}"
        self.files[file_id] = data
        handler.answer(
            200, {"id": file_id, "object": "file", "purpose": "dispute_evidence", "size": len(data)}
        )

    def _dispute(self, handler: Any, dispute_id: str, raw: bytes) -> None:
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        unknown = sorted({m.group(1) for k in form if (m := KEY.match(k))} - EVIDENCE_FIELDS)
        if unknown:
            return self._refuse(handler, 400, f"Received unknown parameter: evidence[{unknown[0]}]")
        if form.get("evidence[uncategorized_file]") not in (None, *self.files):
            return self._refuse(handler, 400, "No such file upload")
        if dispute_id in self.submitted:
            return self._refuse(handler, 400, "This dispute is already closed or its evidence was submitted")
        if form.get("submit") == "true":
            self.submitted[dispute_id] = form
        handler.answer(200, {"id": dispute_id, "object": "dispute", "status": "under_review"})
