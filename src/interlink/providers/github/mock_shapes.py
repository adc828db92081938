"""GitHub's objects as the mock keeps them, and their JSON as GitHub REST v3 shows them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from interlink.core.clock import rfc3339

API = "https://api.github.com"
SEED_START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Issue:
    number: int
    title: str
    body: str | None
    created: datetime
    state: str = "open"
    updated: datetime | None = None
    closed: datetime | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    is_pull: bool = False

    @property
    def updated_at(self) -> datetime:
        return self.updated or self.created


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    issues: dict[int, Issue] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def user_json(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": 1,
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": f"https://avatars.githubusercontent.com/{login}",
        "url": f"{API}/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }


def issue_json(repo: Repo, issue: Issue) -> dict[str, Any]:
    base = f"{API}/repos/{repo.full_name}/issues/{issue.number}"
    data: dict[str, Any] = {
        "id": repo.id * 100_000 + issue.number,
        "node_id": f"I_kwDOmock{issue.number}",
        "url": base,
        "repository_url": f"{API}/repos/{repo.full_name}",
        "comments_url": f"{base}/comments",
        "html_url": f"https://github.com/{repo.full_name}/issues/{issue.number}",
        "number": issue.number,
        "state": issue.state,
        "state_reason": "completed" if issue.state == "closed" else None,
        "title": issue.title,
        "body": issue.body,
        "user": user_json("octocat"),
        "labels": [label_json(repo, name) for name in issue.labels],
        "assignee": None,
        "assignees": [],
        "locked": False,
        "comments": len(issue.comments),
        "created_at": rfc3339(issue.created),
        "updated_at": rfc3339(issue.updated_at),
        "closed_at": rfc3339(issue.closed) if issue.closed else None,
        "author_association": "OWNER",
    }
    if issue.is_pull:
        pull = f"{API}/repos/{repo.full_name}/pulls/{issue.number}"
        data["pull_request"] = {"url": pull, "html_url": data["html_url"], "merged_at": None}
    return data


def pull_json(repo: Repo, pull: Issue) -> dict[str, Any]:
    issue = issue_json(repo, pull)
    head = {"label": f"{repo.owner}:feature-{pull.number}", "ref": f"feature-{pull.number}"}
    return {
        key: issue[key]
        for key in ("id", "node_id", "html_url", "number", "state", "title", "body", "user")
    } | {
        "url": issue["pull_request"]["url"],
        "issue_url": issue["url"],
        "labels": issue["labels"],
        "created_at": issue["created_at"],
        "updated_at": issue["updated_at"],
        "closed_at": issue["closed_at"],
        "merged_at": None,
        "draft": False,
        "head": head | {"sha": f"{pull.number:040x}"},
        "base": {"label": f"{repo.owner}:main", "ref": "main", "sha": "0" * 40},
    }


def label_json(repo: Repo, name: str) -> dict[str, Any]:
    return {
        "id": zlib.crc32(name.encode()),
        "name": name,
        "url": f"{API}/repos/{repo.full_name}/labels/{name}",
        "color": "d73a4a" if name == "bug" else "ededed",
        "default": name == "bug",
        "description": None,
    }


def repo_json(repo: Repo) -> dict[str, Any]:
    open_count = sum(1 for issue in repo.issues.values() if issue.state == "open")
    return {
        "id": repo.id,
        "node_id": "R_kgDOmock",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": True,
        "visibility": "private",
        "owner": user_json(repo.owner) | {"type": "Organization"},
        "html_url": f"https://github.com/{repo.full_name}",
        "url": f"{API}/repos/{repo.full_name}",
        "description": "A repository served by the Interlink mock",
        "fork": False,
        "default_branch": "main",
        "open_issues_count": open_count,
        "has_issues": True,
        "created_at": rfc3339(SEED_START),
        "updated_at": rfc3339(SEED_START),
        "pushed_at": rfc3339(SEED_START),
        "permissions": {
            "admin": True,
            "maintain": True,
            "push": True,
            "triage": True,
            "pull": True,
        },
    }
