"""A provider that takes its credential in the URL path (Telegram's `/bot<token>/METHOD`): the
token goes there on the first hop only, no header carries it, the credential's allowed hosts
still apply, and it shows nowhere else (the response's URL, errors)."""

from __future__ import annotations

import pytest

from interlink.core.errors import (
    AuthenticationFailed,
    CredentialHostNotAllowed,
    InvalidCredentials,
)
from interlink.transport.auth import AllowedHosts, CredentialInPath
from interlink.transport.client import CallSettings, ProviderClient, ProviderFacts, Transport
from tests.transport.conftest import Upstream, redirect, status

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
FACTS = ProviderFacts(credential_in_path=CredentialInPath("/bot{token}"))


def _client(
    transport: Transport, upstream: Upstream, token: str = TOKEN, hosts: AllowedHosts | None = None
) -> ProviderClient:
    client = transport.client(
        "int_1", CallSettings(base_url=upstream.url), FACTS, {"Authorization": f"Bearer {token}"}
    )
    client.allowed_hosts = hosts
    return client


async def test_the_token_goes_in_the_path_and_in_no_header(
    transport: Transport, upstream: Upstream
) -> None:
    response = await _client(transport, upstream).post("/sendMessage", json={"text": "hi"})

    [seen] = upstream.seen
    assert seen["path"] == f"/bot{TOKEN}/sendMessage"
    assert "Authorization" not in seen["headers"]
    assert TOKEN not in response.url
    assert response.url == f"{upstream.url}/sendMessage"


async def test_a_refusal_names_the_providers_words_and_never_the_token(
    transport: Transport, upstream: Upstream
) -> None:
    upstream.script(status(401, {"ok": False, "error_code": 401, "description": "Unauthorized"}))
    client = _client(transport, upstream)

    with pytest.raises(AuthenticationFailed) as raised:
        await client.get("/getMe")

    assert raised.value.details[0]["provider_message"] == "Unauthorized"
    assert TOKEN not in f"{raised.value.message} {raised.value.details}"
    assert client.secrets.text(f"GET /bot{TOKEN}/getMe") == "GET /bot••••/getMe"


async def test_the_credentials_allowed_hosts_still_apply(
    transport: Transport, upstream: Upstream
) -> None:
    client = _client(transport, upstream, hosts=AllowedHosts.of(["api.telegram.org"]))

    with pytest.raises(CredentialHostNotAllowed):
        await client.get("/getMe")

    assert upstream.seen == []


@pytest.mark.parametrize("token", ["../../admin", "a/b", "a?b=1", "a%2Fb", "a b", "x.y"])
async def test_a_token_that_would_not_stay_one_segment_is_refused_before_sending(
    transport: Transport, upstream: Upstream, token: str
) -> None:
    with pytest.raises(InvalidCredentials):
        await _client(transport, upstream, token=token).get("/getMe")

    assert upstream.seen == []


async def test_a_redirect_and_a_url_outside_the_base_go_without_the_token(
    transport: Transport, upstream: Upstream
) -> None:
    upstream.script(redirect(f"{upstream.url}/api/elsewhere"))
    client = transport.client(
        "int_1", CallSettings(base_url=f"{upstream.url}/api"), FACTS, {"Authorization": TOKEN}
    )

    await client.get("/getMe")
    await client.get(f"{upstream.url}/api/getMe")  # under the base URL: as a path is
    await client.get(f"{upstream.url}/other")

    paths = [seen["path"] for seen in upstream.seen]
    assert paths == [f"/api/bot{TOKEN}/getMe", "/api/elsewhere", f"/api/bot{TOKEN}/getMe", "/other"]
