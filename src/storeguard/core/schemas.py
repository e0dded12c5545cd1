"""What every request body shares."""

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """A request body: an unknown field is a 422 naming it, never silently dropped.

    A misspelt optional field ("note" for "notes") would otherwise vanish and the request
    would be judged on what is left.
    """

    model_config = ConfigDict(extra="forbid")
