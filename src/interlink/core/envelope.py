"""The response envelope: `{"status": "success", "data": ...}` and its OpenAPI models."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    status: Literal["success"] = "success"
    data: T


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] = []


class ErrorEnvelope(BaseModel):
    status: Literal["error"] = "error"
    error: ErrorDetail


def ok(data: T) -> Envelope[T]:
    return Envelope[T](data=data)
