"""The codes a staff user or login refusal carries."""

from enum import StrEnum


class StaffError(StrEnum):
    staff_user_not_found = "staff_user_not_found"
    invalid_email = "invalid_email"
    email_taken = "email_taken"
    invalid_locale = "invalid_locale"
    weak_password = "weak_password"
    # The last active owner may not be demoted or deactivated: nobody could manage the team.
    last_owner = "last_owner"
    # A login refused: the same answer for an unknown email and a wrong password.
    invalid_credentials = "invalid_credentials"
    account_locked = "account_locked"
    # A page asked for without a live session, or a form without its session's CSRF token.
    login_required = "login_required"
    csrf_token_invalid = "csrf_token_invalid"
