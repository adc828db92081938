"""The SDK's transfer client (the async twin, in process): export, a dry run, import, CSV."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from interlink.sdk import AsyncInterlink, WrongPassphrase
from tests.conftest import ADMIN_KEY
from tests.transfer.conftest import PASSPHRASE, seed


async def test_export_and_import_through_the_sdk(
    app: FastAPI, client: httpx.AsyncClient, other_workspace: httpx.AsyncClient
) -> None:
    await seed(client)
    transport = httpx.ASGITransport(app=app)
    other_key = other_workspace.headers["Authorization"].removeprefix("Bearer ")
    async with (
        AsyncInterlink(ADMIN_KEY, base_url="http://testserver", transport=transport) as source,
        AsyncInterlink(other_key, base_url="http://testserver", transport=transport) as target,
    ):
        bundle = await source.transfer.export_bundle(passphrase=PASSPHRASE)
        plan = await target.transfer.import_bundle(bundle, passphrase=PASSPHRASE, dry_run=True)
        done = await target.transfer.import_bundle(bundle, passphrase=PASSPHRASE)
        text = await target.transfer.export_csv("integrations", status="active")
        with pytest.raises(WrongPassphrase) as refused:
            await target.transfer.import_bundle(bundle, passphrase="a wrong passphrase!")

    assert plan.dry_run is True
    assert plan.counts["create"] == 7
    assert [i.action for i in done.items] == ["create"] * 7
    assert text.splitlines()[1].split(",")[1] == "Inline user"
    assert refused.value.status_code == 400
