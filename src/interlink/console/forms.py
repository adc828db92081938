"""What the console's forms send, read: a time typed in a form, a JSON object in a textarea."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

TIME_HINT = "Give the time as YYYY-MM-DDTHH:MM (UTC)."


def parse_time(text: str) -> datetime | None:
    """`2026-12-07T18:00` (a browser's datetime-local, read as UTC) or an RFC 3339 time."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        return None


def form_time(value: datetime | None) -> str:
    """A time as a datetime-local field shows it (UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def json_object(text: str) -> tuple[dict[str, Any] | None, str]:
    """A textarea's JSON object, or why it is not one."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        return None, f"The input is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    if not isinstance(value, dict):
        return None, 'The input must be a JSON object, such as {"name": "value"}.'
    return value, ""
