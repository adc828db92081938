"""Seed 000's "Using Direct Integration Interfaces", as written (with our import line and the
mock's address), in sync code and with the async twin."""

from __future__ import annotations

import subprocess
import sys

import interlink
from interlink import (
    AsyncGitHubIntegration,
    GitHubIntegration,
    GitHubIntegrationConfiguration,
)
from interlink.direct import AsyncDiscordIntegration, DiscordIntegrationConfiguration
from interlink.testing import DiscordMock, Fault, GitHubMock, serve_mock, serve_mock_in_thread

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


SCRIPT_WITHOUT_CLOSE = """
from interlink import GitHubIntegration, GitHubIntegrationConfiguration
from interlink.testing import GitHubMock, serve_mock_in_thread

with serve_mock_in_thread(GitHubMock(token="ghp_x", repo="owner/repo")) as mock:
    config = GitHubIntegrationConfiguration(api_url=mock.api_url, access_token="ghp_x")
    github = GitHubIntegration(config)
    print(github.get_repository("owner", "repo")["name"])
"""


def test_a_script_that_never_closes_ends_without_unclosed_session_warnings() -> None:
    """Seed 000's example never calls close(): it must end quietly all the same."""
    ended = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-W", "default", "-c", SCRIPT_WITHOUT_CLOSE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.strip() == "repo"
    assert "Unclosed" not in ended.stderr
    assert "ResourceWarning" not in ended.stderr


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


def test_slack_direct_sends_to_its_default_channel_when_none_is_given() -> None:
    from interlink.testing import SlackMock

    with (
        serve_mock_in_thread(SlackMock()) as mock,
        interlink.SlackIntegration(
            interlink.SlackIntegrationConfiguration(
                api_url=mock.api_url, bot_token="xoxb-mock-token", default_channel="#general"
            )
        ) as slack,
    ):
        sent = slack.send_message(text="hello")

        assert "default_channel" not in mock.mock.calls.last.json()
    assert sent["channel"] == "C00000001"


# -- the other connectors' direct classes, each against its mock ----------------------------------


def test_discord_direct_sends_and_edits_a_message() -> None:
    from interlink.testing import DiscordMock

    with serve_mock_in_thread(DiscordMock(token="bot-token")) as mock:
        channel = mock.mock.channel_ids[0]
        with interlink.DiscordIntegration(
            interlink.DiscordIntegrationConfiguration(api_url=mock.api_url, bot_token="bot-token")
        ) as discord:
            sent = discord.send_message(channel_id=channel, content="deploy started")
            edited = discord.edit_message(
                channel_id=channel, message_id=sent["id"], content="deploy done"
            )

        assert mock.mock.calls.last.headers["Authorization"] == "Bot bot-token"
    assert sent["content"] == "deploy started"
    assert (edited["id"], edited["content"]) == (sent["id"], "deploy done")


def test_jira_direct_creates_then_reads_and_searches_issues() -> None:
    from interlink.testing import JiraMock

    with serve_mock_in_thread(JiraMock(token="jira-token", issues=3)) as mock:
        config = interlink.JiraIntegrationConfiguration(
            api_url=mock.api_url, username=mock.mock.email, password="jira-token"
        )
        with interlink.JiraIntegration(config) as jira:
            created = jira.create_issue(project_key="PROJ", summary="Direct call", issue_type="Bug")
            issue = jira.get_issue(key=created["key"])
            page = jira.search_issues(jql="project = PROJ ORDER BY created ASC", max_results=10)

    assert created["key"] == "PROJ-4"
    assert issue["summary"] == "Direct call"
    assert [found["key"] for found in page["issues"]][-1] == "PROJ-4"


def test_stripe_direct_creates_and_retrieves_a_customer() -> None:
    from interlink.testing import StripeMock

    with serve_mock_in_thread(StripeMock(token="sk_test_direct")) as mock:
        config = interlink.StripeIntegrationConfiguration(
            api_url=mock.api_url, secret_key="sk_test_direct"
        )
        with interlink.StripeIntegration(config) as stripe:
            customer = stripe.create_customer(email="ada@example.com", name="Ada")
            again = stripe.retrieve_customer(customer_id=customer["id"])

    assert customer["id"].startswith("cus_")
    assert again == customer


def test_http_direct_makes_an_authenticated_request() -> None:
    from interlink.testing import HttpMock

    with (
        serve_mock_in_thread(HttpMock(token="http-token")) as mock,
        interlink.HttpIntegration(
            interlink.HttpIntegrationConfiguration(api_url=mock.url, api_key="http-token")
        ) as http,
    ):
        answer = http.request(method="GET", path="/bearer")

    assert answer["status"] == 200
    assert answer["body"] == {"authenticated": True, "token": "http-token"}


def test_smtp_direct_sends_an_email_over_starttls() -> None:
    from interlink.providers.smtp.mock import SmtpMock

    with SmtpMock(tls="starttls", require_auth=True, username="mailer", password="pw") as server:
        with interlink.SmtpIntegration(
            interlink.SmtpIntegrationConfiguration(
                host="localhost",
                port=server.port,
                user="mailer",
                password="pw",
                request={"verify_ssl": False},  # the mock's CA is not in the system's store
            )
        ) as smtp:
            sent = smtp.send_email(
                to=["ada@example.com"], subject="Hello", text="Hi", from_email="robot@example.com"
            )

        [received] = server.messages
    assert sent["accepted"] == ["ada@example.com"]
    assert (received.subject, received.tls, received.username) == ("Hello", True, "mailer")


async def test_the_async_stripe_twin() -> None:
    from interlink.testing import StripeMock

    async with serve_mock(StripeMock(token="sk_test_async")) as mock:
        config = interlink.StripeIntegrationConfiguration(
            api_url=mock.api_url, secret_key="sk_test_async"
        )
        async with interlink.AsyncStripeIntegration(config) as stripe:
            customer = await stripe.create_customer(email="bob@example.com")
            intent = await stripe.create_payment_intent(
                amount=1999, currency="usd", customer=customer["id"]
            )

    assert (intent["amount"], intent["currency"], intent["customer"]) == (
        1999, "usd", customer["id"],
    )  # fmt: skip


async def test_a_direct_call_of_an_idempotent_action_is_retried_once_with_its_own_key() -> None:
    async with serve_mock(DiscordMock(bucket_limit=None)) as mock:
        mock.mock.faults.add(Fault.error(503), method="POST")
        channel = mock.mock.channel_ids[0]
        config = DiscordIntegrationConfiguration(
            api_url=mock.api_url, bot_token=DiscordMock.default_token
        )
        async with AsyncDiscordIntegration(config) as discord:
            first = await discord.send_message(channel_id=channel, content="deploy done")
            second = await discord.send_message(channel_id=channel, content="deploy done")

        posts = [call for call in mock.mock.calls if call.method == "POST"]
    nonces = [call.json()["nonce"] for call in posts]
    assert len(posts) == 3  # the 503, its retry, the second message
    assert nonces[0] == nonces[1] != nonces[2]
    assert first["id"] != second["id"]
    assert len(mock.mock.messages[channel]) == 2
