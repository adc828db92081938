"""How the Jira mock reads requests and says errors: Jira's error body, its per-minute request
budget and headers, search arguments, page tokens, and rich text by API version (v3 takes
Atlassian Documents, v2 text)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from interlink.providers.jira.mock_shapes import document, plain_text
from interlink.testing.base import read_json

Obj = dict[str, Any]
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
NOT_TEXT = "Can not deserialize instance of java.lang.String out of START_OBJECT token"


class JiraError(Exception):
    """A Jira error: `{"errorMessages": [...], "errors": {...}}` with its HTTP status."""

    def __init__(self, status: int, *messages: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(*messages)
        self.status = status
        self.body: Obj = {"errorMessages": list(messages), "errors": errors or {}}


def reset_time(moment: datetime) -> str:
    """Jira's X-RateLimit-Reset: ISO 8601 in UTC to the minute (`yyyy-MM-ddTHH:mmZ`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def next_minute(moment: datetime) -> datetime:
    start = moment.replace(second=0, microsecond=0)
    return start if start == moment else start + timedelta(minutes=1)


@dataclass
class Budget:
    """The mock's request budget: `limit` requests in the UTC minute that starts at `window`."""

    limit: int
    window: datetime
    used: int = 0

    @property
    def reset(self) -> datetime:
        return self.window + timedelta(minutes=1)

    def headers(self) -> dict[str, str]:
        remaining = max(self.limit - self.used, 0)
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining)}
        if remaining < self.limit * 0.2:
            headers["X-RateLimit-NearLimit"] = "true"
        if remaining == 0:
            headers["X-RateLimit-Reset"] = reset_time(self.reset)
        return headers


async def search_args(request: web.Request) -> Obj:
    if request.method == "GET":
        args: Obj = dict(request.query)
        if "fields" in request.query:  # repeated, or comma-separated, or both
            args["fields"] = [
                name for value in request.query.getall("fields") for name in value.split(",")
            ]
        return args
    return await json_object(request)


async def json_object(request: web.Request) -> Obj:
    try:
        data = await read_json(request)
    except ValueError:
        raise JiraError(400, "Unexpected character in the request body: not valid JSON.") from None
    if not isinstance(data, dict):
        raise JiraError(400, "The request body must be a JSON object.")
    return data


def wanted_fields(value: Any, *, default: str) -> set[str]:
    if value is None:
        return {default}
    names = value if isinstance(value, list) else str(value).split(",")
    return {str(name).strip() for name in names if str(name).strip()} or {default}


def page_token(token: Any) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(str(token)).decode().partition(":")
        if kind == "offset" and int(offset) >= 0:
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise JiraError(400, "The provided next page token is invalid or expired.")


def to_int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise JiraError(400, f"'{value}' is not a valid number.") from None


def is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and isinstance(value.get("content"), list)
    )


def rich_in(request: web.Request, value: Any, name: str, errors: dict[str, str]) -> Obj | None:
    """A description or comment body as sent: v3 wants an Atlassian Document, v2 text (kept as a
    document). A wrong one is added to `errors`."""
    if value is None:
        return None
    if request.match_info["version"] == "2":
        if isinstance(value, str):
            return document(value)
        errors[name] = NOT_TEXT
    elif is_adf(value):
        return dict(value)
    else:
        errors[name] = NOT_ADF
    return None


def rich_out(request: web.Request) -> Callable[[Obj | None], Any]:
    return plain_text if request.match_info["version"] == "2" else _same


def _same(value: Obj | None) -> Obj | None:
    return value


def base_of(request: web.Request) -> str:
    return f"{request.url.origin()}/rest/api/{request.match_info['version']}"
