"""Pure rules for disputes: which report wins when gateways send events out of order, and CE3.0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storeguard.core.errors import DomainError
from storeguard.customers.normalize import normalize_address
from storeguard.disputes.enums import DisputeReason, DisputeStatus


def report_applies(
    current: DisputeStatus | None,
    last_event_at: datetime | None,
    reported: DisputeStatus,
    occurred_at: datetime | None,
) -> bool:
    """Whether a report may change the dispute's state: an older one never overwrites a newer one.

    ``current`` is None for a dispute seen for the first time. At the same instant, a dispute
    never steps back from an outcome (won, lost, ...) to an open state.
    """
    if current is None or occurred_at is None or last_event_at is None:
        return True
    if occurred_at < last_event_at:
        return False
    return not (occurred_at == last_event_at and current.is_final and not reported.is_final)


# The gateways' reasons (in Stripe's words, which every gateway's mapping speaks) as one reason.
NORMALIZED_REASONS: dict[str, DisputeReason] = {
    "fraudulent": DisputeReason.fraud,
    "unrecognized": DisputeReason.fraud,
    "debit_not_authorized": DisputeReason.fraud,
    "product_not_received": DisputeReason.not_received,
    "product_unacceptable": DisputeReason.not_as_described,
    "duplicate": DisputeReason.duplicate,
    "credit_not_processed": DisputeReason.credit_not_processed,
    "subscription_canceled": DisputeReason.subscription,
}
# When staff are reminded of a dispute's evidence deadline, before it (the merchant may change it).
REMINDER_DAYS: tuple[int, ...] = (5, 2)
# Statuses in which the merchant can still answer.
ANSWERABLE = frozenset({DisputeStatus.warning_needs_response, DisputeStatus.needs_response})


def normalized_reason(reason: str | None) -> DisputeReason:
    """The one reason a gateway's reason stands for (other when it is not one of them)."""
    return NORMALIZED_REASONS.get(reason or "", DisputeReason.other)


def reason_word(reason: DisputeReason) -> str:
    """The gateway word a dispute entered by hand is stored under, so it reads back as ``reason``."""
    return next((word for word, meant in NORMALIZED_REASONS.items() if meant == reason), "general")


def reminder_times(
    due: datetime | None, now: datetime, days: tuple[int, ...] = REMINDER_DAYS
) -> list[tuple[int, datetime]]:
    """The reminders still ahead for a deadline: (days before, when), soonest first; none when past."""
    if due is None:
        return []
    return sorted(
        ((d, due - timedelta(days=d)) for d in days if due - timedelta(days=d) > now), key=lambda x: x[1]
    )


def is_overdue(status: DisputeStatus | str, due: datetime | None, now: datetime) -> bool:
    """A dispute still waiting for an answer after its deadline: it is being lost."""
    return due is not None and due <= now and DisputeStatus(status) in ANSWERABLE


def may_answer(status: DisputeStatus | str, response: str | None) -> bool:
    """Whether the merchant can still accept or contest: open, and not answered yet."""
    return DisputeStatus(status) in ANSWERABLE and response is None


# The amount from which mediation or arbitration is suggested when the shop sets none (minor
# units): below it the network's arbitration fee (often 500 USD or more) outweighs what is won.
ESCALATION_SETTING = "dispute_escalation_threshold"
DEFAULT_ESCALATION_THRESHOLD = 100_000
# Won, accepted or closed disputes have nothing left to take further; a lost one may still go to
# pre-arbitration or arbitration.
_NOT_ESCALATABLE = frozenset(
    {DisputeStatus.won, DisputeStatus.accepted, DisputeStatus.closed, DisputeStatus.warning_closed}
)


def escalation_threshold(shop_settings: dict[str, Any] | None) -> int:
    """The shop's amount (minor units) from which mediation or arbitration is suggested."""
    value = (shop_settings or {}).get(ESCALATION_SETTING)
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else (DEFAULT_ESCALATION_THRESHOLD)
    )


def may_escalate(status: DisputeStatus | str) -> bool:
    """Whether a dispute can still go to mediation or arbitration."""
    return DisputeStatus(status) not in _NOT_ESCALATABLE


