"""`jira`: JQL search, issues, comments and transitions on Jira Cloud (REST API v3).

v3 takes rich text as Atlassian Document Format: plain-text descriptions and comments are wrapped
in a one-paragraph document here. Jira's errors (`{"errorMessages": [...], "errors": {...}}`) are
read by the transport. Search uses `/search/jql`, the endpoint Atlassian replaced `/search` with
(the old one answers 410 Gone): it pages with `nextPageToken` and `isLast` and counts nothing.
Jira's `X-RateLimit-Reset` is an ISO 8601 time (`2026-03-26T16:00Z`), not a unix time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel, Field

from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import PageToken, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts, with_fields
from interlink.transport.headers import RateLimitHeaders

API = "/rest/api/3"
_SEARCH_FIELDS = ["summary", "status", "issuetype"]
_KEY = r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document: one paragraph per line block."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [text]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ],
    }


def _issue_path(key: str) -> str:
    return f"{API}/issue/{quote(key, safe='')}"


class SearchIssuesInput(BaseModel):
    jql: str = Field(
        min_length=1,
        description="The JQL query, e.g. 'project = PROJ AND status = \"To Do\"'; Jira refuses "
        "an unbounded one (with no search restriction)",
    )
    max_results: int = Field(50, ge=1, le=100, description="Issues asked per page (max 100)")
    next_page_token: str | None = Field(
        None, description="Continue from a previous result's next_page_token"
    )
    limit: int = Field(100, ge=1, le=1000, description="Stop after this many issues")


class Issue(BaseModel):
    id: str
    key: str
    summary: str | None = None
    status: str | None = None
    issue_type: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Issue:
        fields = raw.get("fields") or {}
        return cls(
            id=str(raw["id"]),
            key=str(raw["key"]),
            summary=fields.get("summary"),
            status=(fields.get("status") or {}).get("name"),
            issue_type=(fields.get("issuetype") or {}).get("name"),
        )


class IssuePage(BaseModel):
    """Issues matching the JQL, in its order. Jira's search no longer says how many match in all
    (there is no `total`): read on with `next_page_token` until it is null."""

    issues: list[Issue]
    next_page_token: str | None = Field(
        None, description="Pass as `next_page_token` to read on; null after the last page"
    )


class GetIssueInput(BaseModel):
    key: str = Field(description="Issue key or id, e.g. PROJ-123", pattern=_KEY)


class IssueDetail(Issue):
    description: dict[str, Any] | None = Field(None, description="Atlassian Document Format")
    labels: list[str] = Field(default_factory=list)
    project_key: str | None = None
    created: str | None = None
    updated: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> IssueDetail:
        fields = raw.get("fields") or {}
        return cls(
            **Issue.of(raw).model_dump(),
            description=fields.get("description"),
            labels=list(fields.get("labels") or []),
            project_key=(fields.get("project") or {}).get("key"),
            created=fields.get("created"),
            updated=fields.get("updated"),
        )


class CreateIssueInput(BaseModel):
    project_key: str = Field(description="The project key, e.g. PROJ", min_length=1)
    summary: str = Field(min_length=1, max_length=255)
    issue_type: str = Field("Task", description="Issue type name (Task, Bug, Story...)")
    description: str | None = Field(None, description="Plain text; sent as a document")


class CreatedIssue(BaseModel):
    id: str
    key: str
    self: str


class AddCommentInput(BaseModel):
    key: str = Field(description="Issue key or id, e.g. PROJ-123", pattern=_KEY)
    body: str = Field(min_length=1, description="Plain text; sent as a document")


class CommentOut(BaseModel):
    id: str
    created: str | None = None


class TransitionIssueInput(BaseModel):
    key: str = Field(description="Issue key or id, e.g. PROJ-123", pattern=_KEY)
    transition_id: str = Field(min_length=1, description="The transition's id (see the workflow)")


class Transitioned(BaseModel):
    transitioned: bool


class JiraConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "jira",
        "Jira",
        "Issue tracking on Jira",
        None,
        "basic",
        needs_api_url=True,
        required_credentials=with_fields(basic=(("username", "email"), ("password",))),
        api_url_hint="your site, e.g. https://your-domain.atlassian.net; with OAuth, "
        "https://api.atlassian.com/ex/jira/{cloudId}",
        oauth=OAuthFacts(  # Atlassian's 3LO: its tokens are good at api.atlassian.com only
            "https://auth.atlassian.com/authorize",
            "https://auth.atlassian.com/oauth/token",
            ("read:jira-work", "write:jira-work", "read:jira-user", "offline_access"),
            api_hosts=("api.atlassian.com",),
        ),
        docs_url="https://developer.atlassian.com/cloud/jira/platform/rest/v3/",
    )
    category = "project management"
    rate_headers: ClassVar[RateLimitHeaders | None] = RateLimitHeaders(reset_kind="iso8601")
    check_path = f"{API}/myself"
    # `/search/jql`; Jira's older lists page by position: `Offset()` (startAt, maxResults, total).
    pagination: ClassVar[Pagination | None] = PageToken(
        items="issues", param="nextPageToken", size="maxResults", is_last="isLast"
    )

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return f"Authenticated as {answer.get('displayName') or answer.get('emailAddress') or '?'}"

    @action(idempotent=True)  # a read, though sent as a POST
    async def search_issues(self, ctx: ActionContext, params: SearchIssuesInput) -> IssuePage:
        """Searches issues with JQL (`/search/jql`), following nextPageToken up to `limit`.
        Jira's search does not count the matches, so there is no total: read on with
        `next_page_token` until it is null."""
        paged = await ctx.paginate(
            f"{API}/search/jql", json={"jql": params.jql, "fields": _SEARCH_FIELDS},
            limit=params.limit, page_size=params.max_results, cursor=params.next_page_token,
        )  # fmt: skip
        return IssuePage(
            issues=[Issue.of(raw) for raw in paged.items], next_page_token=paged.cursor
        )

    @action()
    async def get_issue(self, ctx: ActionContext, params: GetIssueInput) -> IssueDetail:
        """Retrieves one issue by key or id."""
        response = await ctx.http.get(_issue_path(params.key))
        return IssueDetail.of(response.json())

    @action()
    async def create_issue(self, ctx: ActionContext, params: CreateIssueInput) -> CreatedIssue:
        """Creates an issue in a project."""
        fields: dict[str, Any] = {
            "project": {"key": params.project_key},
            "summary": params.summary,
            "issuetype": {"name": params.issue_type},
        }
        if params.description is not None:
            fields["description"] = adf(params.description)
        response = await ctx.http.post(f"{API}/issue", json={"fields": fields})
        return CreatedIssue.model_validate(response.json())

    @action()
    async def add_comment(self, ctx: ActionContext, params: AddCommentInput) -> CommentOut:
        """Adds a comment to an issue."""
        response = await ctx.http.post(
            f"{_issue_path(params.key)}/comment", json={"body": adf(params.body)}
        )
        raw = response.json()
        return CommentOut(id=str(raw["id"]), created=raw.get("created"))

    @action()
    async def transition_issue(
        self, ctx: ActionContext, params: TransitionIssueInput
    ) -> Transitioned:
        """Moves an issue through its workflow with a transition id."""
        await ctx.http.post(
            f"{_issue_path(params.key)}/transitions",
            json={"transition": {"id": params.transition_id}},
        )
        return Transitioned(transitioned=True)
