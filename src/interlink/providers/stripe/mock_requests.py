"""Stripe's request conventions: bracketed form parameters, idempotency keys, and the errors of
API keys and parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.providers.stripe.mock_forms import decode_form
from interlink.testing.base import json_response

Obj = dict[str, Any]


class StripeError(Exception):
    """A Stripe error answered as `{"error": {...}}` with its HTTP status."""

    def __init__(
        self, status: int, message: str, *, kind: str = "invalid_request_error", **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        code = extra.get("code")
        if isinstance(code, str):  # Stripe links each error code to its page
            extra["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        self.body = {"error": {"type": kind, "message": message} | extra}


async def read_params(request: web.Request) -> Obj:
    pairs = parse_qsl(request.query_string, keep_blank_values=True)
    if request.method == "POST":
        body = (await request.read()).decode("utf-8", "replace")
        pairs += parse_qsl(body, keep_blank_values=True)
    return decode_form(pairs)


def auth_error(request: web.Request, key: str) -> web.StreamResponse:
    """Stripe's 401 to a missing ("") or wrong API key, which it names masked."""
    if not key:
        message = (
            "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
            "https://stripe.com/docs/api#authentication for details, or we can help at "
            "https://support.stripe.com/."
        )
    else:
        message = f"Invalid API Key provided: {key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}"
    return error_response(
        StripeError(401, message), headers={"WWW-Authenticate": 'Bearer realm="Stripe"'}
    )


def error_response(error: StripeError, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(error.body, status=error.status, headers=headers)


def no_such(kind: str, object_id: Any, param: str) -> StripeError:
    return StripeError(
        404 if param == "id" else 400,
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def require(params: Obj, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise StripeError(
            400, f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return params[name]


def integer_param(params: Obj, name: str, *, required: bool = False) -> int:
    value = require(params, name) if required else params.get(name)
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
        ) from None


def metadata_param(params: Obj) -> dict[str, str]:
    metadata = params.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise StripeError(400, "Invalid object", code="parameter_invalid_empty", param="metadata")
    return {str(key): str(value) for key, value in metadata.items() if value != ""}


@dataclass(frozen=True)
class Saved:
    """The first answer to an idempotency key, and the request it answered."""

    fingerprint: tuple[str, str]
    status: int
    body: bytes


async def idempotent(
    request: web.Request, handler: Handler, saved: dict[str, Saved]
) -> web.StreamResponse:
    """A POST with an `Idempotency-Key`: the first answer to the same key and parameters again
    (`Idempotent-Replayed: true`), a 400 `idempotency_error` to other parameters; an answer is
    kept unless the request was refused before running (400, 401, 404...; a 402 ran)."""
    key = request.headers["Idempotency-Key"]
    fingerprint = (request.path, json.dumps(await read_params(request), sort_keys=True))
    first = saved.get(key)
    if first is not None and first.fingerprint != fingerprint:
        message = (
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )
        return error_response(StripeError(400, message, kind="idempotency_error"))
    headers = {"Idempotency-Key": key}
    if first is not None:
        headers["Idempotent-Replayed"] = "true"
        return web.Response(
            status=first.status, body=first.body, content_type="application/json", headers=headers
        )
    response = await handler(request)
    body = response.body if isinstance(response, web.Response) else None
    if isinstance(body, bytes) and (response.status < 400 or response.status == 402):
        saved[key] = Saved(fingerprint, response.status, body)
    response.headers.update(headers)
    return response
