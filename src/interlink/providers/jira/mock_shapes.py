"""Jira's issues as the mock keeps them, and their JSON as Jira Cloud REST v3 shows them.

`base` is the API root the links point at, e.g. `http://127.0.0.1:8080/rest/api/3`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
ACCOUNT_ID = "5b10ac8d82e05b22cc7d4ef5"
EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
# status name -> (status id, category id, category key, category colour)
STATUSES = {
    "To Do": ("10000", 2, "new", "blue-gray"),
    "In Progress": ("3", 4, "indeterminate", "yellow"),
    "Done": ("10001", 3, "done", "green"),
}
ISSUE_TYPES = {"Task": "10001", "Bug": "10002", "Story": "10003"}


@dataclass
class Issue:
    number: int
    summary: str
    status: str
    issuetype: str
    created: datetime
    updated: datetime
    description: Obj | None = None
    labels: list[str] = field(default_factory=list)
    comments: list[Obj] = field(default_factory=list)


def issue_json(base: str, project: str, issue: Issue, wanted: set[str]) -> Obj:
    """An issue with the fields in `wanted` (`*all`/`*navigable`, names, `-name` to leave out)."""
    key_id = issue_id(issue.number)
    everything: Obj = {
        "summary": issue.summary,
        "status": status_json(base, issue.status),
        "issuetype": {
            "self": f"{base}/issuetype/{ISSUE_TYPES[issue.issuetype]}",
            "id": ISSUE_TYPES[issue.issuetype],
            "name": issue.issuetype,
            "subtask": False,
        },
        "project": {
            "self": f"{base}/project/10000",
            "id": "10000",
            "key": project,
            "name": "Mock Project",
        },
        "description": issue.description,
        "labels": issue.labels,
        "priority": {"id": "3", "name": "Medium"},
        "assignee": None,
        "reporter": user_json(base),
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
        "comment": {
            "comments": issue.comments,
            "maxResults": len(issue.comments),
            "total": len(issue.comments),
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
        "name": name,
        "id": status_id,
        "statusCategory": category,
    }


def user_json(base: str) -> Obj:
    return {
        "self": f"{base}/user?accountId={ACCOUNT_ID}",
        "accountId": ACCOUNT_ID,
        "accountType": "atlassian",
        "displayName": "Mock User",
        "active": True,
        "timeZone": "UTC",
    }


def issue_id(number: int) -> str:
    return str(10000 + number)


def jira_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
