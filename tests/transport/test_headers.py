"""Reading rate-limit headers: the forms a reset time comes in, and a token window."""

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


def test_a_reset_in_milliseconds_is_read_from_now() -> None:
    assert _reset_at("delta_ms", "10000") == NOW + 10.0  # HubSpot's Interval-Milliseconds


TWO_WINDOWS = RateLimitHeaders(
    limit="x-interval-max", remaining="x-interval-remaining", reset="x-interval-ms",
    reset_kind="delta_ms",
    also=RateLimitHeaders(limit="x-daily", remaining="x-daily-remaining", reset=""),
)  # fmt: skip


@pytest.mark.parametrize(
    ("interval", "daily", "seen"),
    [
        ("95", "40", (40, 50, None)),  # fewer left today: the day is the tighter window
        ("0", "40", (0, 100, NOW + 10.0)),  # a spent window wins, with its reset
        ("5", None, (5, 100, NOW + 10.0)),  # no daily headers (HubSpot's OAuth calls)
    ],
)
def test_the_tighter_of_two_windows_is_observed(
    interval: str, daily: str | None, seen: tuple[int, int, float | None]
) -> None:
    headers = {"x-interval-max": "100", "x-interval-remaining": interval, "x-interval-ms": "10000"}
    if daily is not None:
        headers |= {"x-daily": "50", "x-daily-remaining": daily}

    observed = TWO_WINDOWS.observe(headers, NOW)

    assert observed is not None
    assert (observed.remaining, observed.limit, observed.reset_at) == seen


@pytest.mark.parametrize(
    ("value", "seconds_from_now"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0s", 0.0)],
)
def test_a_duration_reset_is_read_from_now(value: str, seconds_from_now: float) -> None:
    assert _reset_at("duration", value) == pytest.approx(NOW + seconds_from_now)


@pytest.mark.parametrize("value", ["soon", "6m0", "1.5", "", "s"])
def test_a_reset_that_is_not_a_duration_is_no_reset(value: str) -> None:
    assert _reset_at("duration", value) is None


OPENAI = RateLimitHeaders(
    limit="x-ratelimit-limit-requests", remaining="x-ratelimit-remaining-requests",
    reset="x-ratelimit-reset-requests", reset_kind="duration",
    tokens=RateLimitHeaders(
        limit="x-ratelimit-limit-tokens", remaining="x-ratelimit-remaining-tokens",
        reset="x-ratelimit-reset-tokens", reset_kind="duration",
    ),
)  # fmt: skip


def test_the_token_window_is_read_apart_from_the_requests() -> None:
    headers = {
        "x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-reset-requests": "1s", "x-ratelimit-limit-tokens": "150000",
        "x-ratelimit-remaining-tokens": "149984", "x-ratelimit-reset-tokens": "6m0s",
    }  # fmt: skip

    requests, tokens = OPENAI.observe(headers, NOW), OPENAI.observe_tokens(headers, NOW)

    assert requests is not None
    assert tokens is not None
    assert (requests.remaining, requests.limit, requests.reset_at) == (59, 60, NOW + 1)
    assert (tokens.remaining, tokens.limit, tokens.reset_at) == (149984, 150000, NOW + 360)
    assert RateLimitHeaders().observe_tokens(headers, NOW) is None  # no token window declared
