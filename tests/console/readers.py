"""Helpers of the console's section tests: a browser signed in with a key of given scopes, a
form posted the way a page's form posts it, and the checks every page's HTML passes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from tests.conftest import ADMIN_KEY, data
from tests.console.conftest import csrf_of, sign_in


@asynccontextmanager
async def browser_with(
    app: FastAPI, client: httpx.AsyncClient, *scopes: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A second browser signed in with a new key holding `scopes`, and that key."""
    made = await client.post("/api/v1/api-keys", json={"name": "reader", "scopes": list(scopes)})
    key: str = data(made)["key"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other:
        response = await sign_in(other, key)
        assert response.status_code == 303, response.text
        yield other, key


async def post_form(
    browser: httpx.AsyncClient, page: str, action: str, fields: dict[str, Any] | None = None
) -> httpx.Response:
    """Load `page`, then post `fields` to `action` with the page's CSRF token."""
    shown = await browser.get(page)
    assert shown.status_code == 200, shown.text
    return await browser.post(action, data={"csrf_token": csrf_of(shown.text), **(fields or {})})


def assert_clean(html: str, *secrets: str) -> None:
    """No secret, no inline script or style in a page."""
    for secret in (ADMIN_KEY, *secrets):
        assert secret not in html
    assert "<script>" not in html
    assert " style=" not in html
    assert "<style" not in html
