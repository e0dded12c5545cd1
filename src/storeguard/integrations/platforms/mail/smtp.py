"""Sending the outbox's ``email`` messages over SMTP (aiosmtplib), one message per attempt.

A domain queues a mail as a plain payload (to, subject, text, html, language, dir, and for a
reply the ``in_reply_to`` and ``references`` it answers); this module makes the MIME message
(plain text and HTML alternatives, the HTML with its language and writing direction), gives it a
``Message-ID`` (kept on the outbox row, so a later reply can be threaded to it) and hands it to
the server. A refusal the server calls permanent (5xx: no such mailbox, message rejected) kills
the message at once, to be looked at; anything else (4xx, a timeout, the server down) is tried
again later by the outbox. Without ``STOREGUARD_SMTP_HOST`` nothing is sent: mail waits, unlost,
until a server is configured.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import aiosmtplib

from storeguard.core.config import Settings
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import GiveUp, RetryLater

KIND = "email"


def compose(payload: dict[str, Any], *, sender: str, message_id: str) -> EmailMessage:
    """Make the MIME message of one queued mail (refused with GiveUp when it cannot be a mail)."""
    to = str(payload.get("to") or "").strip()
    if not to or "@" not in parseaddr(to)[1] or any(c in to for c in "\r\n"):
        raise GiveUp(f"no usable recipient address: {to!r}")
    subject = str(payload.get("subject") or "").replace("\r", " ").replace("\n", " ").strip()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    for header, key in (
        ("In-Reply-To", "in_reply_to"),
        ("References", "references"),
        ("Reply-To", "reply_to"),
    ):
        value = payload.get(key)
        if value:
            message[header] = " ".join(value) if isinstance(value, list) else str(value)
    message.set_content(str(payload.get("text") or ""))
    if payload.get("html"):
        message.add_alternative(str(payload["html"]), subtype="html")
    if payload.get("language"):
        # After the parts are made: making them moves every Content-* header into the first part.
        message["Content-Language"] = str(payload["language"])
    return message


def _sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def send_email(settings: Settings, outbox_message: OutboxMessage) -> None:
    """Send one queued mail; record its Message-ID on the outbox row."""
    payload = dict(outbox_message.payload or {})
    # Short enough to stay on one header line (a folded one reads back with a leading space).
    message_id = payload.get("message_id") or (
        f"<{outbox_message.id}.{uuid.uuid4().hex[:20]}@{_sender_domain(settings.mail_from)}>"
    )
    message = compose(payload, sender=settings.mail_from, message_id=message_id)
    try:
        _run(_deliver(settings, message))
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        if all(500 <= code < 600 for code in codes):
            raise GiveUp(f"the mail server refused the recipient: {exc.recipients[0]}") from exc
        raise RetryLater(f"the mail server deferred the recipient: {exc.recipients[0]}") from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise GiveUp(f"the mail server refused the message: {exc.code} {exc.message}") from exc
        raise RetryLater(f"the mail server deferred the message: {exc.code} {exc.message}") from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise RetryLater(f"the mail server could not be reached: {type(exc).__name__}: {exc}") from exc
    outbox_message.payload = {**payload, "message_id": message_id}


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run the send to its end from sync code, also from a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="smtp") as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _deliver(settings: Settings, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )


def senders(settings: Settings) -> dict[str, Callable[[OutboxMessage], None]]:
    """The outbox sender for mail, or none while no mail server is configured (mail then waits)."""
    if not settings.smtp_host:
        return {}
    return {KIND: lambda message: send_email(settings, message)}
