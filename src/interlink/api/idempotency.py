"""POSTs that create or execute accept an Idempotency-Key: the same key and body replays the first
response; another body is 422; a duplicate sent while the first still runs is 409."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from interlink.api.deps import resolve_principal, services
from interlink.core.errors import InvalidRequest

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def fingerprint(request: Request, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


class IdempotentRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            if request.method != "POST" or key is None:
                return await handle(request)
            if not _KEY.match(key):
                raise InvalidRequest("Idempotency-Key must be 1 to 255 printable ASCII characters")
            principal = await resolve_principal(request)
            store = services(request).idempotency
            stored = await store.claim(
                principal.workspace_id, key, fingerprint(request, await request.body())
            )
            if stored is not None:
                return Response(
                    stored.body,
                    status_code=stored.status_code,
                    media_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            try:
                response = await handle(request)
            except BaseException:
                await store.release(principal.workspace_id, key)
                raise
            if response.status_code >= 500:
                await store.release(principal.workspace_id, key)
            else:
                await store.complete(
                    principal.workspace_id, key, response.status_code, bytes(response.body)
                )
            return response

        return handler
