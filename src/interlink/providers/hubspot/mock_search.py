"""The mock's contacts search: HubSpot's search request, and which contacts match it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from interlink.providers.hubspot.mock_shapes import HubSpotError, Record
from interlink.testing.base import read_json

MAX_RESULTS = 10_000  # HubSpot's search pages no further than this
_SEARCHED = ("email", "firstname", "lastname", "phone", "company")  # searched by `query`


@dataclass(frozen=True)
class SearchArgs:
    groups: list[list[dict[str, Any]]] = field(default_factory=list)
    query: str = ""
    properties: list[str] | None = None
    limit: int = 10
    after: int = 0


def _invalid(message: str) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message)


async def search_args(request: web.Request) -> SearchArgs:
    """The search body, checked as HubSpot checks it (400 VALIDATION_ERROR)."""
    try:
        body = await read_json(request) or {}
    except ValueError:
        raise _invalid("Invalid input JSON") from None
    if not isinstance(body, dict):
        raise _invalid("The search request must be an object")
    limit, after = body.get("limit", 10), str(body.get("after") or "0")
    if not isinstance(limit, int) or not 1 <= limit <= 200:
        raise _invalid("limit must be between 1 and 200")
    if not after.isdigit() or int(after) + limit > MAX_RESULTS:
        raise _invalid(f"after must be a number, and the search reaches {MAX_RESULTS} at most")
    groups = [g.get("filters") or [] for g in body.get("filterGroups") or []]
    if len(groups) > 5 or sum(len(g) for g in groups) > 18:
        raise _invalid("Too many filter groups or filters (5 groups, 18 filters at most)")
    return SearchArgs(groups, str(body.get("query") or ""), body.get("properties"), limit,
                      int(after))  # fmt: skip


def matches(record: Record, args: SearchArgs) -> bool:
    """One group whose filters all match (or no group), and the query in a searched field."""
    if args.groups and not any(all(_match(record, f) for f in g) for g in args.groups):
        return False
    text = args.query.lower()
    return not text or any(text in record.properties.get(n, "").lower() for n in _SEARCHED)


def _match(record: Record, given: dict[str, Any]) -> bool:
    operator = str(given.get("operator", "EQ"))
    have = record.properties.get(str(given.get("propertyName")))
    if given.get("propertyName") == "hs_object_id":
        have = record.id
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return (have is not None) == (operator == "HAS_PROPERTY")
    value = str(given.get("value", ""))
    if have is None:
        return operator in ("NEQ", "NOT_CONTAINS_TOKEN")
    a, b = have.lower(), value.lower()
    tests: dict[str, Callable[[], bool]] = {
        "EQ": lambda: a == b, "NEQ": lambda: a != b,
        "CONTAINS_TOKEN": lambda: b.strip("*") in a, "NOT_CONTAINS_TOKEN": lambda: b not in a,
        "LT": lambda: _order(a, b) < 0, "LTE": lambda: _order(a, b) <= 0,
        "GT": lambda: _order(a, b) > 0, "GTE": lambda: _order(a, b) >= 0,
    }  # fmt: skip
    if operator not in tests:
        raise _invalid(f"Unsupported operator {operator}")
    return tests[operator]()


def _order(a: str, b: str) -> int:
    try:
        x, y = float(a), float(b)
        return (x > y) - (x < y)
    except ValueError:
        return (a > b) - (a < b)
