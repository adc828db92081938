"""From an integration's stored configuration (its `rate_limiting`, `rate_limit_per_hour`,
`request_timeout` and `request` fields) to the settings of its calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlink.config import TransportSettings
from interlink.core.errors import InvalidIntegrationConfig
from interlink.transport.client import CallSettings
from interlink.transport.header_check import header_problems
from interlink.transport.pool import SessionOptions
from interlink.transport.ratelimit import Rate
from interlink.transport.retry import RetryPolicy

_PERIODS = {"requests_per_second": 1.0, "requests_per_minute": 60.0, "requests_per_hour": 3600.0}


def rates_of(configuration: Mapping[str, Any]) -> tuple[Rate, ...]:
    limits: Mapping[str, Any] = configuration.get("rate_limiting") or {}
    rates = [
        Rate(float(limits[name]), period) for name, period in _PERIODS.items() if limits.get(name)
    ]
    if configuration.get("rate_limit_per_hour"):
        rates.append(Rate(float(configuration["rate_limit_per_hour"]), 3600.0))
    return tuple(dict.fromkeys(rates))


def call_settings(configuration: Mapping[str, Any], defaults: TransportSettings) -> CallSettings:
    """Raises INVALID_INTEGRATION_CONFIG for headers that may not be sent (stored before they
    were checked when written): the integration's calls fail clearly until it is fixed."""
    limits: Mapping[str, Any] = configuration.get("rate_limiting") or {}
    request: Mapping[str, Any] = configuration.get("request") or {}
    default_headers = {str(k): str(v) for k, v in (request.get("default_headers") or {}).items()}
    user_agent = str(request["user_agent"]) if request.get("user_agent") else None
    _check_headers(default_headers, user_agent)
    total = (
        request.get("timeout_seconds")
        or configuration.get("request_timeout")
        or defaults.default_timeout_seconds
    )
    retry = RetryPolicy(
        max_retries=int(limits.get("max_retries", 3)),
        max_hint=defaults.max_retry_after_seconds,
    )
    return CallSettings(
        base_url=configuration.get("api_url"),
        rates=rates_of(configuration),
        max_wait=defaults.max_wait_seconds,
        max_concurrent=limits.get("max_concurrent_requests"),
        retry=retry,
        session=SessionOptions(
            total_timeout=float(total),
            connect_timeout=request.get("connect_timeout_seconds"),
            read_timeout=request.get("read_timeout_seconds"),
            verify_ssl=bool(request.get("verify_ssl", True)),
        ),
        max_redirects=int(request.get("max_redirects", 5)),
        default_headers=default_headers,
        user_agent=user_agent,
        default_pause=float(limits.get("retry_after_seconds", 1.0)),
    )


def _check_headers(default_headers: Mapping[str, str], user_agent: str | None) -> None:
    problems = [
        {"field": f"configuration.request.{field}", "message": problem}
        for field, headers in (
            ("default_headers", default_headers),
            ("user_agent", {"User-Agent": user_agent} if user_agent else {}),
        )
        for _, problem in header_problems(headers)
    ]
    if problems:
        listed = "; ".join(p["message"] for p in problems)
        raise InvalidIntegrationConfig(
            f"This integration's request headers cannot be sent ({listed}): fix "
            "configuration.request",
            details=problems,
        )
