"""Integrations: the list with filters and search, one integration's page, and what a key with
`integrations:write` may do there (run an operation, activate, deactivate, test, delete). Each
route declares the same scope as its API twin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session
from interlink.auth.scopes import Principal, Scope
from interlink.console.catalog_form import rotation_fields
from interlink.console.charts import day_charts
from interlink.console.deps import ConsoleDeps, Deps
from interlink.console.notices import back, notice_of
from interlink.console.operation_form import form_fields, parameters_of
from interlink.console.pages import pages_router
from interlink.console.templates import link, render
from interlink.core.errors import InterlinkError
from interlink.core.pagination import PageParams

if TYPE_CHECKING:
    from interlink.integrations.models import Integration

router = pages_router()
STATUSES = ("configured", "active", "inactive", "error")
HEALTHS = ("healthy", "degraded", "unhealthy", "unknown")
_PAGE = 50
_SEARCHED = 1000  # a search reads at most this many integrations
_HISTORY = PageParams(page=1, page_size=20)
_ListQuery = Annotated[str, Query(max_length=200)]


@router.get("/integrations", name="console:integrations")
async def integrations(
    request: Request, principal: IntegrationsRead, session: Session, deps: Deps,
    q: _ListQuery = "", status: _ListQuery = "", type: _ListQuery = "", health: _ListQuery = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:  # fmt: skip
    filters = {"q": q, "status": status, "type": type, "health": health}
    rows, total = await _matching(session, deps, principal.workspace_id, filters, page)
    return render(
        request, "integrations.html", section="integrations", rows=rows, total=total, page=page,
        pages=max(1, -(-total // _PAGE)), filters=filters, statuses=STATUSES, healths=HEALTHS,
    )  # fmt: skip


async def _matching(
    session: AsyncSession, deps: ConsoleDeps, ws: str, filters: dict[str, str], page: int
) -> tuple[list[Integration], int]:
    """A page of the integrations the filters keep. Status and type are the API's filters; a
    search of names and descriptions, and health, look through the first `_SEARCHED`."""
    status, type_ = filters["status"] or None, filters["type"] or None
    needle, health = filters["q"].strip().lower(), filters["health"]
    if not needle and not health:
        rows, total = await deps.integrations.page(
            session,
            ws,
            PageParams(page=page, page_size=_PAGE),
            sort_by="name",
            status=status,
            type_=type_,
        )
        return list(rows), total
    found: list[Integration] = []
    for number in range(1, _SEARCHED // 100 + 1):
        rows, total = await deps.integrations.page(
            session,
            ws,
            PageParams(page=number, page_size=100),
            sort_by="name",
            status=status,
            type_=type_,
        )
        found += [r for r in rows if _matches(r, needle, health)]
        if number * 100 >= total:
            break
    return found[(page - 1) * _PAGE : page * _PAGE], len(found)


def _matches(row: Integration, needle: str, health: str) -> bool:
    text = f"{row.name} {row.description or ''} {row.type}".lower()
    return (not needle or needle in text) and (not health or row.health_status == health)


@router.get("/integrations/{integration_id}", name="console:integration")
async def integration(
    request: Request, integration_id: str, principal: IntegrationsRead, session: Session,
    deps: Deps,
) -> Response:  # fmt: skip
    context = await _detail(session, deps, principal, integration_id)
    notice = notice_of(request.query_params.get("notice", "")[:20])
    return render(request, "integration.html", section="integrations", notice=notice, **context)


async def _detail(
    session: AsyncSession, deps: ConsoleDeps, principal: Principal, integration_id: str
) -> dict[str, Any]:
    ws = principal.workspace_id
    row = await deps.integrations.get(session, ws, integration_id)
    described = await deps.integrations.describe(session, row)
    operations = await deps.operations.available(session, ws, integration_id)
    history, _ = await deps.operations.history(session, ws, integration_id, _HISTORY)
    hours = await deps.health.hourly(session, ws, integration_id)
    return {
        "row": row,
        "described": described,
        "metrics": await deps.health.metrics(session, row),
        "operations": [(o, form_fields(o["parameters"])) for o in operations],
        "history": history,
        "charts": day_charts(hours, deps.clock.now(), "integration"),
        "can_write": principal.allows(Scope.INTEGRATIONS_WRITE),
        "rotation": await rotation_fields(session, deps.integrations, row),
    }


@router.get("/integrations/{integration_id}/history", name="console:integration_history")
async def history(
    request: Request, integration_id: str, principal: IntegrationsRead, session: Session,
    deps: Deps,
) -> Response:  # fmt: skip
    rows, _ = await deps.operations.history(
        session, principal.workspace_id, integration_id, _HISTORY
    )
    return render(request, "_history.html", history=rows)


@router.post("/integrations/{integration_id}/operations/{operation}", name="console:run_operation")
async def run_operation(
    request: Request, integration_id: str, operation: str, principal: IntegrationsWrite,
    deps: Deps,
) -> Response:  # fmt: skip
    # No request transaction, as the API's execute route: the call records its own rows.
    async with deps.db.read() as session:
        offered = await deps.operations.available(session, principal.workspace_id, integration_id)
    action = next((o for o in offered if o["id"] == operation), None)
    fields = form_fields(action["parameters"]) if action else []
    submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    outcome: dict[str, Any] = {"operation": operation}
    try:
        ran = await deps.operations.execute(
            principal, integration_id, operation, parameters_of(submitted, fields)
        )
        outcome.update(status=ran.status, operation_id=ran.id, result=ran.result)
    except InterlinkError as exc:
        outcome.update(status="failed", code=exc.code, message=exc.message)
    if not request.headers.get("hx-request"):
        code = "ran" if outcome["status"] != "failed" else "none"
        return back(request, "console:integration", code, integration_id=integration_id)
    response = render(request, "_run_result.html", outcome=outcome)
    response.headers["HX-Trigger"] = "operation-ran"  # the history reloads itself
    return response


@router.post("/integrations/{integration_id}/activate", name="console:activate")
async def activate(
    request: Request, integration_id: str, principal: IntegrationsWrite, session: Session,
    deps: Deps,
) -> Response:  # fmt: skip
    await deps.integrations.activate(session, principal.workspace_id, integration_id)
    return back(request, "console:integration", "activated", integration_id=integration_id)


@router.post("/integrations/{integration_id}/deactivate", name="console:deactivate")
async def deactivate(
    request: Request, integration_id: str, principal: IntegrationsWrite, session: Session,
    deps: Deps,
) -> Response:  # fmt: skip
    await deps.integrations.deactivate(session, principal.workspace_id, integration_id)
    return back(request, "console:integration", "deactivated", integration_id=integration_id)


@router.post("/integrations/{integration_id}/test", name="console:test")
async def test(
    request: Request, integration_id: str, principal: IntegrationsWrite, deps: Deps
) -> Response:
    result = await deps.health.test(principal, integration_id)
    code = "connection_passed" if result.success else "connection_failed"
    return back(request, "console:integration", code, integration_id=integration_id)


@router.post("/integrations/{integration_id}/delete", name="console:delete")
async def delete(
    request: Request, integration_id: str, principal: IntegrationsWrite, session: Session,
    deps: Deps,
) -> Response:  # fmt: skip
    await deps.integrations.delete(session, principal.workspace_id, integration_id)
    return RedirectResponse(link(request, "console:integrations"), status_code=303)
