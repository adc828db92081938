"""The connectors that ship with Interlink: one module per provider."""

from __future__ import annotations

from interlink.connectors.builtin.discord import DiscordConnector
from interlink.connectors.builtin.github import GitHubConnector
from interlink.connectors.builtin.http import HttpConnector
from interlink.connectors.builtin.jira import JiraConnector
from interlink.connectors.builtin.slack import SlackConnector
from interlink.connectors.builtin.smtp import SmtpConnector
from interlink.connectors.builtin.stripe import StripeConnector

BUILTIN_CONNECTORS = (
    HttpConnector,
    GitHubConnector,
    SlackConnector,
    StripeConnector,
    DiscordConnector,
    SmtpConnector,
    JiraConnector,
)

__all__ = [
    "BUILTIN_CONNECTORS",
    "DiscordConnector",
    "GitHubConnector",
    "HttpConnector",
    "JiraConnector",
    "SlackConnector",
    "SmtpConnector",
    "StripeConnector",
]
