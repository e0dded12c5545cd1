"""The analytics reports, and why a request for one is refused."""

from enum import StrEnum


class Report(StrEnum):
    traits = "traits"
    returns = "returns"
    disputes = "disputes"
    screening = "screening"
    losses = "losses"
    consistency = "consistency"


class AnalyticsError(StrEnum):
    period_reversed = "period_reversed"
    period_too_long = "period_too_long"
    replay_change_required = "replay_change_required"
    replay_setting_unknown = "replay_setting_unknown"
    replay_value_invalid = "replay_value_invalid"
