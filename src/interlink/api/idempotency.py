"""POSTs that create or execute accept an Idempotency-Key: the same key and body replays the first
response; another body is 422; a duplicate sent while the first still runs is 409."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from interlink.api.deps import resolve_principal, services_of
from interlink.core.errors import InvalidRequest
from interlink.idempotency.service import Claim

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_FUNCTION_STACK = "fastapi_function_astack"  # where FastAPI keeps `Depends(scope="function")` exits

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request as a hash: JSON bodies are compared by content, not key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


async def _run_and_commit(handle: Handler, request: Request) -> Response:
    """Run the route with a function-scope exit stack of its own, so that its session has
    committed (or rolled back) when this returns: only then is the response final, and only then
    is the database free for the idempotency record's own write (SQLite has one writer)."""
    outer = request.scope.get(_FUNCTION_STACK)
    async with AsyncExitStack() as own_stack:
        request.scope[_FUNCTION_STACK] = own_stack
        try:
            response = await handle(request)
        finally:
            request.scope[_FUNCTION_STACK] = outer
    return response


class IdempotentRoute(APIRoute):
    def serving_handler(self) -> Handler:
        """What answers the request once its key is settled: FastAPI's handler by default."""
        return super().get_route_handler()

    def get_route_handler(self) -> Handler:
        handle = self.serving_handler()

        async def handler(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            if request.method != "POST" or key is None:
                return await handle(request)
            if not _KEY.match(key):
                raise InvalidRequest("Idempotency-Key must be 1 to 255 printable ASCII characters")
            principal = await resolve_principal(request)
            store = services_of(request).idempotency
            claim = Claim(principal.workspace_id, principal.subject, key)
            request_hash = fingerprint(request.method, request.url.path, await request.body())
            stored = await store.claim(claim, request_hash)
            if stored is not None:
                return Response(
                    stored.body,
                    status_code=stored.status_code,
                    media_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            try:
                response = await _run_and_commit(handle, request)
            except BaseException:
                await store.release(claim)
                raise
            if response.status_code >= 500:
                await store.release(claim)
            else:
                await store.complete(claim, response.status_code, bytes(response.body))
            return response

        return handler