def escalation_suggested(
    status: DisputeStatus | str, amount: int, escalation: str | None, threshold: int
) -> bool:
    """Suggest mediation or arbitration for a high-value dispute not yet marked for it."""
    return escalation is None and may_escalate(status) and amount >= threshold


# Visa Compelling Evidence 3.0 (reason code 10.4, card-absent fraud): prior transactions by the
# same cardholder that were not disputed, 120 to 365 days before the dispute.
CE3_DAYS = (120, 365)
# The four elements Visa compares; two must match, and one of those must be the IP or the device.
CE3_ELEMENTS = ("ip", "device", "account", "shipping_address")
CE3_ANCHORS = frozenset({"ip", "device"})
CE3_MIN_PRIOR = 2


@dataclass(frozen=True, slots=True)
class PurchaseFacts:
    """What identified the buyer of one order, as CE3.0 compares it."""

    order_id: int
    placed_at: datetime
    ip: str | None
    device: str | None
    account: str | None  # the customer's account in storeguard
    shipping_address: str | None  # normalized: street, postcode and country, lower case
    disputed: bool = False


def shared_elements(disputed: PurchaseFacts, prior: PurchaseFacts) -> list[str]:
    """Which CE3.0 elements two purchases share, in Visa's order."""
    return [
        name
        for name in CE3_ELEMENTS
        if getattr(disputed, name) is not None and getattr(disputed, name) == getattr(prior, name)
    ]


def ce3_match(shared: list[str]) -> bool:
    """Two elements in common, at least one of them the IP address or the device."""
    elements = CE3_ANCHORS.union(CE3_ELEMENTS).intersection(shared)
    return len(elements) >= 2 and bool(CE3_ANCHORS.intersection(elements))


def in_ce3_window(placed_at: datetime, disputed_at: datetime) -> bool:
    """Whether a prior purchase falls 120 to 365 days before the dispute."""
    age = disputed_at - placed_at
    return timedelta(days=CE3_DAYS[0]) <= age <= timedelta(days=CE3_DAYS[1])


def compelling_evidence_3(
    priors: list[tuple[int, datetime, bool, list[str]]], disputed_at: datetime
) -> set[int]:
    """Of prior purchases (id, placed, disputed, shared elements), those that qualify under CE3.0.

    None qualify unless at least two do: Visa asks for two prior undisputed transactions.
    """
    found = {
        order_id
        for order_id, placed_at, disputed, shared in priors
        if not disputed and in_ce3_window(placed_at, disputed_at) and ce3_match(shared)
    }
    return found if len(found) >= CE3_MIN_PRIOR else set()


def address_key(address: dict[str, Any] | None) -> str | None:
    """One comparable form of a postal address (customers' own key), or None when there is none."""
    if not address or not address.get("address1"):
        return None
    try:
        return normalize_address(address)
    except DomainError:
        return None


def evidence_blocker(
    status: DisputeStatus | str,
    response: str | None,
    submitted_at: datetime | None,
    due: datetime | None,
    now: datetime,
) -> str | None:
    """Why the evidence can no longer be edited or sent (an error code), or None when it can."""
    if submitted_at is not None:
        return "evidence_already_submitted"
    if response == "accepted" or DisputeStatus(status) not in ANSWERABLE:
        return "dispute_closed"
    if due is not None and due <= now:
        return "past_due"
    return None


# The file types every gateway takes as evidence, told by their first bytes (never the name).
FILE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# Stripe takes a dispute evidence file up to 5 MB; the others take more.
MAX_FILE_BYTES = 5_000_000


def sniff_file_type(data: bytes) -> str | None:
    """The content type a file's bytes say it is (PDF, PNG or JPEG), or None for anything else."""
    return next((kind for magic, kind in FILE_SIGNATURES if data.startswith(magic)), None)


def reminder_key_prefix(dispute_id: int) -> str:
    """The outbox key every deadline reminder of one dispute starts with (to find or take them back)."""
    return f"dispute-reminder:{dispute_id}:"
