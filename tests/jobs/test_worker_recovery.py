"""A real `interlink worker` killed with SIGKILL in the middle of an async operation: the work
comes back, on the same executor when it restarts, or through the reaper on another one, and the
provider sees one side effect under one idempotency key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from interlink.config import Settings
from interlink.testing import Fault, StripeMock
from interlink.testing.server import RunningMock, serve_mock_in_thread
from tests.conftest import data, make_settings
from tests.helpers.polling import eventually
from tests.jobs.workers import start_worker


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url)  # API only: no embedded worker


async def _stripe_integration(client: httpx.AsyncClient, stripe: RunningMock[StripeMock]) -> str:
    body = {
        "name": "Stripe",
        "type": "stripe",
        "configuration": {"api_url": stripe.api_url, "auth_method": "api_key"},
        "credentials": {"secret_key": "sk_test_mock_key"},
    }
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


async def _get(client: httpx.AsyncClient, iid: str, op_id: str) -> dict[str, Any]:
    path = f"/api/v1/integrations/{iid}/operations/create_customer/{op_id}"
    found: dict[str, Any] = data(await client.get(path))
    return found


@pytest.mark.parametrize("recovery", ["restart", "reaper"])
async def test_an_operation_cut_by_sigkill_completes_once_after_recovery(
    client: httpx.AsyncClient, settings: Settings, database_url: str, recovery: str
) -> None:
    data_dir = settings.server.data_dir
    with serve_mock_in_thread(StripeMock()) as stripe:
        stripe.mock.faults.add(Fault.latency(120), 1, "/v1/customers", method="POST")
        iid = await _stripe_integration(client, stripe)
        first = start_worker(data_dir, database_url, "worker-a")
        try:
            response = await client.post(
                f"/api/v1/integrations/{iid}/operations/create_customer",
                json={"async": True, "parameters": {"email": "ada@example.com"}},
            )
            assert response.status_code == 202, response.text
            op_id = data(response)["operation_id"]

            async def posts() -> int:
                return len(stripe.mock.calls.filter("POST", "/v1/customers"))

            await eventually(posts, lambda n: n == 1)  # the call hangs upstream: kill now
            first.kill()
        finally:
            first.stop()
        assert (await _get(client, iid, op_id))["status"] == "running"

        if recovery == "restart":
            second = start_worker(data_dir, database_url, "worker-a")
        else:
            second = start_worker(
                data_dir, database_url, "worker-b",
                heartbeat_seconds="0.1", executor_dead_after_seconds="1",
            )  # fmt: skip
        try:
            done = await eventually(
                lambda: _get(client, iid, op_id), lambda o: o["status"] != "running"
            )
        finally:
            assert second.stop() == 0
        calls = stripe.mock.calls.filter("POST", "/v1/customers")
        customers = list(stripe.mock.customers)

    assert done["status"] == "completed", done
    assert len(calls) == 2
    assert {c.headers["Idempotency-Key"] for c in calls} == {f"{op_id}:create_customer"}
    assert customers == [done["result"]["id"]]
