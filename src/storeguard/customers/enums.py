from enum import StrEnum


class AccountState(StrEnum):
    enabled = "enabled"
    disabled = "disabled"
