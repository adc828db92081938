"""The integration types and the facts the integrations resource needs of each: default base URL,
auth methods, and the credential fields each auth method requires."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

AuthMethod = Literal["api_key", "oauth", "basic", "jwt"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("api_key", "oauth", "basic", "jwt")

# Each inner tuple lists alternatives: one of them must be present.
FieldRule = tuple[tuple[str, ...], ...]
DEFAULT_REQUIRED: Mapping[str, FieldRule] = {
    "api_key": (("api_key",),),
    "oauth": (("access_token",),),
    "basic": (("username",), ("password",)),
    "jwt": (("jwt_token",),),
}


@dataclass(frozen=True)
class IntegrationType:
    type: str
    name: str
    description: str
    default_api_url: str | None = None
    default_auth_method: AuthMethod = "api_key"
    auth_methods: tuple[AuthMethod, ...] = AUTH_METHODS
    required_credentials: Mapping[str, FieldRule] = field(default_factory=lambda: DEFAULT_REQUIRED)
    needs_api_url: bool = False  # no well-known default: the user must give one

    def required_fields(self, auth_method: str) -> FieldRule:
        return self.required_credentials.get(auth_method, DEFAULT_REQUIRED.get(auth_method, ()))

    @property
    def api_hosts(self) -> tuple[str, ...]:
        """Where its credentials may be sent unless told otherwise: its default API URL's host."""
        host = urlsplit(self.default_api_url).hostname if self.default_api_url else None
        return (host,) if host else ()


def _with(**overrides: FieldRule) -> Mapping[str, FieldRule]:
    return {**DEFAULT_REQUIRED, **overrides}


_TYPES = (
    IntegrationType("github", "GitHub", "Repositories, issues and pull requests on GitHub",
                    "https://api.github.com", "oauth"),
    IntegrationType("jira", "Jira", "Issue tracking on Jira", None, "basic", needs_api_url=True),
    IntegrationType("slack", "Slack", "Messages and channels on Slack", "https://slack.com/api",
                    "oauth", required_credentials=_with(oauth=(("bot_token", "access_token"),))),
    IntegrationType("salesforce", "Salesforce", "Salesforce CRM", None, "oauth",
                    needs_api_url=True),
    IntegrationType("zendesk", "Zendesk", "Zendesk support platform", None, "basic",
                    needs_api_url=True),
    IntegrationType("google_workspace", "Google Workspace", "Google Workspace APIs",
                    "https://www.googleapis.com", "oauth"),
    IntegrationType("microsoft_365", "Microsoft 365", "Microsoft Graph",
                    "https://graph.microsoft.com/v1.0", "oauth"),
    IntegrationType("hubspot", "HubSpot", "HubSpot CRM", "https://api.hubapi.com", "oauth"),
    IntegrationType("custom", "Custom", "A custom integration implementation"),
    IntegrationType("http", "HTTP", "Authenticated requests to any HTTP API"),
    IntegrationType("stripe", "Stripe", "Customers, invoices and payments on Stripe",
                    "https://api.stripe.com", "api_key",
                    required_credentials=_with(api_key=(("secret_key", "api_key"),))),
    IntegrationType("discord", "Discord", "Messages on Discord", "https://discord.com/api/v10",
                    "api_key", required_credentials=_with(
                        api_key=(("bot_token", "api_key"),),
                        oauth=(("bot_token", "access_token"),))),
    IntegrationType("smtp", "SMTP", "Email through an SMTP server", None, "basic", ("basic",),
                    {"basic": (("host",), ("port",), ("user", "username"), ("password",))}),
)  # fmt: skip

INTEGRATION_TYPES: Mapping[str, IntegrationType] = {spec.type: spec for spec in _TYPES}


def _known_type(value: str) -> str:
    from interlink.connectors.registry import default_registry  # the registry imports this module

    registry = default_registry()
    if registry.spec(value) is None:
        raise ValueError(f"unknown integration type; known types: {', '.join(registry.types())}")
    return value


# Built-in types and those of installed third-party connectors (the `interlink.connectors` group).
TypeName = Annotated[
    str, Field(min_length=1, max_length=40, examples=["github"]), AfterValidator(_known_type)
]
