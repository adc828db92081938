"""Connectors without the server: `GitHubIntegration(GitHubIntegrationConfiguration(...))` in a
script, with the same transport (budgets, retries, breaker) as the service, and an async twin.

GitHub's class has seed 000's method signatures; the others have one method per action, taking
the action's parameters as keywords (`SlackIntegration(...).send_message(channel=..., text=...)`).
"""

from __future__ import annotations

from interlink.connectors.builtin import (
    DiscordConnector,
    HttpConnector,
    JiraConnector,
    SlackConnector,
    SmtpConnector,
    StripeConnector,
)
from interlink.direct.base import AsyncDirectIntegration, DirectConfiguration, DirectIntegration
from interlink.direct.generic import build
from interlink.direct.github import (
    AsyncGitHubIntegration,
    GitHubIntegration,
    GitHubIntegrationConfiguration,
)

SlackIntegrationConfiguration, AsyncSlackIntegration, SlackIntegration = build(
    SlackConnector, "Slack"
)
StripeIntegrationConfiguration, AsyncStripeIntegration, StripeIntegration = build(
    StripeConnector, "Stripe"
)
DiscordIntegrationConfiguration, AsyncDiscordIntegration, DiscordIntegration = build(
    DiscordConnector, "Discord"
)
JiraIntegrationConfiguration, AsyncJiraIntegration, JiraIntegration = build(JiraConnector, "Jira")
SmtpIntegrationConfiguration, AsyncSmtpIntegration, SmtpIntegration = build(SmtpConnector, "Smtp")
HttpIntegrationConfiguration, AsyncHttpIntegration, HttpIntegration = build(HttpConnector, "Http")

__all__ = [
    "AsyncDirectIntegration",
    "AsyncDiscordIntegration",
    "AsyncGitHubIntegration",
    "AsyncHttpIntegration",
    "AsyncJiraIntegration",
    "AsyncSlackIntegration",
    "AsyncSmtpIntegration",
    "AsyncStripeIntegration",
    "DirectConfiguration",
    "DirectIntegration",
    "DiscordIntegration",
    "DiscordIntegrationConfiguration",
    "GitHubIntegration",
    "GitHubIntegrationConfiguration",
    "HttpIntegration",
    "HttpIntegrationConfiguration",
    "JiraIntegration",
    "JiraIntegrationConfiguration",
    "SlackIntegration",
    "SlackIntegrationConfiguration",
    "SmtpIntegration",
    "SmtpIntegrationConfiguration",
    "StripeIntegration",
    "StripeIntegrationConfiguration",
]
