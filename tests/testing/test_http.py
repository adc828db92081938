"""The generic HTTP mock echoes requests and answers any status on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from interlink.testing import HttpMock, RunningMock, serve_mock


@pytest.fixture
async def upstream() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token="secret")) as running:
        yield running


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_anything_echoes_the_request(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession, method: str
) -> None:
    url = upstream.url + "/anything/deep/path?q=1&q=2&single=x"
    body = None if method == "GET" else {"n": 1}
    async with session.request(method, url, json=body, headers={"X-Custom": "y"}) as response:
        echo = await response.json()
    assert (echo["method"], echo["path"]) == (method, "/anything/deep/path")
    assert echo["query"] == {"q": ["1", "2"], "single": ["x"]}
    assert echo["headers"]["X-Custom"] == "y"
    assert echo["json"] == body
    assert echo["form"] is None


async def test_anything_parses_forms(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    async with session.post(upstream.url + "/anything", data={"a": "1", "b": "2"}) as response:
        echo = await response.json()
    assert echo["form"] == {"a": ["1"], "b": ["2"]}
    assert echo["body"] == "a=1&b=2"


@pytest.mark.parametrize("code", [200, 201, 404, 418, 500, 503])
async def test_status_answers_the_code(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession, code: int
) -> None:
    async with session.get(f"{upstream.url}/status/{code}") as response:
        assert response.status == code
        assert await response.json() == {"status": code}


async def test_status_without_a_body_and_with_retry_after(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    async with session.delete(upstream.url + "/status/204") as response:
        assert response.status == 204
        assert await response.read() == b""
    async with session.get(upstream.url + "/status/429?retry_after=7") as response:
        assert (response.status, response.headers["Retry-After"]) == (429, "7")


async def test_redirect_points_where_it_is_told(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    target = upstream.url + "/anything/landed"
    url = upstream.url + "/redirect"
    async with session.get(url, params={"to": target}, allow_redirects=False) as response:
        assert (response.status, response.headers["Location"]) == (302, target)
    async with session.get(url, params={"to": target, "status": "307"}) as response:
        assert (await response.json())["path"] == "/anything/landed"
        assert response.history[0].status == 307
    async with session.get(url) as response:
        assert response.status == 400


async def test_text_and_json_array(
    upstream: RunningMock[HttpMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(upstream.url + "/text") as response:
        assert response.content_type == "text/plain"
        assert await response.text() == "hello from the mock upstream\n"
    async with session.get(upstream.url + "/json-array") as response:
        items = await response.json()
    assert isinstance(items, list)
    assert items[0]["id"] == 1
