"""Export and import, and the lists as CSV, in the console.

The bundle is made and read by the same `TransferService` as `GET /api/v1/export` and `POST
/api/v1/import`, with the same scopes: an import is first a dry run whose plan is shown, then
applied with the conflict policy chosen. The API's CSV routes need an API key, which a browser
does not hold: the same route functions are mounted here under the console's session."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast, get_args

from fastapi import Form, Request, Response, UploadFile

from interlink.api.deps import IntegrationsRead, Session
from interlink.auth.scopes import Principal, Scope
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.errors import InvalidRequest
from interlink.transfer import csv_lists as api
from interlink.transfer.deps import Deps, TransferDeps, transfer_of
from interlink.transfer.schemas import Policy
from interlink.transfer.service import EXPORT_SCOPES

router = pages_router()
BUNDLE_MAX = 10 * 1024 * 1024  # bytes of an uploaded bundle
POLICIES: tuple[str, ...] = get_args(Policy)
_Passphrase = Annotated[str, Form(max_length=1024)]
_Choice = Annotated[str, Form(max_length=20)]

for _path, _endpoint in (
    ("integrations", api.integrations_csv),
    ("operations", api.operations_csv),
    ("deliveries", api.deliveries_csv),
    ("executions", api.executions_csv),
    ("events", api.events_csv),
):
    router.add_api_route(
        f"/export/{_path}.csv", _endpoint, methods=["GET"], name=f"console:{_path}_csv"
    )


@router.get("/transfer", name="console:transfer")
async def transfer(request: Request, principal: IntegrationsRead) -> Response:
    return _page(request, principal)


@router.post("/export", name="console:export")
async def export(
    request: Request, principal: IntegrationsRead, session: Session, deps: Deps,
    passphrase: _Passphrase = "",
) -> Response:  # fmt: skip
    """The bundle as a file; with a passphrase (admin), every secret sealed under it."""
    if passphrase and len(passphrase) < 12:
        error = "The passphrase must be 12 characters or more."
        return _page(request, principal, export_error=error, status=400)
    bundle = await transfer_of(deps).export(session, principal, passphrase or None)
    text = json.dumps(bundle.model_dump(mode="json", by_alias=True), indent=2)
    name = f"interlink-{bundle.created_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    disposition = f'attachment; filename="{name}"'
    return Response(text + "\n", media_type="application/json",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.post("/import", name="console:import")
async def import_dry_run(
    request: Request, principal: IntegrationsRead, deps: Deps, bundle: UploadFile,
    passphrase: _Passphrase = "", on_conflict: _Choice = "skip",
) -> Response:  # fmt: skip
    """What importing the uploaded bundle would change, and a form to apply it."""
    principal.require(Scope.ADMIN, "Importing a bundle")
    text, error = _bundle_text(await bundle.read(BUNDLE_MAX + 1))
    if error:
        return _page(request, principal, import_error=error, status=400)
    return await _run(request, principal, deps, text, (passphrase, on_conflict), dry_run=True)


@router.post("/import/apply", name="console:import_apply")
async def import_apply(
    request: Request, principal: IntegrationsRead, deps: Deps,
    bundle: Annotated[str, Form(max_length=BUNDLE_MAX)], passphrase: _Passphrase = "",
    on_conflict: _Choice = "skip",
) -> Response:  # fmt: skip
    """The bundle the dry run showed, imported: all of it or nothing."""
    return await _run(request, principal, deps, bundle, (passphrase, on_conflict), dry_run=False)


async def _run(
    request: Request, principal: Principal, deps: TransferDeps, text: str,
    choices: tuple[str, str], *, dry_run: bool,
) -> Response:  # fmt: skip
    """The import in a transaction of its own: a refused bundle changes nothing."""
    passphrase, policy = choices
    if policy not in POLICIES:
        return _page(
            request, principal, import_error="Choose skip, overwrite or rename.", status=400
        )
    try:
        document = json.loads(text)
        async with deps.db.transaction() as session:
            result = await transfer_of(deps).import_bundle(
                session, principal, document, passphrase=passphrase or None,
                policy=cast(Policy, policy), dry_run=dry_run,
            )  # fmt: skip
    except json.JSONDecodeError as exc:
        error = f"The file is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        return _page(request, principal, import_error=error, status=400)
    except InvalidRequest as exc:
        return _page(request, principal, import_error=exc.message, status=400)
    sealed = isinstance(document, dict) and document.get("secrets") is not None
    return render(
        request, "import.html", section="transfer", result=result, bundle=text,
        policies=POLICIES, sealed=sealed,
    )  # fmt: skip


def _bundle_text(raw: bytes) -> tuple[str, str]:
    if not raw:
        return "", "Choose a bundle file (one that Export made)."
    if len(raw) > BUNDLE_MAX:
        return "", f"The file is larger than {BUNDLE_MAX // (1024 * 1024)} MiB."
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError:
        return "", "The file is not UTF-8 text: choose a bundle that Export made."


def _page(request: Request, principal: Principal, *, status: int = 200, **extra: Any) -> Response:
    return render(
        request, "transfer.html", status, section="transfer", policies=POLICIES,
        is_admin=principal.allows(Scope.ADMIN),
        can_export=all(principal.allows(s) for s in EXPORT_SCOPES), **extra,
    )  # fmt: skip
