"""Reading a raw RFC 5322 mail a relay posts: who, threading headers, text and HTML, attachments.

Pure: bytes in, a ``ParsedMail`` out, or an ``Invalid`` naming what is wrong. The relay signs the
raw bytes with HMAC-SHA256 and the shared secret; ``signature_ok`` checks it in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from storeguard.cases.enums import CaseError
from storeguard.cases.policy import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from storeguard.core.errors import Invalid

SIGNATURE_HEADER = "X-Storeguard-Signature"
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_TAGS = re.compile(r"<[^>]*>")
_BLOCKS = re.compile(r"(?is)<(script|style)[^>]*>.*?</\1>")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ParsedMail:
    from_address: str
    from_name: str
    to: list[str]
    subject: str
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    text: str
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, nearest first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references))
        return list(dict.fromkeys(ids))


# Where a reply's quote of the earlier mail begins, as the common mail programs write it.
_QUOTE_HEADER = re.compile(
    r"^(on .{0,200} wrote:|den .{0,200} skrev.{0,40}:|.{0,200} skrev .{0,200}:|-+ ?original message ?-+|"
    r"-+ ?opprinnelig melding ?-+|בתאריך .{0,200} כתב.{0,10}:|在 .{0,200} 写道[:：]|from: .+)\s*$",
    re.IGNORECASE,
)


def own_words(body: str) -> str:
    """The part of a message its writer wrote: quoted lines and the quoted mail below a reply header dropped.

    A polite reply that quotes an earlier abusive mail (or our warning) is judged on its own words.
    """
    kept = []
    for line in body.splitlines():
        header = line.strip()
        # A reply header names a date or an address ("Jeg skrev til dere i går:" is not one).
        if _QUOTE_HEADER.match(header) and (
            header.startswith("-") or "@" in header or any(c.isdigit() for c in header)
        ):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()


def sign(secret: str, body: bytes) -> str:
    """The signature a relay sends: ``sha256=`` and the hex HMAC of the raw mail."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str | None, body: bytes, header: str | None) -> bool:
    """Tell whether the mail was signed with the shared secret (never, while no secret is set)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())


def _ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def html_to_text(html: str) -> str:
    """A readable text of an HTML-only mail: scripts and styles dropped, tags removed, space tidied."""
    text = _BLOCKS.sub(" ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", text)
    text = _TAGS.sub(" ", text)
    text = (
        text.replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#39;", "'")
    )
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw mail; refuse one with no sender, or an attachment too large or of a refused type."""
    if not raw.strip():
        raise Invalid(CaseError.email_malformed, "the mail is empty", field="body")
    try:
        message = BytesParser(policy=email_policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        name, address = parseaddr(str(message.get("From", "")))
    except Exception as exc:  # the email package raises many kinds on broken headers
        raise Invalid(CaseError.email_malformed, f"the mail cannot be read: {exc}", field="body") from None
    if "@" not in address or message.defects and not message.get("From"):
        raise Invalid(CaseError.email_malformed, "the mail has no sender address (From)", field="From")
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    try:
        text = text_part.get_content() if text_part is not None else ""
        html = html_part.get_content() if html_part is not None else None
    except (LookupError, UnicodeError) as exc:
        raise Invalid(
            CaseError.email_malformed, f"the mail's text cannot be decoded: {exc}", field="body"
        ) from None
    if not text.strip() and html:
        text = html_to_text(html)
    attachments = []
    for part in message.iter_attachments():
        content_type = part.get_content_type()
        filename = part.get_filename() or "attachment"
        data = part.get_payload(decode=True) or b""
        if content_type not in ATTACHMENT_TYPES:
            raise Invalid(
                CaseError.attachment_type_refused,
                f"{filename}: attachments of type {content_type} are not taken "
                f"(taken: {', '.join(sorted(ATTACHMENT_TYPES))})",
                field="attachments",
            )
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise Invalid(
                CaseError.attachment_too_large,
                f"{filename} is {len(data)} bytes; the largest attachment taken is {MAX_ATTACHMENT_BYTES}",
                field="attachments",
            )
        attachments.append(Attachment(filename, content_type, data))
    if len(attachments) > MAX_ATTACHMENTS:
        raise Invalid(
            CaseError.attachment_too_large,
            f"at most {MAX_ATTACHMENTS} attachments per mail",
            field="attachments",
        )
    message_ids = _ids(str(message.get("Message-ID", "")))
    in_reply_to = _ids(str(message.get("In-Reply-To", "")))
    return ParsedMail(
        from_address=address.strip().lower(),
        from_name=name.strip(),
        to=[a for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a],
        subject=str(message.get("Subject", "")).strip()[:300],
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_ids(str(message.get("References", ""))),
        text=text.strip(),
        html=html,
        attachments=attachments,
    )
