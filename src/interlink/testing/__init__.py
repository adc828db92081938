"""Mock upstream APIs with fault injection, for tests, benchmarks and `interlink mock`.

async with serve_mock(GitHubMock()) as running:
    running.mock.faults.add(Fault.error(503), times=2)
    ...  # call running.url like https://api.github.com
    assert running.mock.calls.count("/user") == 3

Each provider's mock lives in its folder (`interlink.providers.<type>.mock`); every one is
importable from here by its class name (`GitHubMock`, `SmtpMock`...), and `MOCKS` maps each
provider type to its HTTP mock. `interlink.testing.contract` runs the contract every provider
keeps against its mock, and records the fixtures it replays.
"""

from __future__ import annotations

from typing import Any

from interlink.testing.base import MockUpstream
from interlink.testing.calls import Call, CallLog
from interlink.testing.faults import Fault, FaultKind, FaultPlan
from interlink.testing.mocks import create_mock, mock_classes, mocks
from interlink.testing.server import RunningMock, serve_mock, serve_mock_in_thread

__all__ = [
    "MOCKS",
    "Call",
    "CallLog",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "MockUpstream",
    "RunningMock",
    "create_mock",
    "mocks",
    "serve_mock",
    "serve_mock_in_thread",
]


def __getattr__(name: str) -> Any:
    if name == "MOCKS":
        return mocks()
    found = mock_classes().get(name)
    if found is None:
        raise AttributeError(f"module 'interlink.testing' has no attribute {name!r}")
    return found
