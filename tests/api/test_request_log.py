"""The request log line names the path without its secrets: the workflow trigger's token (by the
route's parameter name and by its shape), our secrets anywhere in a logged URL, and query
parameters named like secrets, in our lines and in uvicorn's access lines alike."""

from __future__ import annotations

import io
import logging
import secrets

import httpx

from interlink.logs import MASK
from tests.conftest import ADMIN_KEY, data, log_lines


async def test_the_trigger_token_never_reaches_the_request_log(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, log_output: io.StringIO
) -> None:
    steps = [{"name": "echo", "type": "set", "config": {"values": {"got": "{{ input.n }}"}}}]
    created = await client.post(
        "/api/v1/workflows",
        json={"name": "hook", "definition": {"steps": steps}, "triggers": [{"type": "webhook"}]},
    )
    workflow_id, token = data(created)["id"], data(created)["trigger_token"]
    other = "wft_" + secrets.token_urlsafe(32)

    triggered = await anonymous.post(f"/api/v1/workflows/{workflow_id}/trigger/{token}", json={})
    wrong = await anonymous.post(f"/api/v1/workflows/{workflow_id}/trigger/{other}", json={})
    unrouted = await anonymous.get(f"/api/v1/nowhere/{token}")

    assert (triggered.status_code, wrong.status_code, unrouted.status_code) == (202, 404, 404)
    logged = log_output.getvalue()
    assert token not in logged
    assert other not in logged
    assert token[4:20] not in logged
    paths = [line["path"] for line in log_lines(log_output) if line["event"] == "request"]
    assert paths.count(f"/api/v1/workflows/{workflow_id}/trigger/{MASK}") == 2
    assert f"/api/v1/nowhere/wft_{MASK}" in paths


async def test_secrets_in_a_logged_url_are_masked_and_the_rest_kept(
    log_output: io.StringIO,
) -> None:
    token = "wft_" + secrets.token_urlsafe(32)
    opaque = secrets.token_urlsafe(24)  # a provider's token: no shape of ours
    url = (
        f"/api/v1/workflows/wf_1/trigger/{token}?page=2&access_token={opaque}"
        f"&key={opaque}&api_key={ADMIN_KEY}&sort_by=name"
    )
    # The line uvicorn's access log writes, when an operator turns it on.
    access = logging.getLogger("uvicorn.access")
    level = access.level
    access.setLevel(logging.INFO)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", url, "1.1", 202)
    finally:
        access.setLevel(level)

    logged = log_output.getvalue()
    assert token not in logged
    assert opaque not in logged
    assert ADMIN_KEY not in logged
    (line,) = [
        line["event"] for line in log_lines(log_output) if line["logger"] == "uvicorn.access"
    ]
    assert f"/trigger/wft_{MASK}?page=2&access_token={MASK}&key={MASK}&api_key=" in line
    assert line.endswith('&sort_by=name HTTP/1.1" 202')
