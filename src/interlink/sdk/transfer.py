"""Export and import (docs/export-import.md): TransferClient and its async twin. A bundle is a
plain dict (JSON as the server sent it): keep it, edit it, send it back."""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import Field

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call, error_from_response
from interlink.sdk.models import Model

Policy = Literal["skip", "overwrite", "rename"]
CsvList = Literal["integrations", "operations", "deliveries", "executions", "events"]
PASSPHRASE_HEADER = "X-Bundle-Passphrase"  # noqa: S105 (a header name)


class ImportItem(Model):
    kind: str
    name: str
    source_id: str | None = None
    action: Literal["create", "update", "skip", "conflict"]
    target_id: str | None = None
    target_name: str | None = None
    changes: list[str] = Field(default_factory=list)
    needs_secret: list[str] = Field(default_factory=list)


class ImportResult(Model):
    dry_run: bool
    on_conflict: Policy
    format_version: int
    counts: dict[str, int]
    items: list[ImportItem]


def _passphrase(passphrase: str | None) -> dict[str, str]:
    return {PASSPHRASE_HEADER: passphrase} if passphrase else {}


class calls:
    @staticmethod
    def export(passphrase: str | None) -> Call[dict[str, Any]]:
        return Call("GET", "/export", dict, headers=_passphrase(passphrase))

    @staticmethod
    def import_(
        bundle: dict[str, Any], passphrase: str | None, dry_run: bool, on_conflict: Policy
    ) -> Call[ImportResult]:
        params = {"dry_run": str(dry_run).lower(), "on_conflict": on_conflict}
        return Call(
            "POST", "/import", ImportResult.model_validate, json=bundle, params=params,
            headers=_passphrase(passphrase),
        )  # fmt: skip

    @staticmethod
    def csv(kind: CsvList, filters: dict[str, Any]) -> Call[str]:
        given = {k: v for k, v in filters.items() if v is not None}
        return Call("GET", f"/export/{kind}.csv", str, params=given, headers={"Accept": "text/csv"})


def _text(response: httpx.Response) -> str:
    if response.is_error:
        raise error_from_response(response)
    return response.text


class TransferClient(SyncResource):
    """Export the workspace as a bundle, import one, and read any list as CSV."""

    def export_bundle(self, *, passphrase: str | None = None) -> dict[str, Any]:
        """Secrets are left out, unless `passphrase` is given: then they are sealed under it."""
        return self._http.run(calls.export(passphrase))

    def import_bundle(
        self,
        bundle: dict[str, Any],
        *,
        passphrase: str | None = None,
        dry_run: bool = False,
        on_conflict: Policy = "skip",
    ) -> ImportResult:
        return self._http.run(calls.import_(bundle, passphrase, dry_run, on_conflict))

    def export_csv(self, kind: CsvList, **filters: Any) -> str:
        """The list as CSV, with the list endpoint's filters (`status="active"`, ...)."""
        return _text(self._http.send(calls.csv(kind, filters)))


class AsyncTransferClient(AsyncResource):
    """The asynchronous twin of TransferClient."""

    async def export_bundle(self, *, passphrase: str | None = None) -> dict[str, Any]:
        return await self._http.run(calls.export(passphrase))

    async def import_bundle(
        self,
        bundle: dict[str, Any],
        *,
        passphrase: str | None = None,
        dry_run: bool = False,
        on_conflict: Policy = "skip",
    ) -> ImportResult:
        return await self._http.run(calls.import_(bundle, passphrase, dry_run, on_conflict))

    async def export_csv(self, kind: CsvList, **filters: Any) -> str:
        return _text(await self._http.send(calls.csv(kind, filters)))
