"""The console called in process: a browser-like client that keeps cookies and follows nothing
by itself, and helpers that sign in the way a browser does (the form, its CSRF cookie)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from interlink.config import Settings
from interlink.core.clock import Clock, FrozenClock
from tests.conftest import ADMIN_KEY

_HIDDEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def clock() -> Clock:
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without an API key: it carries the cookies the console sets, as a browser."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


def csrf_of(page: str) -> str:
    found = _HIDDEN.search(page)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, key: str = ADMIN_KEY) -> httpx.Response:
    form = await browser.get("/console/sign-in")
    assert form.status_code == 200, form.text
    return await browser.post(
        "/console/sign-in", data={"api_key": key, "csrf_token": csrf_of(form.text), "next": "/"}
    )


@pytest.fixture
async def signed_in(browser: httpx.AsyncClient, settings: Settings) -> httpx.AsyncClient:
    response = await sign_in(browser)
    assert response.status_code == 303, response.text
    return browser
