"""The framework baseline: a FastAPI endpoint that takes a JSON body, forwards GET to the mock with
one shared aiohttp session and answers the upstream's JSON. No database, no auth, no limits: what
the web framework and the outbound client cost on their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI
from pydantic import BaseModel

UPSTREAM = os.environ["BENCH_UPSTREAM"]
TOKEN = os.environ["BENCH_TOKEN"]
_session: dict[str, aiohttp.ClientSession] = {}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    _session["shared"] = aiohttp.ClientSession()
    yield
    await _session["shared"].close()


app = FastAPI(lifespan=lifespan)


class Call(BaseModel):
    parameters: dict[str, Any]


@app.post("/repo")
async def repo(call: Call) -> dict[str, Any]:
    owner, name = call.parameters["owner"], call.parameters["repo"]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{UPSTREAM}/repos/{owner}/{name}"
    async with _session["shared"].get(url, headers=headers) as upstream:
        result: dict[str, Any] = await upstream.json()
    return {"status": "success", "data": {"result": result}}
