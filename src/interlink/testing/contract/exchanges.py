"""What a mock's call log becomes in a fixture, so a recording and a replay compare alike.

A request keeps its method, its path under the mock's `api_root`, its query, and its body as
JSON or as a form; an answer its status, its body (JSON, else text) and the headers worth
keeping: the provider's rate-limit headers, `Retry-After` and `Link`. The address the mock was
served on (a new port each run) is written as `MOCK_ORIGIN` wherever it appears, and the
credential's values are masked as in a result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from interlink.core.secrets import Scrubber
from interlink.providers.kit.action import Connector
from interlink.providers.kit.fixtures import Exchange, RecordedRequest, RecordedResponse
from interlink.testing.calls import Answer, Call

MOCK_ORIGIN = "http://mock.test"
_ALWAYS_KEPT = ("link", "retry-after")


def kept_headers(provider: type[Connector]) -> frozenset[str]:
    """The answer headers a fixture keeps (lower-case names)."""
    names = set(_ALWAYS_KEPT)
    spec = provider.rate_headers
    if spec is not None:
        names |= {spec.limit.lower(), spec.remaining.lower(), spec.reset.lower()}
    return frozenset(names)


class Normalizer:
    """Writes the served mock's address as `MOCK_ORIGIN`, and masks the credential's values, in
    text and through nested data."""

    def __init__(self, origin: str, secrets: Scrubber | None = None) -> None:
        self.origin = origin.rstrip("/")
        self.host = self.origin.split("://", 1)[-1]
        self.secrets = secrets or Scrubber()

    def text(self, value: str) -> str:
        value = value.replace(self.origin, MOCK_ORIGIN)
        value = value.replace(self.host, MOCK_ORIGIN.split("://", 1)[-1])
        return self.secrets.text(value)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value


def exchanges_of(
    calls: Iterable[Call], provider: type[Connector], api_root: str, normalizer: Normalizer
) -> list[Exchange]:
    """The calls as a fixture's exchanges (a call without an answer is left out)."""
    kept = kept_headers(provider)
    return [
        Exchange(
            request=_request(call, api_root, normalizer),
            response=_response(call.answer, kept, normalizer),
        )
        for call in calls
        if call.answer is not None
    ]


def _request(call: Call, api_root: str, normalizer: Normalizer) -> RecordedRequest:
    path = call.path.removeprefix(api_root) if api_root else call.path
    content_type = call.headers.get("Content-Type", "").split(";")[0].strip().lower()
    json_body: Any = None
    form: dict[str, str] | None = None
    if call.body and content_type == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
    elif call.body:
        json_body = _json_or_text(call.body)
    return RecordedRequest.model_validate(
        {
            "method": call.method,
            "path": path or "/",
            "query": {key: call.query[key] for key in call.query},
            "json": normalizer.data(json_body),
            "form": form,
        }
    )


def _response(answer: Answer, kept: frozenset[str], normalizer: Normalizer) -> RecordedResponse:
    headers = {
        name.lower(): normalizer.text(value)
        for name, value in answer.headers.items()
        if name.lower() in kept
    }
    body = _json_or_text(answer.body) if answer.body else None
    return RecordedResponse(status=answer.status, headers=headers, body=normalizer.data(body))


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
