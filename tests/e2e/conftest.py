"""Fixtures of the multi-process tests: a Redis that answers, or a skip that says why."""

from __future__ import annotations

import pytest
import redis

from tests.conftest import REDIS_URL


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("INTERLINK_TEST_REDIS_URL is not set: the Redis run is skipped")
    probe = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        probe.ping()
    except redis.RedisError as exc:
        pytest.skip(f"INTERLINK_TEST_REDIS_URL is unreachable ({type(exc).__name__})")
    finally:
        probe.close()
    return REDIS_URL
