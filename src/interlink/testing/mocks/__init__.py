"""One mock upstream per built-in connector, by connector type."""

from __future__ import annotations

from typing import Any

from interlink.testing.base import MockUpstream
from interlink.testing.mocks.discord import DiscordMock
from interlink.testing.mocks.github import GitHubMock
from interlink.testing.mocks.http import HttpMock
from interlink.testing.mocks.jira import JiraMock
from interlink.testing.mocks.slack import SlackMock
from interlink.testing.mocks.stripe import StripeMock

MOCKS: dict[str, type[MockUpstream]] = {
    mock.name: mock for mock in (GitHubMock, SlackMock, StripeMock, DiscordMock, JiraMock, HttpMock)
}


def create_mock(type_: str, **options: Any) -> MockUpstream:
    """A new mock for connector type `type_` (raises `KeyError` for an unknown one)."""
    return MOCKS[type_](**options)


__all__ = [
    "MOCKS",
    "DiscordMock",
    "GitHubMock",
    "HttpMock",
    "JiraMock",
    "SlackMock",
    "StripeMock",
    "create_mock",
]
