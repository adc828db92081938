"""Checking a mock's answers and a fixture's exchanges against the provider's published API
description, with the gaps its mock declares (`MockUpstream.description_gaps`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from interlink.providers.kit.fixtures import Exchange
from interlink.testing.calls import Call
from interlink.testing.descriptions import Description, DescriptionMissing, load_description

# The providers whose published description scripts/fetch_api_descriptions.py caches.
PUBLISHED = (
    "discord", "github", "jira", "microsoft_365", "openai", "salesforce", "slack", "stripe",
)  # fmt: skip


def description_or_skip(key: str) -> Description:
    found = load_description(key)
    if isinstance(found, DescriptionMissing):
        pytest.skip(found.reason)
    return found


def skipped_operation(gaps: Mapping[str, str], method: str, path: str) -> str | None:
    """Why the operation `method path` is not checked, when a gap names it."""
    operation = f"{method.upper()} {path}"
    return next((why for gap, why in gaps.items() if re.search(gap, operation)), None)


def unexcused(problems: Iterable[str], gaps: Mapping[str, str]) -> list[str]:
    return [p for p in problems if not any(re.search(gap, p) for gap in gaps)]


def exchange_problems(
    description: Description, gaps: Mapping[str, str], exchange: Exchange
) -> list[str]:
    """What does not fit the description in a fixture's request and answer."""
    request, response = exchange.request, exchange.response
    body = request.json_body if request.json_body is not None else request.form
    return unexcused(
        description.check_request(request.method, request.path, request.query, body)
        + description.check_response(request.method, request.path, response.status, response.body),
        gaps,
    )


def answer_problems(
    description: Description, gaps: Mapping[str, str], calls: Iterable[Call]
) -> list[str]:
    """What does not fit the description in the answers a mock gave (an SDK's calls): the
    operations a gap skips left out."""
    problems: list[str] = []
    for call in calls:
        if call.answer is None or skipped_operation(gaps, call.method, call.path):
            continue
        body: Any = call.answer.json() if call.answer.body else None
        problems += description.check_response(call.method, call.path, call.answer.status, body)
    return unexcused(problems, gaps)
