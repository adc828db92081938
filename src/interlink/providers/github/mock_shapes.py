"""GitHub's objects as the mock keeps them, and their JSON as GitHub REST v3 shows them.

`api` is the API root the objects' URLs point at: the address the mock was reached on (e.g.
`http://127.0.0.1:8080`), so a client that follows them (PyGithub does) comes back to the mock.
Web pages (`html_url`) stay on github.com, as on GitHub.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from interlink.core.clock import rfc3339

Obj = dict[str, Any]
WEB = "https://github.com"
SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
LABELS = {"bug": ("d73a4a", "Something isn't working", True)}  # name -> colour, about, default
# The repository's URL templates: `<name>_url` is the repository's URL followed by this.
REPO_URLS = {
    "archive": "/{archive_format}{/ref}",
    "assignees": "/assignees{/user}",
    "blobs": "/git/blobs{/sha}",
    "branches": "/branches{/branch}",
    "collaborators": "/collaborators{/collaborator}",
    "comments": "/comments{/number}",
    "commits": "/commits{/sha}",
    "compare": "/compare/{base}...{head}",
    "contents": "/contents/{+path}",
    "contributors": "/contributors",
    "deployments": "/deployments",
    "downloads": "/downloads",
    "events": "/events",
    "forks": "/forks",
    "git_commits": "/git/commits{/sha}",
    "git_refs": "/git/refs{/sha}",
    "git_tags": "/git/tags{/sha}",
    "hooks": "/hooks",
    "issue_comment": "/issues/comments{/number}",
    "issue_events": "/issues/events{/number}",
    "issues": "/issues{/number}",
    "keys": "/keys{/key_id}",
    "labels": "/labels{/name}",
    "languages": "/languages",
    "merges": "/merges",
    "milestones": "/milestones{/number}",
    "notifications": "/notifications{?since,all,participating}",
    "pulls": "/pulls{/number}",
    "releases": "/releases{/id}",
    "stargazers": "/stargazers",
    "statuses": "/statuses/{sha}",
    "subscribers": "/subscribers",
    "subscription": "/subscription",
    "tags": "/tags",
    "teams": "/teams",
    "trees": "/git/trees{/sha}",
}


@dataclass
class Comment:
    id: int
    body: str
    created: datetime


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
    comments: list[Comment] = field(default_factory=list)
    is_pull: bool = False

    @property
    def updated_at(self) -> datetime:
        return self.updated or self.created


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    author: str  # the login of the issues' author (the authenticated user)
    issues: dict[int, Issue] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def user_json(api: str, login: str, *, organization: bool = False) -> Obj:
    """A user (or organization) as GitHub embeds one: `simple-user`."""
    user_id = 9919 if organization else 1
    url = f"{api}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": "MDEyOk9yZ2FuaXphdGlvbjk5MTk=" if organization else "MDQ6VXNlcjE=",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "Organization" if organization else "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def me_json(api: str, login: str) -> Obj:
    """`GET /user`: the authenticated user, with their private profile (`private-user`)."""
    return user_json(api, login) | {
        "user_view_type": "private",
        "name": "The Octocat",
        "company": "@octo-org",
        "blog": "https://github.blog",
        "location": "San Francisco",
        "email": "octocat@example.com",
        "notification_email": "octocat@example.com",
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 8,
        "public_gists": 8,
        "followers": 20,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": rfc3339(SEED_START),
        "private_gists": 0,
        "total_private_repos": 1,
        "owned_private_repos": 0,
        "disk_usage": 108,
        "collaborators": 0,
        "two_factor_authentication": True,
        "plan": {"name": "pro", "space": 976562499, "private_repos": 9999, "collaborators": 0},
    }


def repo_json(api: str, repo: Repo, *, full: bool = True) -> Obj:
    """The repository: `full-repository` as `GET /repos/{owner}/{repo}` answers it, or (not
    `full`) the `repository` embedded in a pull request's head and base."""
    url = f"{api}/repos/{repo.full_name}"
    web = f"{WEB}/{repo.full_name}"
    open_count = sum(1 for issue in repo.issues.values() if issue.state == "open")
    owner = user_json(api, repo.owner, organization=True)
    data: Obj = {
        "id": repo.id,
        "node_id": "R_kgDOmock",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": True,
        "owner": owner,
        "html_url": web,
        "description": "A repository served by the Interlink mock",
        "fork": False,
        "url": url,
        **{f"{name}_url": url + tail for name, tail in REPO_URLS.items()},
        "git_url": f"git://github.com/{repo.full_name}.git",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "clone_url": f"{web}.git",
        "svn_url": web,
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "size": 108,
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "open_issues": open_count,
        "open_issues_count": open_count,
        "default_branch": "main",
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private",
        "license": {
            "key": "mit",
            "name": "MIT License",
            "spdx_id": "MIT",
            "url": f"{api}/licenses/mit",
            "node_id": "MDc6TGljZW5zZTEz",
        },
        "allow_forking": False,
        "web_commit_signoff_required": False,
        "pushed_at": rfc3339(SEED_START),
        "created_at": rfc3339(SEED_START),
        "updated_at": rfc3339(SEED_START),
        "permissions": {
            "admin": True,
            "maintain": True,
            "push": True,
            "triage": True,
            "pull": True,
        },
    }
    if full:
        data |= {"organization": owner, "network_count": 0, "subscribers_count": 1}
    return data


