"""Settings read from the environment (prefix ``STOREGUARD_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may tune without touching code."""

    model_config = SettingsConfigDict(env_prefix="STOREGUARD_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/storeguard.db",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://... in production.",
    )
    redis_url: str | None = Field(default=None, description="Redis for shared velocity counters.")
    secret_key: str | None = Field(
        default=None,
        description="Key that encrypts stored webhook secrets; generated into var/ when unset.",
    )
    data_dir: Path = Field(default=Path("var"), description="Where local files (keys, reports) go.")
    return_photos_dir: Path | None = Field(
        default=None, description="Where photos of returned goods are kept (default: data_dir/return-photos)."
    )
    return_photo_max_bytes: int = Field(default=10 << 20, description="The largest photo a return accepts.")
    refund_arrival_min_business_days: int = 5
    refund_arrival_max_business_days: int = 10
    geoip_database: Path | None = Field(default=None, description="MaxMind-format country database.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers reach this server: the appeal links in notices start with it.",
    )
    appeal_link_days: int = Field(
        default=90, ge=1, le=3650, description="How long a notice's appeal link works."
    )
    appeal_answer_hours: int = Field(default=72, ge=1, description="The target time to decide an appeal.")
    appeal_attachment_max_bytes: int = Field(
        default=5 << 20, ge=1024, description="The largest file an appeal takes."
    )
    appeal_attachments_max: int = Field(
        default=5, ge=0, le=20, description="How many files one appeal takes."
    )
    stripe_api_base_url: str = Field(
        default="https://api.stripe.com", description="Where Stripe's API answers (a fake in tests)."
    )
    sql_echo: bool = False
    background_work: bool = Field(
        default=True,
        description="serve also finishes webhook deliveries and sends outbound calls (off when workers run apart).",
    )
    background_interval_seconds: float = Field(default=1.0, gt=0, le=3600)
    inbox_stale_seconds: int = Field(
        default=300, ge=1, description="A delivery waiting longer than this shows as stale in /healthz."
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="How long a staff login lasts before it must be made again."
    )
    ui_timezone: str = Field(
        default="UTC",
        description="The time zone the admin pages show times in (an IANA name, e.g. Europe/Oslo).",
    )
    max_body_bytes: int = Field(
        default=1 << 20, ge=1024, description="Largest API request body; larger ones answer 413 unread."
    )
    max_upload_bytes: int = Field(
        default=200 << 20,
        ge=1024,
        description="Largest file a page takes (a list import); it is saved under data_dir and imported in the background.",
    )
    smtp_host: str | None = Field(
        default=None, description="Mail server for notices; unset, mail waits in the outbox until it is set."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (port 465) or none (a local relay only)."
    )
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    mail_from: str = Field(
        default="storeguard <noreply@localhost>", description="The From of every mail storeguard sends."
    )
    inbound_email_secret: str | None = Field(
        default=None,
        description="Shared secret the mail relay signs POST /v1/inbound/email with; unset, no mail is taken.",
    )
    erasure_key: str | None = Field(
        default=None,
        description="Secret that hashes an erased customer's identifiers a block still needs (kept out of the database); unset, erasure is refused.",
    )
    erasure_key_file: Path | None = Field(
        default=None, description="A file holding the erasure key, instead of erasure_key."
    )
    events_allow_private_urls: bool = Field(
        default=False,
        description="Let event subscriptions post to private, loopback and other internal addresses (the demo's local receiver); off, they are refused.",
    )
    max_webhook_body_bytes: int = Field(
        default=2 << 20, ge=1024, description="Largest webhook body; larger ones answer 413 unread."
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache to override)."""
    return Settings()
