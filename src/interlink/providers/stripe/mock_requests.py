"""Stripe's request conventions: API keys, bracketed form parameters, and their errors."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

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


def api_key(header: str) -> str:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return ""


def auth_error(key: str) -> web.StreamResponse:
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
