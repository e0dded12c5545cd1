"""Reading a posted form into a checked shape, and the messages a page shows beside each field.

A form that does not hold is shown again with what was typed, each field at fault marked with
its message, and nothing changed. The messages are the page's language, not Pydantic's English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from storeguard.core.errors import CommonError, DomainError, Invalid
from storeguard.core.money import to_minor
from storeguard.core.schemas import DB_INT_MAX, MONEY_MAX
from storeguard.web.i18n import N_, Speaker
from storeguard.web.refusals import describe

M = TypeVar("M", bound=BaseModel)


# Pydantic's error types, in words a person reads; anything else says the value is not valid.
_MESSAGES = {
    "missing": N_("This field is required."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "greater_than": N_("Enter a larger number."),
    "greater_than_equal": N_("Enter a larger number."),
    "less_than": N_("Enter a smaller number."),
    "less_than_equal": N_("Enter a smaller number."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "string_too_long": N_("This text is too long."),
    "string_too_short": N_("This field is required."),
    "bool_parsing": N_("Choose yes or no."),
    "value_error": N_("This value is not valid."),
}
_NOT_VALID = N_("This value is not valid.")
_NOT_AN_AMOUNT = N_("Enter an amount such as 12.50, no more decimals than the currency has.")


@dataclass
class Form:
    """A form as the browser sent it: the values to show again and the message of each bad field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None  # a refusal of the whole form, shown above it

    def value(self, name: str, default: Any = "") -> Any:
        """Return what was typed in a field, or ``default``."""
        return self.values.get(name, default)

    def checked(self, name: str, default: bool = False) -> bool:
        """Tell whether a checkbox was ticked (``default`` before the form was sent)."""
        return name in self.values if self.values else default

    def error(self, name: str) -> str | None:
        """Return the message of a field at fault, or None."""
        return self.errors.get(name)

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None


async def form_data(request: Request) -> FormData:
    """Read the posted form (read once: the CSRF check and the view share it)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """Run one action in a savepoint: a refusal undoes whatever it began, and nothing else.

    The page then shows the form again from the database as it was.
    """
    with session.begin_nested():
        yield


def whole_number(
    form: Form, name: str, speaker: Speaker, *, minimum: int = 0, maximum: int = DB_INT_MAX
) -> int:
    """Read a whole number from a field (empty is ``minimum``); mark the field when it is not one."""
    text = str(form.value(name, "")).strip()
    if not text:
        return minimum
    try:
        value = int(text)
    except ValueError:
        form.errors[name] = speaker.gettext(_MESSAGES["int_parsing"])
        return minimum
    if value < minimum:
        form.errors[name] = speaker.gettext(_MESSAGES["greater_than_equal"])
    elif value > maximum:
        form.errors[name] = speaker.gettext(_MESSAGES["less_than_equal"])
    return value


def money(form: Form, name: str, currency: str, speaker: Speaker) -> int | None:
    """Read an amount ("12.50") into minor units of ``currency``; empty is None; mark the field when wrong."""
    text = str(form.value(name, "")).strip().replace(" ", "").replace("\xa0", "")
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # "12,50", as Norwegian keyboards write it
    try:
        value = to_minor(text, currency, field=name)
    except DomainError:
        form.errors[name] = speaker.gettext(_NOT_AN_AMOUNT)
        return None
    if not 0 <= value <= MONEY_MAX:
        form.errors[name] = speaker.gettext(_NOT_AN_AMOUNT)
        return None
    return value


def query_filters(model: type[M]) -> Callable[[Request], M]:
    """Build the dependency that reads a list's filters from the address; an empty field means any.

    A search form sends its empty selects (``status=``): for a page that is "any status", not a
    value to refuse. A value that does not hold answers the 422 page.
    """

    def dependency(request: Request) -> M:
        given = {k: v for k, v in request.query_params.items() if v != "" and k in model.model_fields}
        try:
            return model.model_validate(given)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first.get("loc", ())) or None
            raise Invalid(
                CommonError.validation_failed, first.get("msg", "invalid filter"), field=field
            ) from None

    return dependency


def sent(data: FormData | Mapping[str, Any]) -> Form:
    """Return a form holding what was sent (files left out), for showing it again."""
    return Form(values={k: v for k, v in data.items() if isinstance(v, str)})


def check(model: type[M], data: Mapping[str, Any], speaker: Speaker, form: Form) -> M | None:
    """Validate ``data`` into ``model``; on failure mark each bad field of ``form`` and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(part) for part in error.get("loc", ())) or "__all__"
            form.errors.setdefault(name, speaker.gettext(_MESSAGES.get(error.get("type", ""), _NOT_VALID)))
        return None


def refuse(form: Form, error: DomainError, speaker: Speaker) -> Form:
    """Mark ``form`` with a domain refusal: at its field when it names one, else above the form."""
    text = describe(error, speaker)
    if error.field:
        form.errors[error.field] = text
    else:
        form.message = text
    return form
