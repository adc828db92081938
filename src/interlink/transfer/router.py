"""`/api/v1/export` and `/api/v1/import`; the lists as CSV are `csv_lists.py`'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query

from interlink.api.deps import IntegrationsRead, Session
from interlink.api.errors import responses
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Forbidden,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
)
from interlink.transfer.csv_lists import csv_router
from interlink.transfer.deps import Deps, transfer_of
from interlink.transfer.errors import BundleVersionUnsupported, InvalidBundle, WrongPassphrase
from interlink.transfer.schemas import Bundle, ImportResult, Policy

router = APIRouter(tags=["export and import"])
router.include_router(csv_router)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
Passphrase = Annotated[
    str | None,
    Header(
        alias="X-Bundle-Passphrase", min_length=12, max_length=1024,
        description="Export: include every secret, sealed under it (needs `admin`). Import: "
        "opens the bundle's sealed secrets",
    ),
]  # fmt: skip


@router.get(
    "/export",
    summary="The workspace's configuration as a bundle (secrets left out unless a passphrase "
    "is given)",
    responses=responses(*_AUTH, InvalidRequest),
)
async def export_bundle(
    principal: IntegrationsRead, session: Session, deps: Deps, passphrase: Passphrase = None
) -> Envelope[Bundle]:
    return ok(await transfer_of(deps).export(session, principal, passphrase))


@router.post(
    "/import",
    summary="Import a bundle: a dry run shows what would change; otherwise all of it or nothing",
    responses=responses(
        *_AUTH, InvalidRequest, InvalidBundle, BundleVersionUnsupported, WrongPassphrase
    ),
)
async def import_bundle(
    document: Annotated[dict[str, Any], Body(description="A bundle from GET /api/v1/export")],
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    passphrase: Passphrase = None,
    dry_run: Annotated[bool, Query(description="Only say what would change")] = False,
    on_conflict: Annotated[Policy, Query(description="An item here that differs")] = "skip",
) -> Envelope[ImportResult]:
    result = await transfer_of(deps).import_bundle(
        session, principal, document, passphrase=passphrase, policy=on_conflict, dry_run=dry_run
    )
    return ok(result)
