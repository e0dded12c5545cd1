"""Where an audit event's subject has a page of its own, and the words the log page shows.

A package that adds a page for a kind of subject registers it here (``add_subject_page``), so the
log links every entry to it without knowing the package.
"""

from __future__ import annotations

from storeguard.web.i18n import N_

_SUBJECT_PAGES: dict[str, str] = {
    "order": "/orders/{id}",
    "customer": "/customers/{id}",
    "list_entry": "/lists/{id}",
    "rule": "/rules/{id}",
}
# A subject's kind in words; kinds not named here show as they are stored.
SUBJECT_KINDS = {
    "order": N_("Order"),
    "customer": N_("Customer"),
    "customer_block": N_("Block"),
    "list_entry": N_("List entry"),
    "named_list": N_("Named list"),
    "rule": N_("Rule"),
    "dispute": N_("Dispute"),
    "shop": N_("Shop"),
    "product": N_("Product"),
    "staff_user": N_("Staff user"),
    "api_key": N_("API key"),
    "outbox_message": N_("Outbox message"),
}


def add_subject_page(subject_type: str, pattern: str) -> None:
    """Say where a kind of subject is shown: ``pattern`` holds ``{id}`` (``/rules/{id}``)."""
    _SUBJECT_PAGES[subject_type] = pattern


def subject_page(subject_type: str, subject_id: str) -> str | None:
    """Return the address of a subject's page, or None when it has none."""
    pattern = _SUBJECT_PAGES.get(subject_type)
    if pattern is None or not subject_id.isdigit():
        return None
    return pattern.format(id=subject_id)
