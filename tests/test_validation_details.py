"""The one converter from a pydantic validation error to our error details."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from interlink.core.errors import validation_details


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inner: Inner


def _errors(document: Any) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        Outer.model_validate(document)
    return list(caught.value.errors(include_input=False, include_url=False))


def test_a_field_is_its_location_joined_with_dots() -> None:
    details = validation_details(_errors({"inner": {"port": "x"}}))
    assert details == [
        {
            "field": "inner.port",
            "message": "Input should be a valid integer, unable to parse string as an integer",
        }
    ]


def test_a_prefix_goes_before_every_field_and_names_the_whole_document() -> None:
    assert validation_details(_errors({"inner": {}}), prefix="configuration")[0]["field"] == (
        "configuration.inner.port"
    )
    assert validation_details(_errors("x"), prefix="configuration")[0]["field"] == "configuration"


def test_an_error_about_the_whole_document_takes_its_name() -> None:
    assert validation_details(_errors("x"))[0]["field"] == ""
    assert validation_details(_errors("x"), whole="parameters")[0]["field"] == "parameters"


def test_an_unknown_field_keeps_pydantics_message_unless_told() -> None:
    errors = _errors({"inner": {"port": 1}, "extra": 1})
    assert validation_details(errors)[0]["message"] == "Extra inputs are not permitted"
    told = validation_details(errors, unknown="is not a known parameter")
    assert told == [{"field": "extra", "message": "is not a known parameter"}]
    named = validation_details(errors, unknown=lambda name: f"{name} is unknown")
    assert named[0]["message"] == "extra is unknown"


def test_a_requests_location_leaves_the_field_for_in() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "inner", "port"), "msg": "Field required"},
        {"type": "missing", "loc": ("body",), "msg": "Field required"},
        {"type": "string_too_long", "loc": ("header", "x-name"), "msg": "too long"},
    ]
    assert validation_details(errors, located=True) == [
        {"field": "inner.port", "in": "body", "message": "Field required", "type": "missing"},
        {"field": "body", "in": "body", "message": "Field required", "type": "missing"},
        {"field": "x-name", "in": "header", "message": "too long", "type": "string_too_long"},
    ]


class Checked(BaseModel):
    url: str

    @field_validator("url")
    @classmethod
    def absolute(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must be an absolute https:// URL")
        return value


def test_a_validators_own_words_come_without_pydantics_label() -> None:
    with pytest.raises(ValidationError) as caught:
        Checked.model_validate({"url": "ftp://x"})

    details = validation_details(caught.value.errors(include_input=False, include_url=False))

    assert details == [{"field": "url", "message": "must be an absolute https:// URL"}]
