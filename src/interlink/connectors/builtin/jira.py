"""`jira`: JQL search, issues, comments and transitions on Jira Cloud (REST API v3).

v3 takes rich text as Atlassian Document Format: plain-text descriptions and comments are wrapped
in a one-paragraph document here. Jira's errors (`{"errorMessages": [...], "errors": {...}}`) are
read by the transport.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel, Field

from interlink.connectors.base import CheckResult, Connector, action
from interlink.connectors.context import ActionContext
from interlink.connectors.types import INTEGRATION_TYPES, IntegrationType
from interlink.core.errors import ExternalServiceError

API = "/rest/api/3"
_SEARCH_FIELDS = "summary,status,issuetype"
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
    jql: str = Field(description="The JQL query, e.g. 'project = PROJ AND status = \"To Do\"'")
    max_results: int = Field(50, ge=1, le=100, description="Issues per page (max 100)")
    start_at: int = Field(0, ge=0, description="Index of the first issue to return")
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
    total: int = Field(description="How many issues match the JQL in all")
    issues: list[Issue]


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
    spec: ClassVar[IntegrationType] = INTEGRATION_TYPES["jira"]
    category = "project management"

    @action()
    async def search_issues(self, ctx: ActionContext, params: SearchIssuesInput) -> IssuePage:
        """Searches issues with JQL, following startAt pagination up to `limit`."""
        issues: list[Issue] = []
        start, total = params.start_at, 0
        while len(issues) < params.limit:
            response = await ctx.http.get(
                f"{API}/search",
                params={
                    "jql": params.jql,
                    "startAt": start,
                    "maxResults": min(params.max_results, params.limit - len(issues)),
                    "fields": _SEARCH_FIELDS,
                },
            )
            page = response.json()
            if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
                raise ExternalServiceError("Jira answered a search without an issue list")
            total = int(page.get("total", 0))
            issues.extend(Issue.of(raw) for raw in page["issues"])
            start += len(page["issues"])
            if not page["issues"] or start >= total:
                break
        return IssuePage(total=total, issues=issues[: params.limit])

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

    async def check(self, ctx: ActionContext) -> CheckResult:
        response = await ctx.http.get(f"{API}/myself")
        me = response.json()
        who = me.get("displayName") or me.get("emailAddress") or "?"
        return CheckResult(message=f"Authenticated as {who}")
