"""When Redis does not answer: the Redis stores' failures end here, as our errors.

Before a call leaves (breaker check, slot, budget), a failure refuses the call with 503
SERVICE_UNAVAILABLE: the provider was not asked, so the caller may try again. After the provider
answered (telling the breaker, giving the slot back, learning a pause), a failure is logged and
the call keeps its result: the provider may have acted on it. Nothing falls back to per-process
state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from redis.exceptions import RedisError

from interlink.core.errors import ServiceUnavailable

log = structlog.get_logger(__name__)


@contextmanager
def before_the_call() -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        raise ServiceUnavailable(
            f"The shared rate-limit and breaker store (Redis) does not answer "
            f"({type(exc).__name__}); the provider was not called"
        ) from None


@contextmanager
def after_the_call(step: str) -> Iterator[None]:
    try:
        yield
    except RedisError as exc:
        log.warning("transport_store_unavailable", step=step, error=type(exc).__name__)
