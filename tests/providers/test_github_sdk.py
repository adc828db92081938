"""PyGithub, pointed at the GitHub mock, does what a user does with it: who am I and how much
budget is left, get a repository, page through its issues and pull requests, open an issue,
comment on it, read the comments back and close it. It follows the URLs inside the objects, so
they must lead back to the mock; every answer must fit GitHub's published description."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github

from interlink.providers.github.mock import GitHubMock
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread
from tests.providers.conftest import answer_problems, description_or_skip

REPO = "octo-org/hello-world"


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[GitHubMock]]:
    with serve_mock_in_thread(GitHubMock(repo=REPO, issues=7, pulls=3)) as running:
        yield running


@pytest.fixture
def github(served: RunningMock[GitHubMock]) -> Iterator[Github]:
    served.mock.reset()
    client = Github(
        auth=Auth.Token(served.mock.token),
        base_url=served.url,
        per_page=4,
        seconds_between_requests=None,  # PyGithub spaces requests out by sleeping by default
        seconds_between_writes=None,
    )
    yield client
    client.close()


def test_the_user_and_the_rate_limit(served: RunningMock[GitHubMock], github: Github) -> None:
    me = github.get_user()

    assert (me.login, me.name) == ("octocat", "The Octocat")
    assert github.get_rate_limit().resources.core.remaining == 4999
    assert (
        answer_problems(
            description_or_skip("github"), served.mock.description_gaps, served.mock.calls.all()
        )
        == []
    )


def test_a_repository_its_issues_and_pull_requests(
    served: RunningMock[GitHubMock], github: Github
) -> None:
    repo = github.get_repo(REPO)
    issues = list(repo.get_issues(state="all"))  # GitHub lists pull requests as issues
    pulls = list(repo.get_pulls(state="open"))

    assert (repo.full_name, repo.default_branch, repo.private) == (REPO, "main", True)
    assert repo.url == f"{served.url}/repos/{REPO}"
    assert [issue.number for issue in issues] == list(range(10, 0, -1))  # over three pages
    assert [issue.number for issue in issues if issue.pull_request] == [10, 9, 8]
    assert [(pull.number, pull.head.ref, pull.base.ref) for pull in pulls] == [
        (10, "feature-10", "main"), (9, "feature-9", "main"), (8, "feature-8", "main")
    ]  # fmt: skip
    assert pulls[0].head.repo.full_name == REPO
    assert served.mock.calls.count(f"/repos/{REPO}/issues") == 3
    assert (
        answer_problems(
            description_or_skip("github"), served.mock.description_gaps, served.mock.calls.all()
        )
        == []
    )


def test_an_issue_is_opened_commented_and_closed(
    served: RunningMock[GitHubMock], github: Github
) -> None:
    repo = github.get_repo(REPO)

    issue = repo.create_issue(title="Found a bug", body="It breaks", labels=["bug"])
    comment = issue.create_comment("Looking into it")  # posted to the issue's own URL
    issue.edit(state="closed")
    again = repo.get_issue(issue.number)

    assert (issue.number, [label.name for label in issue.labels]) == (11, ["bug"])
    assert comment.body == "Looking into it"
    assert [c.body for c in again.get_comments()] == ["Looking into it"]
    assert (again.state, again.state_reason, again.comments) == ("closed", "completed", 1)
    assert served.mock.calls.count(f"/repos/{REPO}/issues/11/comments") == 2
    assert (
        answer_problems(
            description_or_skip("github"), served.mock.description_gaps, served.mock.calls.all()
        )
        == []
    )


def test_a_request_without_a_user_agent_is_refused(served: RunningMock[GitHubMock]) -> None:
    headers = {"Authorization": f"Bearer {served.mock.token}", "User-Agent": ""}

    response = requests.get(f"{served.url}/repos/{REPO}", headers=headers, timeout=10)

    assert response.status_code == 403
    assert "User-Agent" in response.text
