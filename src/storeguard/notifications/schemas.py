"""Notice templates on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NoticeTemplateRead(BaseModel):
    kind: str
    language: str
    subject: str
    body: str
    custom: bool = Field(description="The merchant's own words (false: the shipped default).")
    variables: dict[str, str] = Field(description="What the template may use, with what each holds.")


class NoticeTemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=20_000)
    body: str = Field(max_length=20_000)


class NoticePreviewRead(BaseModel):
    language: str
    direction: str
    subject: str
    text: str
    html: str


class MailSentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    language: str
    to: str
    subject: str
    status: str
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    last_error: str | None
    outbox_message_id: int
