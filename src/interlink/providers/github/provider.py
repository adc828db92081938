"""`github`: repositories, issues, pull requests and comments on the GitHub REST API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from interlink.providers.github.verifier import GitHubVerifier
from interlink.providers.kit.action import Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.pagination import LinkHeader, Pagination
from interlink.providers.kit.types import IntegrationType, OAuthFacts
from interlink.providers.kit.verifiers import WebhookVerifier
from interlink.transport.classify import Disposition, ErrorTable, Verdict
from interlink.transport.client import judge_by_status
from interlink.transport.response import ProviderResponse


def _owner_repo(value: str) -> str:
    owner, sep, repo = value.partition("/")
    if not sep or not owner or not repo or "/" in repo:
        raise ValueError("use the form 'owner/repo'")
    return value


class GetRepositoryInput(BaseModel):
    owner: str = Field(description="Repository owner", min_length=1)
    repo: str = Field(description="Repository name", min_length=1)


class RepositoryOut(BaseModel):
    id: int
    name: str
    full_name: str
    description: str | None = None
    html_url: str
    private: bool = False
    default_branch: str | None = None
    stargazers_count: int = 0
    open_issues_count: int = 0


class GetIssuesInput(BaseModel):
    repository: str = Field(description="Repository in format 'owner/repo'")
    since: datetime | None = Field(None, description="Only issues updated at or after this time")
    per_page: int = Field(30, ge=1, le=100, description="Results per page (max 100)")
    state: Literal["open", "closed", "all"] = "open"
    limit: int = Field(100, ge=1, le=1000, description="Stop after this many issues")

    _check = field_validator("repository")(_owner_repo)


class Author(BaseModel):
    id: int
    login: str


class Issue(BaseModel):
    id: int
    number: int
    title: str
    state: str
    created_at: datetime
    updated_at: datetime
    author: Author | None = None
    html_url: str | None = None
    labels: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Issue:
        user = raw.get("user")
        return cls(
            **{k: raw[k] for k in ("id", "number", "title", "state", "created_at", "updated_at")},
            author=Author(id=user["id"], login=user["login"]) if user else None,
            html_url=raw.get("html_url"),
            labels=[
                label["name"] if isinstance(label, dict) else str(label)
                for label in raw.get("labels", [])
            ],
        )


class IssuePage(BaseModel):
    total_count: int
    items: list[Issue]


class CreateIssueInput(BaseModel):
    repository: str = Field(description="Repository in format 'owner/repo'")
    title: str = Field(min_length=1, max_length=256)
    body: str | None = None
    labels: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)

    _check = field_validator("repository")(_owner_repo)


class ListPullRequestsInput(BaseModel):
    repository: str = Field(description="Repository in format 'owner/repo'")
    state: Literal["open", "closed", "all"] = "open"
    per_page: int = Field(30, ge=1, le=100)
    limit: int = Field(100, ge=1, le=1000)

    _check = field_validator("repository")(_owner_repo)


class PullRequest(BaseModel):
    id: int
    number: int
    title: str
    state: str
    html_url: str | None = None
    author: Author | None = None


class PullRequestPage(BaseModel):
    total_count: int
    items: list[PullRequest]


class CreateCommentInput(BaseModel):
    repository: str = Field(description="Repository in format 'owner/repo'")
    issue_number: int = Field(ge=1)
    body: str = Field(min_length=1, max_length=65536)

    _check = field_validator("repository")(_owner_repo)


class Comment(BaseModel):
    id: int
    body: str
    html_url: str | None = None
    author: Author | None = None


def _author(raw: dict[str, Any]) -> Author | None:
    user = raw.get("user")
    return Author(id=user["id"], login=user["login"]) if isinstance(user, dict) else None


class GitHubConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "github",
        "GitHub",
        "Repositories, issues and pull requests on GitHub",
        "https://api.github.com",
        "oauth",
        api_url_hint="GitHub Enterprise Server: https://HOST/api/v3",
        oauth=OAuthFacts(
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            ("repo",),
        ),
        docs_url="https://docs.github.com/rest",
    )
    category = "developer tools"
    check_path = "/user"
    scopes_header = "x-oauth-scopes"
    pagination: ClassVar[Pagination | None] = LinkHeader()
    webhook_verifier: ClassVar[WebhookVerifier | None] = GitHubVerifier()
    required_scopes: ClassVar[dict[str, frozenset[str]]] = {
        "create_issue": frozenset({"repo", "public_repo"}),
        "create_comment": frozenset({"repo", "public_repo"}),
    }

    @classmethod
    def who(cls, answer: Mapping[str, Any]) -> str:
        return f"Authenticated as {answer.get('login', '?')}"

    @classmethod
    def judge(cls, response: ProviderResponse, table: ErrorTable) -> Verdict:
        # GitHub answers a spent budget with 403 (or 429) and X-RateLimit-Remaining: 0.
        if response.status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
            return Verdict(Disposition.RATE_LIMITED)
        return judge_by_status(response, table)

    @action()
    async def get_repository(self, ctx: ActionContext, params: GetRepositoryInput) -> RepositoryOut:
        """Retrieves information about a GitHub repository."""
        response = await ctx.http.get(f"/repos/{params.owner}/{params.repo}")
        return RepositoryOut.model_validate(response.json())

    @action()
    async def get_issues(self, ctx: ActionContext, params: GetIssuesInput) -> IssuePage:
        """Retrieves issues for a GitHub repository, following pagination up to `limit`."""
        query: dict[str, Any] = {"state": params.state, "per_page": params.per_page}
        if params.since is not None:
            query["since"] = params.since.isoformat().replace("+00:00", "Z")
        paged = await ctx.paginate(
            f"/repos/{params.repository}/issues",
            params=query,
            limit=params.limit,
            keep=lambda item: "pull_request" not in item,  # GitHub lists pull requests as issues
        )
        issues = [Issue.of(item) for item in paged.items]
        return IssuePage(total_count=len(issues), items=issues)

    @action()
    async def create_issue(self, ctx: ActionContext, params: CreateIssueInput) -> Issue:
        """Creates an issue in a GitHub repository."""
        body = params.model_dump(exclude={"repository"}, exclude_none=True)
        response = await ctx.http.post(f"/repos/{params.repository}/issues", json=body)
        return Issue.of(response.json())

    @action()
    async def list_pull_requests(
        self, ctx: ActionContext, params: ListPullRequestsInput
    ) -> PullRequestPage:
        """Lists pull requests of a GitHub repository, following pagination up to `limit`."""
        query = {"state": params.state, "per_page": params.per_page}
        paged = await ctx.paginate(
            f"/repos/{params.repository}/pulls", params=query, limit=params.limit
        )
        items = [
            PullRequest(**{k: r[k] for k in ("id", "number", "title", "state")},
                        html_url=r.get("html_url"), author=_author(r))
            for r in paged.items
        ]  # fmt: skip
        return PullRequestPage(total_count=len(items), items=items)

    @action()
    async def create_comment(self, ctx: ActionContext, params: CreateCommentInput) -> Comment:
        """Adds a comment to an issue or pull request."""
        response = await ctx.http.post(
            f"/repos/{params.repository}/issues/{params.issue_number}/comments",
            json={"body": params.body},
        )
        raw = response.json()
        return Comment(
            id=raw["id"], body=raw["body"], html_url=raw.get("html_url"), author=_author(raw)
        )
