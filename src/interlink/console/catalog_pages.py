"""Creating an integration from the catalog: the provider types (as `GET
/connectors?available=true` lists them), a type's create form built from its facts, which creates
it as `POST /api/v1/integrations` does; and rotating an integration's credentials, as `PUT
/integrations/{id}/credentials` does. Each route declares the same scope as its API twin."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session
from interlink.auth.scopes import Principal, Scope
from interlink.console.catalog_form import (
    CREDENTIAL,
    CreateForm,
    body_of,
    create_form,
    credentials_of,
)
from interlink.console.deps import ConsoleDeps, Deps
from interlink.console.notices import back
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.errors import InterlinkError, InvalidCredentials, NotFound
from interlink.providers.catalog_service import catalog
from interlink.providers.registry import CUSTOM, default_registry
from interlink.providers.schemas import ConnectorType

router = pages_router()
_Key = Annotated[str, Query(max_length=100)]


@router.get("/catalog", name="console:catalog")
async def catalog_page(
    request: Request, principal: IntegrationsRead, session: Session, deps: Deps
) -> Response:
    types = await _types(session, deps, principal.workspace_id)
    return render(
        request, "catalog.html", section="integrations", types=types,
        can_write=principal.allows(Scope.INTEGRATIONS_WRITE),
    )  # fmt: skip


@router.get("/catalog/{type_name}", name="console:create_integration")
async def create_page(
    request: Request, type_name: str, principal: IntegrationsWrite, session: Session,
    deps: Deps, provider: _Key = "",
) -> Response:  # fmt: skip
    entry, form = await _facts(session, deps, principal, type_name, provider)
    return _form(request, entry, form, {"auth_method": form.default_auth_method})


@router.post("/catalog/{type_name}", name="console:create_integration_post")
async def create(
    request: Request, type_name: str, principal: IntegrationsWrite, deps: Deps,
    provider: Annotated[str, Form(max_length=100)] = "",
) -> Response:  # fmt: skip
    """A problem is said in the form, which keeps what was typed (never a credential)."""
    sent = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    async with deps.db.read() as session:
        entry, form = await _facts(session, deps, principal, type_name, provider)
    kept = {k: v for k, v in sent.items() if not k.startswith(CREDENTIAL)}
    body, error = body_of(type_name, provider, form, sent)
    if body is None:
        return _form(request, entry, form, kept, error, 400)
    try:
        async with deps.db.transaction() as session:
            row = await deps.integrations.create(session, principal, body)
    except InterlinkError as exc:
        return _form(request, entry, form, kept, _told(exc), exc.status_code)
    return back(request, "console:integration", "created", integration_id=row.id)


@router.post("/integrations/{integration_id}/credentials", name="console:rotate_credentials")
async def rotate_credentials(
    request: Request, integration_id: str, principal: IntegrationsWrite, deps: Deps
) -> Response:
    """New credentials for the integration's auth method; the old ones are replaced at once."""
    sent = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        async with deps.db.transaction() as session:
            row = await deps.integrations.get(session, principal.workspace_id, integration_id)
            data = credentials_of(sent, str(row.configuration.get("auth_method", "")))
            if not data:
                raise InvalidCredentials("Give the new credentials")
            await deps.integrations.update_credentials(session, principal, integration_id, data)
    except InvalidCredentials:
        return back(request, "console:integration", "not_rotated", integration_id=integration_id)
    return back(request, "console:integration", "rotated", integration_id=integration_id)


async def _types(session: AsyncSession, deps: ConsoleDeps, ws: str) -> list[ConnectorType]:
    """The catalog, less the bare `custom` type: one is made from a declared provider."""
    declared = await deps.custom_providers.catalog(session, ws)
    built_in = [t for t in catalog(default_registry()) if t.type != CUSTOM.type]
    return sorted([*built_in, *declared], key=lambda t: t.name.lower())


async def _facts(
    session: AsyncSession, deps: ConsoleDeps, principal: Principal, type_name: str, provider: str
) -> tuple[ConnectorType, CreateForm]:
    types = await _types(session, deps, principal.workspace_id)
    entry = next((t for t in types if t.type == type_name and (t.provider or "") == provider), None)
    if entry is None:
        raise NotFound("No such provider type in the catalog")
    config = {"provider": provider} if provider else {}
    spec, _ = await deps.integrations.registry.type_of(
        type_name, principal.workspace_id, config, session
    )
    return entry, create_form(spec)


def _form(
    request: Request, entry: ConnectorType, form: CreateForm, sent: dict[str, str],
    error: str = "", status: int = 200,
) -> Response:  # fmt: skip
    return render(
        request, "create_integration.html", status, section="integrations", entry=entry,
        form=form, sent=sent, error=error,
    )  # fmt: skip


def _told(exc: InterlinkError) -> str:
    """The error's message and the fields it names (never a value)."""
    fields = [
        f"{d['field']}: {d.get('message', '')}".rstrip(": ")
        for d in exc.details or []
        if isinstance(d, dict) and d.get("field")
    ]
    return exc.message + (f" ({'; '.join(fields)})" if fields else "")
