"""Pure rules of appeals: who may decide one, what a customer may attach, and when an answer is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from storeguard.appeals.enums import AppealError, AppealStatus
from storeguard.core.enums import Role

MAX_MESSAGE_CHARS = 5000

# The file types an appeal takes, told by their first bytes (never by the name or the browser's word).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff(data: bytes) -> str | None:
    """Return the type a file's bytes say it is (PDF, PNG, JPEG, GIF or WebP), or None."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def reviewer_blocker(
    *, blocked_by: str, reviewer: str, reviewer_role: Role, override_reason: str | None
) -> AppealError | None:
    """Four eyes: the person who made the block may not decide its appeal, unless an owner writes why."""
    if blocked_by != reviewer:
        return None
    if reviewer_role != Role.owner:
        return AppealError.own_block
    if not (override_reason or "").strip():
        return AppealError.override_reason_required
    return None


def answer_by(submitted_at: datetime, hours: int) -> datetime:
    """Return the target time to decide an appeal submitted at ``submitted_at``."""
    return submitted_at + timedelta(hours=hours)


def is_overdue(status: AppealStatus, due: datetime, at: datetime) -> bool:
    """Tell whether an open appeal has passed its target time."""
    return status == AppealStatus.open and due < at


def safe_filename(name: str) -> str:
    """Return a file's name without any path, control characters or more than 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"|?*').strip(" .")
    return (cleaned or "file")[:200]
