"""Seed 000's "Using Direct Integration Interfaces", as written (with our import line and the
mock's address), in sync code and with the async twin."""

from __future__ import annotations

import interlink
from interlink import (
    AsyncGitHubIntegration,
    GitHubIntegration,
    GitHubIntegrationConfiguration,
)
from interlink.testing import GitHubMock, serve_mock, serve_mock_in_thread

TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz"


def test_the_seeds_direct_example_runs_as_written() -> None:
    with serve_mock_in_thread(GitHubMock(token=TOKEN, repo="owner/repo", issues=40)) as mock:
        # Initialize with configuration
        github_config = GitHubIntegrationConfiguration(
            api_url=mock.api_url, access_token=TOKEN, request_timeout=30
        )

        github = GitHubIntegration(github_config)

        # Use type-specific methods directly
        repository = github.get_repository("owner", "repo")
        issues = github.get_issues(
            owner="owner", repo="repo", state="open", since="2023-01-01T00:00:00Z"
        )
        new_issue = github.create_issue(
            owner="owner",
            repo="repo",
            title="Fix authentication bug",
            body="The login process fails when using special characters in the password",
            labels=["bug", "priority:high"],
        )
        github.close()

    assert repository["name"] == "repo"
    assert len(issues) == 32  # the open ones of 40 (every fifth is closed)
    assert new_issue["number"] == 44  # after 40 issues and 3 pull requests
    assert new_issue["labels"] == ["bug", "priority:high"]


async def test_the_async_twin() -> None:
    async with serve_mock(GitHubMock(token=TOKEN, repo="owner/repo")) as mock:
        config = GitHubIntegrationConfiguration(api_url=mock.api_url, access_token=TOKEN)
        async with AsyncGitHubIntegration(config) as github:
            repository = await github.get_repository("owner", "repo")
            pulls = await github.list_pull_requests("owner", "repo")

        assert mock.mock.calls.last.headers["Authorization"] == f"Bearer {TOKEN}"
    assert repository["full_name"] == "owner/repo"
    assert len(pulls) == 3


def test_the_names_come_from_the_package() -> None:
    assert interlink.GitHubIntegration is GitHubIntegration


def test_every_other_connector_has_direct_twins_with_one_method_per_action() -> None:
    from interlink.testing import SlackMock

    with serve_mock_in_thread(SlackMock()) as mock:
        slack = interlink.SlackIntegration(
            interlink.SlackIntegrationConfiguration(
                api_url=mock.api_url, auth_method="oauth", bot_token="xoxb-mock-token"
            )
        )
        channels = slack.list_channels(limit=5)
        sent = slack.send_message(channel=channels["items"][0]["id"], text="hello")
        slack.close()

    assert len(channels["items"]) == 5
    assert sent["ts"]
    assert interlink.AsyncStripeIntegration.create_customer.__doc__
