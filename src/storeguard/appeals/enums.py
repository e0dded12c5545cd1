"""An appeal's states, the decisions a reviewer can make, and this package's refusals."""

from enum import StrEnum


class AppealStatus(StrEnum):
    open = "open"
    upheld = "upheld"
    lifted = "lifted"
    lifted_with_conditions = "lifted_with_conditions"


class AppealDecision(StrEnum):
    uphold = "uphold"
    lift = "lift"
    lift_with_conditions = "lift_with_conditions"


class AppealCondition(StrEnum):
    """What stays after a block is lifted with conditions."""

    verify_only = "verify_only"  # orders need an extra verification step
    review_only = "review_only"  # a person checks orders before they are sent


DECIDED = {
    AppealDecision.uphold: AppealStatus.upheld,
    AppealDecision.lift: AppealStatus.lifted,
    AppealDecision.lift_with_conditions: AppealStatus.lifted_with_conditions,
}


class AppealError(StrEnum):
    appeal_not_found = "appeal_not_found"
    link_forged = "link_forged"
    link_expired = "link_expired"
    block_not_active = "block_not_active"
    appeal_already_open = "appeal_already_open"
    message_required = "message_required"
    message_too_long = "message_too_long"
    too_many_files = "too_many_files"
    file_too_large = "file_too_large"
    file_type_refused = "file_type_refused"
    already_decided = "already_decided"
    own_block = "own_block"  # four eyes: the person who blocked may not decide the appeal
    override_reason_required = "override_reason_required"
    invalid_decision = "invalid_decision"
    condition_required = "condition_required"
    too_many_requests = "appeal_rate_limited"
    csrf_token_invalid = "appeal_form_expired"
