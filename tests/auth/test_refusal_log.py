"""A caller refused over and over gets one log line a second saying how many were refused, not a
request line each: a flood of 429s does not flood the log (the metrics still count each)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from interlink.config import ApiSettings
from interlink.core.clock import FrozenClock
from tests.auth.conftest import MakeApp
from tests.conftest import ADMIN_KEY, client_for, log_lines


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


async def test_refusals_are_logged_once_a_second_with_their_count(
    make_app: MakeApp, clock: FrozenClock, log_output: io.StringIO
) -> None:
    app = await make_app(api=ApiSettings(rate_limit="2/minute"))
    async with client_for(app, ADMIN_KEY) as admin:
        answers = [(await admin.get("/api/v1/integrations")).status_code for _ in range(7)]
        clock.advance(1)
        answers.append((await admin.get("/api/v1/integrations")).status_code)

    assert answers == [200, 200] + [429] * 6
    lines = log_lines(log_output)
    refused = [line for line in lines if line["event"] == "requests_refused"]
    assert [line["refused"] for line in refused] == [1, 5]  # the first, then 4 quiet ones + 1
    assert all(line["status"] == 429 for line in refused)
    requests = [line for line in lines if line["event"] == "request"]
    assert [line["status"] for line in requests] == [200, 200]
