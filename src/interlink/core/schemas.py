"""Base models of the API: snake_case out, camelCase accepted in, RFC 3339 `Z` times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasGenerator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
)
from pydantic.alias_generators import to_camel

from interlink.core.clock import rfc3339


def _both_spellings(name: str) -> AliasChoices:
    return AliasChoices(name, to_camel(name))


class ApiInput(BaseModel):
    """A request body: unknown fields are refused, camelCase spellings accepted."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=AliasGenerator(validation_alias=_both_spellings),
        validate_by_name=True,
        validate_by_alias=True,
        str_max_length=100_000,
    )


class ApiOutput(BaseModel):
    model_config = ConfigDict(from_attributes=True)


UtcTime = Annotated[datetime, PlainSerializer(rfc3339, return_type=str, when_used="json")]


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. 2026-01-01T00:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValueError("is out of range once converted to UTC") from None


# A time the API is given (a body field or a query parameter): with a time zone, held in UTC.
ApiTime = Annotated[datetime, AfterValidator(_in_utc)]
