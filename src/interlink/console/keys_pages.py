"""API keys and workspaces: the keys (never the keys themselves), creating one (shown once, as
the API's answer), its scopes, revoking; the workspace and those it created. Admin only, as the
API's routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import Admin, Session
from interlink.auth.deps import AuthDeps, Deps
from interlink.auth.schemas import ApiKeyCreate, ApiKeyOut, WorkspaceCreate, WorkspaceOut
from interlink.auth.scopes import Principal, Scope
from interlink.console.forms import TIME_HINT, parse_time
from interlink.console.notices import back, notice_of
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.errors import InvalidRequest
from interlink.core.pagination import PageParams

router = pages_router()
_ALL = PageParams(page=1, page_size=100)


@router.get("/api-keys", name="console:api_keys")
async def api_keys(
    request: Request,
    principal: Admin,
    session: Session,
    deps: Deps,
    notice: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return await _page(request, principal, session, deps, notice=notice_of(notice))


@router.post("/api-keys", name="console:api_key_create")
async def create_api_key(
    request: Request,
    principal: Admin,
    session: Session,
    deps: Deps,
    name: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form(max_length=len(Scope))] = None,
    expires_at: Annotated[str, Form(max_length=40)] = "",
    rate_limit: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The new key is on this response's page only, never again."""
    form = {
        "name": name,
        "scopes": scopes or [],
        "expires_at": expires_at,
        "rate_limit": rate_limit,
    }
    body, error = _key_body(form)
    if body is None:
        return await _page(request, principal, session, deps, form=form, error=error, status=400)
    try:
        new = await deps.auth.create_key(
            session, principal, principal.workspace_id, name=body.name, scopes=body.scopes,
            expires_at=body.expires_at, rate_limit=body.rate_limit,
        )  # fmt: skip
    except InvalidRequest as exc:
        return await _page(
            request, principal, session, deps, form=form, error=exc.message, status=400
        )
    return await _page(
        request, principal, session, deps, new_key=new.plaintext, new_key_row=new.row, status=201
    )


@router.post("/api-keys/{key_id}/revoke", name="console:api_key_revoke")
async def revoke_api_key(
    request: Request, key_id: str, principal: Admin, session: Session, deps: Deps
) -> Response:
    await deps.auth.revoke_key(session, principal.workspace_id, key_id)
    return back(request, "console:api_keys", "revoked")


@router.post("/workspaces", name="console:workspace_create")
async def create_workspace(
    request: Request,
    principal: Admin,
    session: Session,
    deps: Deps,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new workspace and its first admin key, shown on this response's page only."""
    try:
        body = WorkspaceCreate(name=name)
    except ValidationError:
        error = "Give the workspace a name."
        return await _page(request, principal, session, deps, workspace_error=error, status=400)
    new = await deps.auth.create_workspace(session, body.name, created_by=principal)
    return await _page(
        request, principal, session, deps, new_workspace=new.workspace,
        new_key=new.admin_key.plaintext, new_key_row=new.admin_key.row, status=201,
    )  # fmt: skip


async def _page(
    request: Request,
    principal: Principal,
    session: AsyncSession,
    deps: AuthDeps,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    keys, total = await deps.auth.list_keys(session, principal.workspace_id, _ALL)
    workspaces, _ = await deps.auth.list_workspaces(session, principal, _ALL)
    extra.setdefault("form", {"name": "", "scopes": [], "expires_at": "", "rate_limit": ""})
    return render(
        request, "api_keys.html", status, section="api_keys", total=total,
        keys=[ApiKeyOut.model_validate(k) for k in keys], scopes=[s.value for s in Scope],
        workspaces=[WorkspaceOut.model_validate(w) for w in workspaces],
        this_workspace=principal.workspace_id, this_key=principal.key_id, **extra,
    )  # fmt: skip


def _key_body(form: dict[str, Any]) -> tuple[ApiKeyCreate | None, str]:
    """The create form as the API's body, or what is wrong with it, in words."""
    expires = parse_time(form["expires_at"]) if form["expires_at"] else None
    if form["expires_at"] and expires is None:
        return None, f"Expires: {TIME_HINT}"
    values = {**form, "expires_at": expires, "rate_limit": form["rate_limit"] or None}
    try:
        return ApiKeyCreate.model_validate(values), ""
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "form"
        return None, f"{field}: {first['msg']}"
