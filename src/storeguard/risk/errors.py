"""The codes risk reads refuse with."""

from enum import StrEnum


class RiskError(StrEnum):
    customer_not_found = "customer_not_found"
    shop_not_found = "shop_not_found"
    truth_unreadable = "truth_unreadable"
    block_through_dialog = "block_through_dialog"
