"""The integration types and the facts the integrations resource needs of each: default base URL,
auth methods, and the credential fields each auth method requires."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Any, Literal
from urllib.parse import urlsplit

from interlink.core.errors import InvalidIntegrationConfig
from interlink.transport.auth import AllowedHosts

AuthMethod = Literal["api_key", "oauth", "basic", "jwt"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("api_key", "oauth", "basic", "jwt")

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")  # a DNS label
# Each inner tuple lists alternatives: one of them must be present.
FieldRule = tuple[tuple[str, ...], ...]
DEFAULT_REQUIRED: Mapping[str, FieldRule] = {
    "api_key": (("api_key",),),
    "oauth": (("access_token",),),
    "basic": (("username",), ("password",)),
    "jwt": (("jwt_token",),),
}


@dataclass(frozen=True)
class OAuthFacts:
    """Where the provider's OAuth 2.0 authorization-code flow runs, and what it asks for.

    `token_url` is where a credential without a `token_url` of its own is refreshed, for an
    integration whose API is one of `api_hosts` (`*.` patterns; none given: the host of the
    type's default API URL). Another host (GitHub Enterprise Server, a Jira Data Center) runs its
    own OAuth server, so its credentials give their own `token_url`.
    """

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    api_hosts: tuple[str, ...] = ()


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
    api_url_hint: str | None = None  # how a custom base URL is given, e.g. GitHub Enterprise's
    # The base URL made of configuration fields, each one DNS label (Zendesk's
    # "https://{subdomain}.zendesk.com/api/v2"): given them, it is the integration's api_url.
    api_url_template: str | None = None
    oauth: OAuthFacts | None = None
    docs_url: str | None = None

    def required_fields(self, auth_method: str) -> FieldRule:
        return self.required_credentials.get(auth_method, DEFAULT_REQUIRED.get(auth_method, ()))

    def api_url_from(self, configuration: Mapping[str, Any]) -> str | None:
        """The base URL `api_url_template` makes of `configuration`; None without a template or
        its fields. A value that is not one DNS label is INVALID_INTEGRATION_CONFIG."""
        if self.api_url_template is None:
            return None
        try:
            return fill(self.api_url_template, configuration)
        except ValueError as wrong:
            names = wrong.args[0]
            raise InvalidIntegrationConfig(
                f"{self.name}'s {', '.join(names)} must be one DNS label (letters, digits, '-')",
                details=[
                    {"field": f"configuration.{n}", "message": "not a DNS label"} for n in names
                ],
            ) from None

    @property
    def api_hosts(self) -> tuple[str, ...]:
        """Where its credentials may be sent unless told otherwise: `hosts_for` its default API
        URL."""
        return self.hosts_for(self.default_api_url)

    def hosts_for(self, api_url: str | None) -> tuple[str, ...]:
        """Where the credential of an integration calling `api_url` may be sent: that URL's host;
        at the type's default API URL also its OAuth server's `api_hosts`, for a provider whose
        APIs live on several hosts (Google's)."""
        host = urlsplit(api_url).hostname if isinstance(api_url, str) else None
        if not host:
            return ()
        default = urlsplit(self.default_api_url).hostname if self.default_api_url else None
        if self.oauth is None or host != default:
            return (host,)
        return tuple(sorted({host, *self.oauth.api_hosts}))

    def token_url_for(
        self, api_url: str | None, configuration: Mapping[str, Any] | None = None
    ) -> str | None:
        """The provider's own token URL for an integration calling `api_url`; None when it has
        no OAuth facts or its OAuth server does not serve that host. A token URL naming
        configuration fields (Microsoft's `{tenant}`) is made of them: None until each is given
        as a host name (DNS labels), which cannot move the URL elsewhere."""
        if self.oauth is None or not isinstance(api_url, str):
            return None
        served = AllowedHosts.of(self.oauth.api_hosts or self.api_hosts)
        if not served.allows(urlsplit(api_url).hostname):
            return None
        try:
            return fill(self.oauth.token_url, configuration or {}, dotted=True)
        except ValueError:
            return None


def template_fields(template: str) -> tuple[str, ...]:
    """The configuration fields a URL template names (`{subdomain}`, `{tenant}`)."""
    return tuple(name for _, name, _, _ in Formatter().parse(template) if name)


def fill(template: str, configuration: Mapping[str, Any], *, dotted: bool = False) -> str | None:
    """`template` with the configuration's values; None while one is missing. ValueError (with
    the fields' names) for a value that is not one DNS label (`dotted`: a host name, as a
    Microsoft tenant's `contoso.onmicrosoft.com`): a template fixes the URL's domain, and a
    value cannot move it elsewhere."""
    names = template_fields(template)
    if any(configuration.get(name) in (None, "") for name in names):
        return None
    wrong = [n for n in names if not _is_host_part(str(configuration[n]), dotted)]
    if wrong:
        raise ValueError(wrong)
    return template.format(**{n: str(configuration[n]).lower() for n in names})


def _is_host_part(value: str, dotted: bool) -> bool:
    labels = value.split(".") if dotted else [value]
    return all(_LABEL.fullmatch(label) for label in labels)


def with_fields(**overrides: FieldRule) -> Mapping[str, FieldRule]:
    """The default credential fields of each auth method, with `overrides` for some."""
    return {**DEFAULT_REQUIRED, **overrides}
