"""Base models of the API: snake_case out, camelCase accepted in, RFC 3339 `Z` times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, PlainSerializer
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
