from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, JsonValue, field_validator

from interlink.core.schemas import ApiInput, ApiOutput, UtcTime
from interlink.transport.auth import normalize_host

CredentialType = Literal["api_key", "oauth", "basic", "jwt", "token", "custom"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
FieldName = Annotated[str, Field(min_length=1, max_length=100)]
SecretData = Annotated[dict[FieldName, JsonValue], Field(min_length=1, max_length=50)]
Host = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(normalize_host)]
AllowedHosts = Annotated[
    list[Host],
    Field(
        max_length=20,
        description="The hosts this credential may be sent to (`api.example.com`, any port; "
        "`*.example.com` for its subdomains). Left out: its provider's API host",
    ),
    AfterValidator(lambda hosts: sorted(set(hosts))),
]


class CredentialCreate(ApiInput):
    name: Name
    description: Description | None = None
    type: CredentialType
    provider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    data: SecretData
    allowed_hosts: AllowedHosts | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)


class CredentialUpdate(ApiInput):
    """Fields given replace the stored ones; `data` is replaced whole; `allowed_hosts: null` goes
    back to the provider's API host."""

    name: Name | None = None
    description: Description | None = None
    provider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    data: SecretData | None = None
    allowed_hosts: AllowedHosts | None = None
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
    allowed_hosts: list[str] = Field(
        description="Where it may be sent: the hosts given, else its provider's API host "
        "(none: it can be used nowhere until hosts are given)"
    )
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
