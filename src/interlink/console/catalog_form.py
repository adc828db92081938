"""The create form of a catalog entry, built from its provider's facts: its configuration fields
(the base URL, the fields its URL template names, the auth method), and each auth method's
credential fields (write-only password inputs); and the form sent back read as the API's body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.console.forms import json_object
from interlink.integrations.schemas import IntegrationCreate
from interlink.integrations.service import IntegrationService
from interlink.providers.kit.types import IntegrationType, template_fields

if TYPE_CHECKING:
    from interlink.integrations.models import Integration

CREDENTIAL = "credential."  # a credential input is named credential.<auth method>.<field>


@dataclass(frozen=True)
class CreateForm:
    url_fields: tuple[str, ...]
    auth_methods: tuple[str, ...]
    default_auth_method: str
    credentials: dict[str, tuple[str, ...]]
    api_url_required: bool


def create_form(spec: IntegrationType) -> CreateForm:
    template = template_fields(spec.api_url_template or "")
    return CreateForm(
        url_fields=template,
        auth_methods=tuple(spec.auth_methods),
        default_auth_method=spec.default_auth_method,
        credentials={m: credential_fields(spec, m) for m in spec.auth_methods},
        api_url_required=spec.needs_api_url and not template,
    )


def credential_fields(spec: IntegrationType, auth_method: str) -> tuple[str, ...]:
    """The fields an auth method's credential holds, each alternative once, in order."""
    names = [name for group in spec.required_fields(auth_method) for name in group]
    return tuple(dict.fromkeys(names))


def credentials_of(sent: dict[str, str], auth_method: str) -> dict[str, Any]:
    """The credential fields given for `auth_method` (blank ones left out)."""
    prefix = f"{CREDENTIAL}{auth_method}."
    return {k.removeprefix(prefix): v for k, v in sent.items() if k.startswith(prefix) and v}


def body_of(
    type_name: str, provider: str, form: CreateForm, sent: dict[str, str]
) -> tuple[IntegrationCreate | None, str]:
    """The API's create body, or what is wrong with the form, in words."""
    extra, problem = json_object(sent.get("configuration", "").strip() or "{}")
    if extra is None:
        return None, f"Other configuration: {problem}"
    auth = sent.get("auth_method") or form.default_auth_method
    config: dict[str, Any] = {**extra, "auth_method": auth}
    config.update({f: sent[f].strip() for f in form.url_fields if sent.get(f, "").strip()})
    if sent.get("api_url", "").strip():
        config["api_url"] = sent["api_url"].strip()
    if provider:
        config["provider"] = provider
    values = {
        "name": sent.get("name", "").strip(),
        "description": sent.get("description", "").strip() or None,
        "type": type_name,
        "configuration": config,
        "credentials": credentials_of(sent, auth) or None,
    }
    try:
        return IntegrationCreate.model_validate(values), ""
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "form"
        return None, f"{field}: {first['msg']}"


async def rotation_fields(
    session: AsyncSession, integrations: IntegrationService, row: Integration
) -> tuple[str, tuple[str, ...]]:
    """The integration's auth method and the credential fields it takes."""
    spec, _ = await integrations.registry.type_of(
        row.type, row.workspace_id, row.configuration, session
    )
    method = str(row.configuration.get("auth_method", spec.default_auth_method))
    return method, credential_fields(spec, method)
