"""How a type's defaults fill a configuration, and what its credentials must hold."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from interlink.core.errors import (
    InvalidCredentials,
    InvalidIntegrationConfig,
    validation_details,
)
from interlink.integrations.schemas import IntegrationConfiguration
from interlink.providers.kit.types import IntegrationType, template_fields
from interlink.vault.grants import (
    TOKEN_URL_FIELDS,
    grant_of,
    key_problem,
    missing_fields,
    own_token_url,
)


def resolve(spec: IntegrationType, config: IntegrationConfiguration) -> dict[str, Any]:
    """The stored configuration: what the user gave, plus the type's base URL and auth method."""
    stored = config.model_dump(mode="json", exclude_none=True)
    stored.setdefault("auth_method", spec.default_auth_method)
    derived = spec.api_url_from(stored)
    if derived is not None:
        stored["api_url"] = derived
    if spec.default_api_url:
        stored.setdefault("api_url", spec.default_api_url)
    if stored["auth_method"] not in spec.auth_methods:
        raise InvalidIntegrationConfig(
            f"{spec.name} integrations support auth_method {', '.join(spec.auth_methods)}",
            details=[
                {"field": "configuration.auth_method", "message": "not supported by this type"}
            ],
        )
    if spec.needs_api_url and "api_url" not in stored:
        fields = (*template_fields(spec.api_url_template or ""), "api_url")
        wanted = [f"configuration.{name}" for name in fields]
        raise InvalidIntegrationConfig(
            f"{spec.name} has no default address: give {' or '.join(wanted)}",
            details=[{"field": field, "message": "required for this type"} for field in wanted],
        )
    return stored


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch: objects merge, null removes a key."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse(document: dict[str, Any]) -> IntegrationConfiguration:
    try:
        return IntegrationConfiguration.model_validate(document)
    except ValidationError as exc:
        details = validation_details(
            exc.errors(include_input=False, include_url=False), prefix="configuration"
        )
        raise InvalidIntegrationConfig(details=details) from None


def check_credentials(spec: IntegrationType, auth_method: str, data: dict[str, Any]) -> None:
    """The fields the auth method needs; or, for a credential that gets its tokens by a grant of
    its own (client credentials, a JWT bearer assertion), the fields of that grant."""
    grant = grant_of(data) if auth_method in ("oauth", "jwt") else None
    if grant in ("client_credentials", "jwt_bearer"):
        missing = missing_fields(grant, data)
        if own_token_url(data) is None and spec.oauth is None:
            missing.append(" or ".join(TOKEN_URL_FIELDS))
    else:
        missing = [
            " or ".join(alternatives)
            for alternatives in spec.required_fields(auth_method)
            if not any(data.get(name) not in (None, "") for name in alternatives)
        ]
    details = [
        {"field": f"credentials.{name.split(' or ')[0]}", "message": f"required: {name}"}
        for name in missing
    ]
    problem = key_problem(data) if grant == "jwt_bearer" else None
    if problem is not None:
        details.append({"field": "credentials.private_key", "message": problem})
    if details:
        needs = f"needs credential fields: {'; '.join(missing)}" if missing else problem
        raise InvalidCredentials(f"auth_method {auth_method} {needs}", details=details)
