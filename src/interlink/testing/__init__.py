"""Mock upstream APIs with fault injection, for tests, benchmarks and `interlink mock`.

async with serve_mock(GitHubMock()) as running:
    running.mock.faults.add(Fault.error(503), times=2)
    ...  # call running.url like https://api.github.com
    assert running.mock.calls.count("/user") == 3
"""

from __future__ import annotations

from interlink.testing.base import MockUpstream
from interlink.testing.calls import Call, CallLog
from interlink.testing.faults import Fault, FaultKind, FaultPlan
from interlink.testing.mocks import (
    MOCKS,
    DiscordMock,
    GitHubMock,
    HttpMock,
    JiraMock,
    SlackMock,
    StripeMock,
    create_mock,
)
from interlink.testing.server import RunningMock, serve_mock, serve_mock_in_thread

__all__ = [
    "MOCKS",
    "Call",
    "CallLog",
    "DiscordMock",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "GitHubMock",
    "HttpMock",
    "JiraMock",
    "MockUpstream",
    "RunningMock",
    "SlackMock",
    "StripeMock",
    "create_mock",
    "serve_mock",
    "serve_mock_in_thread",
]
