"""The audit log page's filters, as the address carries them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class AuditLogFilter(BaseModel):
    """Which audit events to show: who, what, about which subject, and between which days."""

    model_config = ConfigDict(str_strip_whitespace=True)

    actor: str | None = Field(default=None, max_length=200)
    action: str | None = Field(default=None, max_length=100)
    subject_type: str | None = Field(default=None, max_length=50)
    subject_id: str | None = Field(default=None, max_length=100)
    since: date | None = None  # the first day shown, in the pages' time zone
    until: date | None = None  # the last day shown, included
