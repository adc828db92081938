"""Every error leaves in the envelope with its documented status; nothing else reaches a client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from interlink.core.envelope import ErrorEnvelope
from interlink.core.errors import (
    InterlinkError,
    InvalidCredentials,
    InvalidIntegrationConfig,
    InvalidRequest,
    MethodNotAllowed,
    RouteNotFound,
    error_body,
    validation_details,
)

READ_ONLY_FIELDS = frozenset(
    {"id", "status", "workspace_id", "created_by", "created_at", "updated_at"}
)
_CODE_BY_BODY_FIELD: dict[str, type[InvalidRequest]] = {
    "configuration": InvalidIntegrationConfig,
    "credentials": InvalidCredentials,
}


def error_response(error: InterlinkError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, error.details),
        status_code=error.status_code,
        headers=error.headers or None,
    )


def _unknown(name: str) -> str:
    return "is read-only" if name in READ_ONLY_FIELDS else "is not a known field"


def translate_validation(errors: Sequence[Any]) -> InvalidRequest:
    details = validation_details(errors, unknown=_unknown, located=True)
    top_fields = {d["field"].split(".")[0] for d in details if d["in"] == "body"}
    kinds = {_CODE_BY_BODY_FIELD.get(f, InvalidRequest) for f in top_fields} or {InvalidRequest}
    error_class = kinds.pop() if len(kinds) == 1 else InvalidRequest
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return error_class(f"The request is invalid: {summary}", details=details)


async def _on_interlink_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InterlinkError)
    return error_response(exc)


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(translate_validation(exc.errors()))


async def _on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(RouteNotFound())
    if exc.status_code == 405:
        return error_response(MethodNotAllowed())
    if exc.status_code == 400:
        return error_response(InvalidRequest("The request body could not be parsed"))
    body = error_body("HTTP_ERROR", str(exc.detail))
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(InterlinkError, _on_interlink_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


def responses(*errors: type[InterlinkError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each status with the codes it may carry."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error.code)
    return {
        status: {"model": ErrorEnvelope, "description": ", ".join(sorted(set(codes)))}
        for status, codes in sorted(by_status.items())
    }
