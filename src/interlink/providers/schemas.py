from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, JsonValue

from interlink.core.schemas import ApiInput, ApiOutput
from interlink.providers.registry import TypeName


class ActionSchema(ApiOutput):
    name: str
    description: str
    inputSchema: dict[str, Any]
    outputSchema: dict[str, Any]


class OAuthEndpoints(ApiOutput):
    """Where the provider's OAuth 2.0 authorization-code flow runs, and the scopes it asks."""

    authorize_url: str
    token_url: str = Field(
        description="Where a credential without a token_url of its own is refreshed, for an "
        "integration calling the provider's own API"
    )
    scopes: list[str]


class ConnectorType(ApiOutput):
    type: str
    provider: str | None = Field(
        None, description="A custom provider's key (type `custom`), declared by this workspace"
    )
    name: str
    description: str
    category: str
    auth_methods: list[str]
    default_api_url: str | None
    api_url_hint: str | None = Field(
        None, description="How a custom api_url is given (GitHub Enterprise, a Jira site)"
    )
    docs_url: str | None = Field(None, description="The provider's API reference")
    oauth: OAuthEndpoints | None = None
    actions: list[ActionSchema]


class ConnectorInstanceCreate(ApiInput):
    """A connector instance: an integration by another name (`GET /connectors` without
    `available`)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: TypeName
    credential_id: Annotated[str, Field(max_length=40)] | None = None
    config: dict[str, JsonValue] = Field(default_factory=dict)
    description: Annotated[str, Field(max_length=2000)] | None = None
