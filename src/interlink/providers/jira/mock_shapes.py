"""Jira's objects as the mock keeps them, and their JSON as Jira Cloud's REST API shows them.

`base` is the API root the links point at, e.g. `http://127.0.0.1:8080/rest/api/3`; `rich` turns
a stored Atlassian Document into what the API version shows (v3: the document, v2: its text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Rich = Callable[[Obj | None], Any]
ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5"
PROJECT_ID = "10000"
EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
# status name -> (status id, category id, category key, category colour)
STATUSES = {
    "To Do": ("10000", 2, "new", "blue-gray"),
    "In Progress": ("3", 4, "indeterminate", "yellow"),
    "Done": ("10001", 3, "done", "green"),
}
ISSUE_TYPES = {"Task": "10001", "Bug": "10002", "Story": "10003"}
# The system fields the mock's issues have: id, name, JQL clause names, schema type (or "system").
FIELDS = [
    ("issuekey", "Key", ["id", "issue", "issuekey", "key"], None),
    ("summary", "Summary", ["summary"], "string"),
    ("status", "Status", ["status"], "status"),
    ("issuetype", "Issue Type", ["issuetype", "type"], "issuetype"),
    ("project", "Project", ["project"], "project"),
    ("description", "Description", ["description"], "string"),
    ("labels", "Labels", ["labels"], "array"),
    ("priority", "Priority", ["priority"], "priority"),
    ("assignee", "Assignee", ["assignee"], "user"),
    ("reporter", "Reporter", ["reporter"], "user"),
    ("created", "Created", ["created", "createdDate"], "datetime"),
    ("updated", "Updated", ["updated", "updatedDate"], "datetime"),
    ("comment", "Comment", ["comment"], "comments-page"),
]


@dataclass
class Comment:
    id: str
    body: Obj  # an Atlassian Document
    created: datetime


@dataclass
class Issue:
    number: int
    summary: str
    status: str
    issuetype: str
    created: datetime
    updated: datetime
    description: Obj | None = None  # an Atlassian Document
    labels: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


def issue_json(base: str, project: str, issue: Issue, wanted: set[str], rich: Rich) -> Obj:
    """An issue with the fields in `wanted` (`*all`/`*navigable`, names, `-name` to leave out)."""
    key_id = issue_id(issue.number)
    comments = [comment_json(base, issue, c, rich) for c in issue.comments]
    everything: Obj = {
        "summary": issue.summary,
        "status": status_json(base, issue.status),
        "issuetype": issue_type_json(base, issue.issuetype),
        "project": {
            "self": f"{base}/project/{PROJECT_ID}",
            "id": PROJECT_ID,
            "key": project,
            "name": "Mock Project",
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": avatar_urls(base, "project", 10400),
        },
        "description": rich(issue.description),
        "labels": issue.labels,
        "priority": {
            "self": f"{base}/priority/3",
            "iconUrl": f"{_site(base)}/images/icons/priorities/medium.svg",
            "name": "Medium",
            "id": "3",
        },
        "assignee": None,
        "reporter": user_json(base),
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
        "comment": {
            "comments": comments,
            "self": f"{base}/issue/{key_id}/comment",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        },
    }
    shown = (
        everything
        if wanted & {"*all", "*navigable"}
        else {k: v for k, v in everything.items() if k in wanted}
    )
    shown = {k: v for k, v in shown.items() if f"-{k}" not in wanted}
    data: Obj = {
        "expand": EXPAND,
        "id": key_id,
        "self": f"{base}/issue/{key_id}",
        "key": f"{project}-{issue.number}",
    }
    if wanted != {"id"}:
        data["fields"] = shown
    return data


def comment_json(base: str, issue: Issue, comment: Comment, rich: Rich) -> Obj:
    author = user_json(base)
    created = jira_time(comment.created)
    return {
        "self": f"{base}/issue/{issue_id(issue.number)}/comment/{comment.id}",
        "id": comment.id,
        "author": author,
        "body": rich(comment.body),
        "updateAuthor": author,
        "created": created,
        "updated": created,
        "jsdPublic": True,
    }


def status_json(base: str, name: str) -> Obj:
    status_id, category_id, category_key, colour = STATUSES[name]
    category = {
        "self": f"{base}/statuscategory/{category_id}",
        "id": category_id,
        "key": category_key,
        "colorName": colour,
        "name": name,
    }
    return {
        "self": f"{base}/status/{status_id}",
        "description": "",
        "iconUrl": f"{_site(base)}/",
        "name": name,
        "id": status_id,
        "statusCategory": category,
    }


def issue_type_json(base: str, name: str) -> Obj:
    type_id = ISSUE_TYPES[name]
    return {
        "self": f"{base}/issuetype/{type_id}",
        "id": type_id,
        "description": f"A {name.lower()}.",
        "iconUrl": f"{_site(base)}/rest/api/2/universal_avatar/view/type/issuetype/avatar/"
        f"{10300 + int(type_id) % 100}?size=medium",
        "name": name,
        "subtask": False,
        "avatarId": 10300 + int(type_id) % 100,
        "hierarchyLevel": 0,
    }


def user_json(base: str) -> Obj:
    return {
        "self": f"{base}/user?accountId={ACCOUNT_ID}",
        "accountId": ACCOUNT_ID,
        "accountType": "atlassian",
        "avatarUrls": avatar_urls(base, "user", 10122),
        "displayName": "Mock User",
        "active": True,
        "timeZone": "UTC",
    }


def project_json(base: str, project: str) -> Obj:
    """`GET /project/{projectIdOrKey}`: the project, its lead and its issue types."""
    return {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": f"{base}/project/{PROJECT_ID}",
        "id": PROJECT_ID,
        "key": project,
        "description": "",
        "lead": user_json(base),
        "components": [],
        "issueTypes": [issue_type_json(base, name) for name in ISSUE_TYPES],
        "assigneeType": "UNASSIGNED",
        "versions": [],
        "name": "Mock Project",
        "roles": {},
        "avatarUrls": avatar_urls(base, "project", 10400),
        "projectTypeKey": "software",
        "simplified": False,
        "style": "classic",
        "isPrivate": False,
        "properties": {},
    }


def server_info_json(base: str, now: datetime) -> Obj:
    """`GET /serverInfo`, as Jira Cloud answers it (anonymously too)."""
    return {
        "baseUrl": _site(base),
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100288,
        "buildDate": "2025-05-30T00:00:00.000+0000",
        "serverTime": jira_time(now),
        "scmInfo": "9b5e1a1c2bd32ef5b2d2e3c4ad8fd4bbde4b15cb",
        "serverTitle": "Jira",
    }


def fields_json() -> list[Obj]:
    """`GET /field`: the system fields, as Jira lists them."""
    return [
        {
            "id": field_id,
            "key": field_id,
            "name": name,
            "custom": False,
            "orderable": field_id not in ("issuekey", "status", "created", "updated"),
            "navigable": True,
            "searchable": True,
            "clauseNames": clauses,
            **({"schema": {"type": kind, "system": field_id}} if kind else {}),
        }
        for field_id, name, clauses, kind in FIELDS
    ]


def avatar_urls(base: str, kind: str, avatar: int) -> dict[str, str]:
    view = f"{_site(base)}/rest/api/2/universal_avatar/view/type/{kind}/avatar/{avatar}"
    sizes = (("48x48", ""), ("24x24", "?size=small"), ("16x16", "?size=xsmall"))
    return {size: view + query for size, query in (*sizes, ("32x32", "?size=medium"))}


def document(text: str) -> Obj:
    """Plain text as an Atlassian Document, a paragraph per block (what v2's text becomes)."""
    blocks = [block for block in text.split("\n\n") if block.strip()] or [text]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": block}]} for block in blocks
        ],
    }


def plain_text(doc: Obj | None) -> str | None:
    """An Atlassian Document as v2 shows it: its blocks' text, a blank line between blocks."""
    if doc is None:
        return None
    return "\n\n".join(_text(block) for block in doc.get("content", []))


def _text(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    return str(node.get("text", "")) + "".join(_text(child) for child in node.get("content", []))


def issue_id(number: int) -> str:
    return str(10000 + number)


def jira_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _site(base: str) -> str:
    return base.split("/rest/api/", 1)[0]
