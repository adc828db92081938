"""GitHub without the server: `get_issues(owner, repo, ...)` and the like, returning plain data
(issues as a list), beside the generic one-method-per-action classes of the other providers."""

from __future__ import annotations

from typing import Any, ClassVar

from interlink.direct.base import AsyncDirectIntegration, DirectConfiguration, DirectIntegration
from interlink.providers.github.provider import GitHubConnector
from interlink.providers.kit.action import Connector


class GitHubIntegrationConfiguration(DirectConfiguration):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - a scheme name, not a secret


class AsyncGitHubIntegration(AsyncDirectIntegration):
    connector: ClassVar[type[Connector]] = GitHubConnector

    async def get_repository(self, owner: str, repo: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.run("get_repository", owner=owner, repo=repo)
        return found

    async def get_issues(
        self,
        owner: str,
        repo: str,
        state: str = "open",
        since: str | None = None,
        per_page: int = 30,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        page = await self.run(
            "get_issues", repository=f"{owner}/{repo}", state=state, since=since,
            per_page=per_page, limit=limit,
        )  # fmt: skip
        issues: list[dict[str, Any]] = page["items"]
        return issues

    async def create_issue(
        self,
        owner: str,
        repo: str,
        title: str,
        body: str | None = None,
        labels: list[str] | None = None,
        assignees: list[str] | None = None,
    ) -> dict[str, Any]:
        created: dict[str, Any] = await self.run(
            "create_issue", repository=f"{owner}/{repo}", title=title, body=body,
            labels=labels or [], assignees=assignees or [],
        )  # fmt: skip
        return created

    async def list_pull_requests(
        self, owner: str, repo: str, state: str = "open"
    ) -> list[dict[str, Any]]:
        page = await self.run("list_pull_requests", repository=f"{owner}/{repo}", state=state)
        pulls: list[dict[str, Any]] = page["items"]
        return pulls

    async def create_comment(
        self, owner: str, repo: str, issue_number: int, body: str
    ) -> dict[str, Any]:
        created: dict[str, Any] = await self.run(
            "create_comment", repository=f"{owner}/{repo}", issue_number=issue_number, body=body
        )
        return created


class GitHubIntegration(DirectIntegration):
    async_class: ClassVar[type[AsyncDirectIntegration]] = AsyncGitHubIntegration
    _async: AsyncGitHubIntegration

    def get_repository(self, owner: str, repo: str) -> dict[str, Any]:
        return self._call(self._async.get_repository(owner, repo))

    def get_issues(
        self,
        owner: str,
        repo: str,
        state: str = "open",
        since: str | None = None,
        per_page: int = 30,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        return self._call(self._async.get_issues(owner, repo, state, since, per_page, limit))

    def create_issue(
        self,
        owner: str,
        repo: str,
        title: str,
        body: str | None = None,
        labels: list[str] | None = None,
        assignees: list[str] | None = None,
    ) -> dict[str, Any]:
        return self._call(self._async.create_issue(owner, repo, title, body, labels, assignees))

    def list_pull_requests(
        self, owner: str, repo: str, state: str = "open"
    ) -> list[dict[str, Any]]:
        return self._call(self._async.list_pull_requests(owner, repo, state))

    def create_comment(self, owner: str, repo: str, issue_number: int, body: str) -> dict[str, Any]:
        return self._call(self._async.create_comment(owner, repo, issue_number, body))
