"""Recorded fixtures: what an action sends, what the provider answers, and what the action
returns. A provider keeps them as JSON files in the `fixtures` folder beside it; its mock answers
them, the contract suite replays them through the real transport, and the provider's published
API description checks both sides of each exchange.

A fixture file holds one `Fixture`:

    {"action": "get_repository",
     "description": "a public repository",
     "parameters": {"owner": "octo-org", "repo": "hello-world"},
     "exchanges": [{"request": {"method": "GET", "path": "/repos/octo-org/hello-world"},
                    "response": {"status": 200, "body": {...}}}],
     "output": {...}}

`path` is relative to the integration's base URL (the mock's `api_root` left out); `query`,
`json` and `form` hold what was sent; `response.headers` only those worth keeping (rate limits,
`Link`). A fixture that ends in an error names its code in `error` instead of `output`.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RecordedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    method: str
    path: str
    query: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json")
    form: dict[str, str] | None = None


class RecordedResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None


class Exchange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: RecordedRequest
    response: RecordedResponse


class Fixture(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""  # the file's name without `.json`
    action: str
    description: str = ""
    mock: dict[str, Any] = Field(default_factory=dict)  # options to the mock's constructor
    configuration: dict[str, Any] = Field(default_factory=dict)  # beyond api_url, auth_method
    parameters: dict[str, Any] = Field(default_factory=dict)
    exchanges: list[Exchange] = Field(default_factory=list)
    output: Any = None
    error: str | None = None  # the error code the action fails with, instead of an output


def load_fixtures(package: str) -> list[Fixture]:
    """The fixtures of the provider in `package`, by file name; none without a folder."""
    folder = files(package).joinpath("fixtures")
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            fixture = Fixture.model_validate_json(entry.read_text(encoding="utf-8"))
            found.append(fixture.model_copy(update={"name": entry.name.removesuffix(".json")}))
    return found
