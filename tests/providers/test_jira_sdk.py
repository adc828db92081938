"""Atlassian's `jira` library, pointed at the Jira mock, does what a user does with it: connect
(server info), who am I, read an issue, create one, comment, move it through its workflow, and
find it again by JQL. Under REST v2 (the library's default: text) and v3 (Atlassian Documents,
what our actions use, whose answers must fit the published description)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jira import JIRA, JIRAError

from interlink.providers.jira.mock import JiraMock
from interlink.testing import RunningMock
from interlink.testing.server import serve_mock_in_thread
from tests.providers.conftest import answer_problems, description_or_skip

DESCRIPTION = "Steps:\n\n1. open the page"


def document(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


@pytest.fixture(scope="module")
def served() -> Iterator[RunningMock[JiraMock]]:
    with serve_mock_in_thread(JiraMock(issues=12, rate_limit=None)) as running:
        yield running


@pytest.fixture
def jira(served: RunningMock[JiraMock]) -> JiraMock:
    served.mock.reset()
    return served.mock


def connect(served: RunningMock[JiraMock], version: str) -> JIRA:
    mock = served.mock
    return JIRA(
        served.url,
        basic_auth=(mock.email, mock.token),
        options={"rest_api_version": version},
        max_retries=0,
    )


def test_connecting_reads_the_server_info_and_finds_a_cloud_site(
    served: RunningMock[JiraMock], jira: JiraMock
) -> None:
    client = connect(served, "2")

    assert client.deploymentType == "Cloud"
    assert client.server_info()["baseUrl"] == served.url
    assert client.myself()["displayName"] == "Mock User"
    assert jira.calls.count("/rest/api/2/serverInfo") == 2


@pytest.mark.parametrize(
    ("version", "description", "comment"),
    [
        ("2", DESCRIPTION, "Looking into it"),
        ("3", document(DESCRIPTION), document("Looking into it")),
    ],
)
def test_an_issue_is_read_created_commented_moved_and_found(
    served: RunningMock[JiraMock], jira: JiraMock, version: str, description: Any, comment: Any
) -> None:
    client = connect(served, version)

    seeded = client.issue("PROJ-7")
    created = client.create_issue(
        project="PROJ", summary="Login fails", issuetype={"name": "Bug"}, description=description
    )
    said = client.add_comment(created, comment)
    moves = {t["name"]: t["id"] for t in client.transitions(created)}
    client.transition_issue(created, "In Progress")
    found = client.search_issues('project = PROJ AND status = "In Progress"', maxResults=10)
    again = client.issue(created.key)

    assert (seeded.key, seeded.fields.summary, seeded.fields.status.name) == (
        "PROJ-7", "Seeded issue 7", "To Do"
    )  # fmt: skip
    assert (created.key, created.fields.issuetype.name) == ("PROJ-13", "Bug")
    assert created.raw["fields"]["description"] == description
    assert said.raw["body"] == comment
    assert [c.raw["body"] for c in client.comments(created)] == [comment]
    assert moves == {"To Do": "11", "In Progress": "21", "Done": "31"}
    assert again.fields.status.name == "In Progress"
    assert created.key in [issue.key for issue in found]
    assert all(issue.fields.status.name == "In Progress" for issue in found)
    assert again.self == f"{served.url}/rest/api/{version}/issue/10013"  # links lead back here
    assert client.issue(again.id).key == "PROJ-13"
    if version == "3":
        description_3 = description_or_skip("jira")
        assert answer_problems(description_3, jira.description_gaps, jira.calls.all()) == []
        # /search/jql is not in the description, but the issues it answers are Jira's IssueBean
        bean = "#/components/schemas/IssueBean"
        searches = jira.calls.filter("GET", "/rest/api/3/search/jql")
        assert searches
        for call in searches:
            assert call.answer is not None
            for raw in call.answer.json()["issues"]:
                assert description_3.validate(bean, raw, "issue", write=False) == []


def test_wrong_credentials_are_refused_on_connect(
    served: RunningMock[JiraMock], jira: JiraMock
) -> None:
    with pytest.raises(JIRAError) as refused:
        JIRA(served.url, basic_auth=(jira.email, "wrong"), max_retries=0)

    assert refused.value.status_code == 401
    assert "Client must be authenticated" in str(refused.value.text)
