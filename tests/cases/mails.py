"""Raw mails as a relay posts them, for the cases tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate


def raw_mail(
    body: str,
    *,
    sender: str = "Kari Nordmann <kari@example.no>",
    subject: str = "Bestilling 1001",
    message_id: str = "<m1@example.no>",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """A mail as bytes: plain text (and HTML), threading headers, attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kundeservice@nordlys.example"
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)
