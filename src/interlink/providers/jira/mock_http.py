"""How the Jira mock reads requests and says errors: Jira's error body, search arguments, and rich
text by API version (v3 takes Atlassian Documents, v2 text)."""

from __future__ import annotations

from collections.abc import Callable
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