def issue_json(api: str, repo: Repo, issue: Issue) -> Obj:
    url = f"{api}/repos/{repo.full_name}/issues/{issue.number}"
    kind = "pull" if issue.is_pull else "issues"
    html = f"{WEB}/{repo.full_name}/{kind}/{issue.number}"
    data: Obj = {
        "url": url,
        "repository_url": f"{api}/repos/{repo.full_name}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": html,
        "id": repo.id * 100_000 + issue.number,
        "node_id": f"I_kwDOmock{issue.number}",
        "number": issue.number,
        "title": issue.title,
        "user": user_json(api, repo.author),
        "labels": [label_json(api, repo, name) for name in issue.labels],
        "state": issue.state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": len(issue.comments),
        "created_at": rfc3339(issue.created),
        "updated_at": rfc3339(issue.updated_at),
        "closed_at": rfc3339(issue.closed) if issue.closed else None,
        "author_association": "OWNER",
        "active_lock_reason": None,
        "body": issue.body,
        "reactions": reactions_json(url),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": "completed" if issue.state == "closed" else None,
    }
    if issue.is_pull:
        pull = f"{api}/repos/{repo.full_name}/pulls/{issue.number}"
        data["draft"] = False
        data["pull_request"] = {
            "url": pull,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": None,
        }
    return data


def pull_json(api: str, repo: Repo, pull: Issue) -> Obj:
    """A pull request as lists show it: `pull-request-simple`."""
    issue = issue_json(api, repo, pull)
    repository = f"{api}/repos/{repo.full_name}"
    url = f"{repository}/pulls/{pull.number}"
    head_sha = f"{pull.number:040x}"
    links = {
        "self": url,
        "html": issue["html_url"],
        "issue": issue["url"],
        "comments": issue["comments_url"],
        "review_comments": f"{url}/comments",
        "review_comment": f"{repository}/pulls/comments{{/number}}",
        "commits": f"{url}/commits",
        "statuses": f"{repository}/statuses/{head_sha}",
    }
    kept = ("id", "html_url", "number", "state", "locked", "title", "user", "body", "labels")
    return {key: issue[key] for key in kept} | {
        "url": url,
        "node_id": f"PR_kwDOmock{pull.number}",
        "diff_url": issue["pull_request"]["diff_url"],
        "patch_url": issue["pull_request"]["patch_url"],
        "issue_url": issue["url"],
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": issue["comments_url"],
        "statuses_url": links["statuses"],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": issue["created_at"],
        "updated_at": issue["updated_at"],
        "closed_at": issue["closed_at"],
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _ref(api, repo, f"feature-{pull.number}", head_sha),
        "base": _ref(api, repo, "main", "0" * 40),
        "_links": {name: {"href": href} for name, href in links.items()},
        "author_association": "OWNER",
        "auto_merge": None,
        "draft": False,
    }


def _ref(api: str, repo: Repo, branch: str, sha: str) -> Obj:
    return {
        "label": f"{repo.owner}:{branch}",
        "ref": branch,
        "sha": sha,
        "user": user_json(api, repo.owner, organization=True),
        "repo": repo_json(api, repo, full=False),
    }


def comment_json(api: str, repo: Repo, issue: Issue, comment: Comment) -> Obj:
    url = f"{api}/repos/{repo.full_name}/issues/comments/{comment.id}"
    created = rfc3339(comment.created)
    return {
        "id": comment.id,
        "node_id": f"IC_kwDOmock{comment.id}",
        "url": url,
        "html_url": f"{WEB}/{repo.full_name}/issues/{issue.number}#issuecomment-{comment.id}",
        "body": comment.body,
        "user": user_json(api, repo.author),
        "created_at": created,
        "updated_at": created,
        "issue_url": f"{api}/repos/{repo.full_name}/issues/{issue.number}",
        "author_association": "OWNER",
        "performed_via_github_app": None,
        "reactions": reactions_json(url),
    }


def label_json(api: str, repo: Repo, name: str) -> Obj:
    colour, about, default = LABELS.get(name, ("ededed", "", False))
    return {
        "id": zlib.crc32(name.encode()),
        "node_id": f"LA_kwDOmock{zlib.crc32(name.encode())}",
        "url": f"{api}/repos/{repo.full_name}/labels/{name}",
        "name": name,
        "color": colour,
        "default": default,
        "description": about,
    }


def reactions_json(url: str) -> Obj:
    counts = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
    return {"url": f"{url}/reactions", "total_count": 0} | dict.fromkeys(counts, 0)
