"""Reading rate-limit headers: the three forms a reset time comes in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from interlink.transport.headers import RateLimitHeaders

NOW = datetime(2026, 3, 26, 15, 59, 30, tzinfo=UTC).timestamp()


def _reset_at(kind: str, value: str) -> float | None:
    spec = RateLimitHeaders(reset_kind=kind)  # type: ignore[arg-type]
    observed = spec.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": value}, NOW)
    assert observed is not None
    return observed.reset_at


@pytest.mark.parametrize(
    ("value", "seconds_from_now"),
    [
        ("2026-03-26T16:00Z", 30.0),  # Jira's form: to the minute, in UTC
        ("2026-03-26T16:00:05.5Z", 35.5),
        ("2026-03-26T17:00:00+01:00", 30.0),
        ("2026-03-26T16:00:00", 30.0),  # no offset: UTC
        (" 2026-03-26T16:01Z ", 90.0),
    ],
)
def test_an_iso_8601_reset_is_read_as_a_time(value: str, seconds_from_now: float) -> None:
    assert _reset_at("iso8601", value) == NOW + seconds_from_now


@pytest.mark.parametrize("value", ["soon", "1774540800", ""])
def test_an_iso_reset_that_is_not_a_time_is_no_reset(value: str) -> None:
    assert _reset_at("iso8601", value) is None


def test_epoch_and_delta_resets_are_unchanged() -> None:
    assert _reset_at("epoch", "1774540800") == 1774540800.0
    assert _reset_at("delta", "2.5") == NOW + 2.5
    assert _reset_at("epoch", "2026-03-26T16:00Z") is None  # GitHub-style specs stay strict


def test_no_remaining_header_is_no_observation() -> None:
    assert RateLimitHeaders(reset_kind="iso8601").observe({"x-ratelimit-limit": "10"}, NOW) is None
