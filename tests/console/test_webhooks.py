"""The console's webhook pages: endpoints, the delivery log with each attempt, replay, recover,
disable and enable, rotating the secret (shown once), and a read-only key's view."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from interlink.config import Settings, WebhookSettings
from interlink.core.clock import FrozenClock
from tests.conftest import data, make_settings
from tests.console.readers import assert_clean, browser_with, post_form
from tests.webhooks.conftest import Receiver, create_webhook, deliveries, services
from tests.webhooks.conftest import receiver as receiver  # the fixture


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    hooks = WebhookSettings(dispatcher_enabled=False, timeout_seconds=2.0)
    return make_settings(tmp_path / "data", database_url, webhooks=hooks)


async def _failed_delivery(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, path: str = "hook"
) -> dict[str, str]:
    receiver.status[path] = 500
    hook = await create_webhook(
        client, receiver.url(path), name="Orders", retry_policy={"max_attempts": 1}
    )
    sent = await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()
    return {"id": hook["id"], "secret": hook["secret"], "delivery": data(sent)["id"]}


async def test_the_list_shows_each_endpoint_and_its_state(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    failing = await _failed_delivery(app, client, receiver)
    fine = await create_webhook(client, receiver.url("fine"), name="Billing")
    await client.put(f"/api/v1/webhooks/{fine['id']}", json={"enabled": False})
    page = await signed_in.get("/console/webhooks")
    assert page.status_code == 200
    assert "Orders" in page.text
    assert "Billing" in page.text
    assert 'class="state state-bad">disabled<' in page.text
    assert f'href="/console/webhooks/{failing["id"]}"' in page.text
    assert_clean(page.text, failing["secret"], fine["secret"])


async def test_the_delivery_log_shows_each_attempt(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await _failed_delivery(app, client, receiver)
    page = await signed_in.get(f"/console/webhooks/{hook['id']}")
    assert page.status_code == 200
    row = _delivery_html(page.text, hook["delivery"])
    assert "webhook.test" in row
    assert 'class="state state-bad">failed<' in row
    assert 'class="state state-bad">HTTP 500<' in row
    assert re.search(r"<td>\d+(\.\d)? ms</td>", row)
    assert "Replay" in row
    assert_clean(page.text, hook["secret"])
    only_ok = await signed_in.get(f"/console/webhooks/{hook['id']}?status=succeeded")
    assert hook["delivery"] not in only_ok.text
    assert "No delivery matches." in only_ok.text


async def test_replay_sends_a_failed_delivery_again(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await _failed_delivery(app, client, receiver)
    receiver.status["hook"] = 200
    page = f"/console/webhooks/{hook['id']}"
    replayed = await post_form(signed_in, page, f"{page}/deliveries/{hook['delivery']}/replay")
    assert replayed.status_code == 303
    assert replayed.headers["location"] == f"{page}?notice=replayed"
    shown = await signed_in.get(replayed.headers["location"])
    assert "queued to be sent again now" in shown.text
    await services(app).dispatcher.deliver_due()
    after = _delivery_html((await signed_in.get(page)).text, hook["delivery"])
    assert 'class="state state-ok">succeeded<' in after
    assert 'class="state state-ok">HTTP 200<' in after
    assert "2 attempts" in after


async def test_recover_since_a_time(
    app: FastAPI,
    client: httpx.AsyncClient,
    signed_in: httpx.AsyncClient,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    hook = await _failed_delivery(app, client, receiver)
    page = f"/console/webhooks/{hook['id']}"
    wrong = await post_form(signed_in, page, f"{page}/recover", {"since": "yesterday"})
    assert wrong.status_code == 400
    assert "Give the time as YYYY-MM-DDTHH:MM (UTC)." in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    receiver.status["hook"] = 200
    since = (clock.now().replace(microsecond=0)).strftime("%Y-%m-%dT%H:%M:%S")
    clock.advance(1)
    done = await post_form(signed_in, page, f"{page}/recover", {"since": since})
    assert done.status_code == 303
    shown = await signed_in.get(done.headers["location"])
    assert "queued to be sent again: 1." in shown.text
    await services(app).dispatcher.deliver_due()
    assert [d["status"] for d in await deliveries(client, hook["id"])] == ["succeeded"]


async def test_disable_and_enable(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(client, receiver.url("x"))
    page = f"/console/webhooks/{hook['id']}"
    off = await post_form(signed_in, page, f"{page}/disable")
    assert off.status_code == 303
    shown = await signed_in.get(off.headers["location"])
    assert "The endpoint is disabled" in shown.text
    assert "disabled by a user" in shown.text
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["enabled"] is False
    on = await post_form(signed_in, page, f"{page}/enable")
    assert on.status_code == 303
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["enabled"] is True


async def test_a_rotated_secret_is_shown_once(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(client, receiver.url("r"))
    page = f"/console/webhooks/{hook['id']}"
    rotated = await post_form(signed_in, page, f"{page}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    found = re.search(r'class="once" type="text" readonly value="(whsec_[^"]+)"', rotated.text)
    assert found, rotated.text
    assert hook["secret"] not in rotated.text
    again = await signed_in.get(page)
    assert found.group(1) not in again.text
    assert "whsec_" not in again.text
    await client.post(f"/api/v1/webhooks/{hook['id']}/test")
    await services(app).dispatcher.deliver_due()
    [got] = receiver.at("r")
    assert got.headers["webhook-signature"].count("v1,") == 2  # the new and the previous secret


async def test_a_read_only_key_sees_no_write_controls_and_is_refused(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await _failed_delivery(app, client, receiver)
    page = f"/console/webhooks/{hook['id']}"
    async with browser_with(app, client, "webhooks:read") as (reader, key):
        shown = await reader.get(page)
        assert shown.status_code == 200
        assert hook["delivery"] in shown.text
        for control in ("Replay", "Disable", "Rotate the secret", "Recover", "/replay"):
            assert control not in shown.text
        assert_clean(shown.text, hook["secret"], key)
        for action in ("/disable", "/rotate-secret", f"/deliveries/{hook['delivery']}/replay"):
            refused = await post_form(reader, page, page + action)
            assert refused.status_code == 403, action
            assert "Not allowed" in refused.text
            assert "webhooks:write" in refused.text
    after = data(await client.get(f"/api/v1/webhooks/{hook['id']}"))
    assert after["enabled"] is True
    assert after["previous_secret_expires_at"] is None


async def test_without_the_scope_the_page_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_with(app, client, "integrations:read") as (reader, _):
        page = await reader.get("/console/webhooks")
        assert page.status_code == 403
        assert "webhooks:read" in page.text
        overview = await reader.get("/console/")
        assert 'href="/console/webhooks"' not in overview.text


async def test_a_form_without_its_csrf_token_is_refused(
    app: FastAPI, client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await create_webhook(client, receiver.url("c"))
    refused = await signed_in.post(
        f"/console/webhooks/{hook['id']}/disable", data={"csrf_token": "forged"}
    )
    assert refused.status_code == 403
    assert data(await client.get(f"/api/v1/webhooks/{hook['id']}"))["enabled"] is True


async def test_an_unknown_endpoint_is_a_404_page(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/console/webhooks/whk_nope")
    assert page.status_code == 404
    assert "Not found" in page.text


def _delivery_html(page: str, delivery_id: str) -> str:
    """One delivery's rows: its own and its attempts' table."""
    start = page.index(f'<tbody class="delivery" id="{delivery_id}">')
    attempts_end = page.index("</table>", start)
    return page[start : page.index("</tbody>", attempts_end)]


async def test_credential_headers_and_the_secret_never_show(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient, receiver: Receiver
) -> None:
    token = "Bearer hdr_secret_value_93c1f0e2"
    hook = await create_webhook(
        client, receiver.url("h"), secret="whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
        headers={"Authorization": token, "X-Team": "ops"},
    )  # fmt: skip
    page = await signed_in.get(f"/console/webhooks/{hook['id']}")
    assert "<code>X-Team: ops</code>" in page.text
    assert "Authorization: ••••" in page.text
    assert_clean(page.text, token, hook["secret"], "hdr_secret_value_93c1f0e2")
