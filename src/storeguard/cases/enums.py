"""Cases and conduct in storeguard's vocabulary."""

from enum import StrEnum


class CaseStatus(StrEnum):
    new = "new"
    open = "open"
    waiting_on_customer = "waiting_on_customer"
    resolved = "resolved"
    closed = "closed"

    @property
    def is_done(self) -> bool:
        return self in (CaseStatus.resolved, CaseStatus.closed)


class CaseChannel(StrEnum):
    email = "email"
    chat = "chat"
    phone = "phone"
    form = "form"


class CasePriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class EntryKind(StrEnum):
    """An entry of the communication log: a message to or from the customer, or a note for the team."""

    inbound = "inbound"
    outbound = "outbound"
    note = "note"


class CaseLinkKind(StrEnum):
    order = "order"
    return_ = "return"
    dispute = "dispute"


class ConductCategory(StrEnum):
    abuse = "abuse"
    legal_threat = "legal_threat"
    physical_threat = "physical_threat"


class IncidentStatus(StrEnum):
    detected = "detected"
    confirmed = "confirmed"
    dismissed = "dismissed"


class CaseQueue(StrEnum):
    """Where a case waits: with the support team, or with whoever answers legal threats."""

    support = "support"
    legal = "legal"


class CaseError(StrEnum):
    case_not_found = "case_not_found"
    incident_not_found = "incident_not_found"
    case_closed = "case_closed"
    body_required = "body_required"
    no_customer_address = "no_customer_address"
    channel_not_allowed = "channel_not_allowed"
    incident_reviewed = "incident_reviewed"
    invalid_status = "invalid_status"
    invalid_priority = "invalid_priority"
    invalid_channel = "invalid_channel"
    invalid_link = "invalid_link"
    link_not_found = "link_not_found"
    unknown_assignee = "unknown_assignee"
    email_unsigned = "email_unsigned"
    email_malformed = "email_malformed"
    attachment_too_large = "attachment_too_large"
    attachment_type_refused = "attachment_type_refused"
    shop_required = "shop_required"
    text_required = "text_required"
    invalid_language = "invalid_language"
    invalid_lexicon = "invalid_lexicon"
    hold_not_found = "hold_not_found"
