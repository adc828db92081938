"""The OpenAPI document tells the truth about errors: our envelope, never FastAPI's 422 shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
_GUARD_ERRORS = {
    "400": "INVALID_REQUEST (the body or the query is malformed)",
    "413": "PAYLOAD_TOO_LARGE",
    "415": "UNSUPPORTED_MEDIA_TYPE",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ENVELOPE}}}


def _fix_operation(operation: dict[str, Any], has_body: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if responses.get("422", {}).get("description") == "Validation Error":
        del responses["422"]
    wanted = _GUARD_ERRORS if has_body else {"400": _GUARD_ERRORS["400"]}
    for status, description in wanted.items():
        responses.setdefault(status, _error(description))


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for methods in document.get("paths", {}).values():
                for method, operation in methods.items():
                    _fix_operation(operation, method in {"post", "put", "patch"})
            schemas = document.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
