"""The signed, expiring token in a block notice's appeal link: it names the block and nothing else.

``<block's random appeal token>.<expiry, unix seconds>.<HMAC-SHA256>``: the random token finds the
block, the expiry ends the link (``appeal_link_days`` after the block), and the signature, made
with the server's key, makes a changed expiry or a made-up token fail before the database is asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storeguard.core.config import Settings, get_settings

KEY_FILE = "appeal-link.key"


def _key(settings: Settings) -> bytes:
    if settings.secret_key:
        return hashlib.sha256(b"appeal-link:" + settings.secret_key.encode()).digest()
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def sign_appeal_token(appeal_token: str, blocked_at: datetime, settings: Settings | None = None) -> str:
    """Return the link token for a block: its random token, when the link ends, and a signature."""
    settings = settings or get_settings()
    expires = int((blocked_at + timedelta(days=settings.appeal_link_days)).timestamp())
    body = f"{appeal_token}.{expires}"
    return f"{body}.{_signature(_key(settings), body)}"


def read_appeal_token(signed: str, at: datetime, settings: Settings | None = None) -> tuple[str | None, str]:
    """Return the block's random token and ``ok``, or None and why not: ``forged`` or ``expired``."""
    settings = settings or get_settings()
    parts = signed.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(signed) > 200:
        return None, "forged"
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(_key(settings), body)):
        return None, "forged"
    if datetime.fromtimestamp(int(parts[1]), UTC) < at:
        return None, "expired"
    return parts[0], "ok"
