"""Routes that FastAPI documents from their endpoint's signature but that answer requests with a
handler of their own, for the hot path: FastAPI's dependency solving, run on every request, took
about a sixth of the CPU of an operation (benchmarks/profile_inprocess.py, py-spy).

The handler does what the signature promises, through the same helpers the dependencies use
(`authorize`, the body model, the error envelope), and the route's tests hold it to that.
Idempotency-Key handling stays in front of it (`IdempotentRoute`).
"""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from interlink.api.idempotency import Handler, IdempotentRoute
from interlink.api.middleware import PARSED_JSON

M = TypeVar("M", bound=BaseModel)


def served_by(handler: Handler) -> type[IdempotentRoute]:
    """A route class whose requests `handler` answers (pass it as `route_class_override`)."""

    class DirectRoute(IdempotentRoute):
        def serving_handler(self) -> Handler:
            return handler

    return DirectRoute


async def json_body(request: Request, model: type[M]) -> M:
    """The body as `model`, or the validation error FastAPI raises for a body parameter of that
    model (400 INVALID_REQUEST in our envelope). The body guard has refused what is not JSON (or
    not finite, or too deep) before, and left the document it parsed in the request's state."""
    raw = await request.body()
    if not raw:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    state = request.scope.get("state") or {}
    document = state[PARSED_JSON] if PARSED_JSON in state else json.loads(raw)
    try:
        # Python mode on the parsed document, as FastAPI validates, so the messages are its own.
        return model.model_validate(document, from_attributes=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def header(request: Request, name: str, max_length: int) -> str | None:
    """A header declared `Header(max_length=...)`: refused as FastAPI would when too long."""
    value = request.headers.get(name)
    if value is not None and len(value) > max_length:
        raise RequestValidationError(
            [
                {
                    "type": "string_too_long",
                    "loc": ("header", name),
                    "msg": f"String should have at most {max_length} characters",
                    "input": value,
                }
            ]
        )
    return value


def json_response(
    content: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content.model_dump_json(by_alias=True),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
