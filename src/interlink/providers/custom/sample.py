"""A sample declaration, of the items API `mock.AcmeMock` serves: the contract suite runs over
the provider it builds (`sample_provider`), and docs/connectors/custom.md shows it."""

from __future__ import annotations

from typing import Any

from interlink.providers.custom.declaration import read
from interlink.providers.custom.provider import CustomConnector, build

ITEM_ID = {"type": "string", "minLength": 1, "description": "The item's id"}
SAMPLE: dict[str, Any] = {
    "key": "acme",
    "name": "Acme",
    "description": "Acme's items API",
    "base_url": "https://api.acme.example/v1",
    "auth": {"mode": "api_key", "header": "X-API-Key"},
    "rate_limit_headers": {
        "limit": "X-RateLimit-Limit",
        "remaining": "X-RateLimit-Remaining",
        "reset": "X-RateLimit-Reset",
    },
    "pagination": {"style": "body_cursor", "items": "data", "cursor": "next_cursor"},
    "test": "/me",
    "actions": {
        "get_item": {
            "description": "Gets one item by its id.",
            "path": "/items/{item_id}",
            "map": {"path": {"item_id": "item_id"}},
            "input_schema": {
                "type": "object",
                "properties": {"item_id": ITEM_ID},
                "required": ["item_id"],
                "additionalProperties": False,
            },
            "result": "{id: id, name: name, color: labels.color}",
        },
        "list_items": {
            "description": "Lists items whose name holds `q`, following the cursor up to `limit`.",
            "path": "/items",
            "paginate": True,
            "map": {"query": {"q": "q"}},
            "input_schema": {
                "type": "object",
                "properties": {
                    "q": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "cursor": {"type": "string"},
                },
                "additionalProperties": False,
            },
            "result": "{names: items[].name, cursor: cursor}",
        },
        "create_item": {
            "description": "Creates an item.",
            "method": "POST",
            "path": "/items",
            "map": {"body": {"name": "name", "labels.color": "color"}},
            "input_schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "color": {"enum": ["red", "green", "blue"]},
                },
                "required": ["name"],
                "additionalProperties": False,
            },
            "result": "id",
        },
    },
}


def sample_provider(version: int = 1) -> type[CustomConnector]:
    return build(read(SAMPLE), version)
