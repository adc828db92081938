from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, field_validator

from interlink.core.schemas import ApiInput, ApiOutput, UtcTime

CredentialType = Literal["api_key", "oauth", "basic", "jwt", "token", "custom"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
FieldName = Annotated[str, Field(min_length=1, max_length=100)]
SecretData = Annotated[dict[FieldName, JsonValue], Field(min_length=1, max_length=50)]


class CredentialCreate(ApiInput):
    name: Name
    description: Description | None = None
    type: CredentialType
    provider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    data: SecretData
    metadata: dict[str, JsonValue] = Field(default_factory=dict)


class CredentialUpdate(ApiInput):
    """Fields given replace the stored ones; `data` is replaced whole."""

    name: Name | None = None
    description: Description | None = None
    provider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    data: SecretData | None = None
    metadata: dict[str, JsonValue] | None = None

    @field_validator("name", "metadata")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave it out to keep the stored value")
        return value


class CredentialOut(ApiOutput):
    id: str
    name: str
    description: str | None
    type: str
    provider: str | None
    data: dict[str, Any] = Field(description="Field names with secret values masked")
    readable: bool = Field(
        True, description="False when the stored data cannot be decrypted (see SECRET_UNREADABLE)"
    )
    metadata: dict[str, Any]
    integration_id: str | None = Field(
        description="The integration this inline credential belongs to"
    )
    created_at: UtcTime
    updated_at: UtcTime
    created_by: str


class CredentialDeleted(ApiOutput):
    id: str
    deleted: bool = True
