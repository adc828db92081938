"""Zendesk's records as its API shows them, its error bodies, and the part of its search syntax
the mock understands."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Obj = dict[str, Any]
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("problem", "incident", "question", "task")


class ZendeskError(Exception):
    """An error answer: Zendesk's `{"error": ..., "description": ...}` with its status."""

    def __init__(self, status: int, error: str, description: str, **extra: Any) -> None:
        super().__init__(description)
        self.status = status
        self.body: Obj = {"error": error, "description": description, **extra}


def not_found() -> ZendeskError:
    return ZendeskError(404, "RecordNotFound", "Not found")


def invalid(field_name: str, message: str, kind: str = "InvalidValue") -> ZendeskError:
    """422 RecordInvalid, with the field's error under `details` as Zendesk writes it."""
    detail = {"description": message, "error": kind}
    return ZendeskError(
        422, "RecordInvalid", "Record validation errors", details={field_name: [detail]}
    )


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Ticket:
    id: int
    subject: str
    comments: list[Obj]
    requester_id: int
    created: datetime
    updated: datetime
    status: str = "new"
    priority: str | None = None
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    assignee_id: int | None = None

    def json(self, base: str) -> Obj:
        return {
            "url": f"{base}/tickets/{self.id}.json", "id": self.id, "external_id": None,
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": stamp(self.created), "updated_at": stamp(self.updated),
            "generated_timestamp": int(self.updated.timestamp()),
            "type": self.type, "subject": self.subject, "raw_subject": self.subject,
            "description": self.comments[0]["body"] if self.comments else "",
            "priority": self.priority, "status": self.status, "recipient": None,
            "requester_id": self.requester_id, "submitter_id": self.requester_id,
            "assignee_id": self.assignee_id, "organization_id": None, "group_id": None,
            "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [],
            "forum_topic_id": None, "problem_id": None, "has_incidents": False,
            "is_public": any(c["public"] for c in self.comments), "due_at": None,
            "tags": list(self.tags), "custom_fields": [], "satisfaction_rating": None,
            "sharing_agreement_ids": [], "custom_status_id": STATUSES.index(self.status) + 1,
            "fields": [], "followup_ids": [], "ticket_form_id": 1, "brand_id": 1,
            "allow_channelback": False, "allow_attachments": True,
            "from_messaging_channel": False,
        }  # fmt: skip

    def words(self) -> str:
        return " ".join([self.subject, *(c["body"] for c in self.comments)]).lower()


@dataclass
class User:
    id: int
    name: str
    email: str
    role: str
    created: datetime

    def json(self, base: str) -> Obj:
        return {
            "id": self.id, "url": f"{base}/users/{self.id}.json", "name": self.name,
            "email": self.email, "created_at": stamp(self.created),
            "updated_at": stamp(self.created), "time_zone": "UTC",
            "iana_time_zone": "Etc/UTC", "phone": None, "shared_phone_number": None,
            "photo": None, "locale_id": 1, "locale": "en-US", "organization_id": None,
            "role": self.role, "verified": True, "external_id": None, "tags": [],
            "alias": "", "active": True, "shared": False, "shared_agent": False,
            "last_login_at": None, "two_factor_auth_enabled": False, "signature": "",
            "details": "", "notes": "", "role_type": None, "custom_role_id": None,
            "moderator": self.role != "end-user", "ticket_restriction": None,
            "only_private_comments": False, "restricted_agent": self.role == "agent",
            "suspended": False, "default_group_id": None, "report_csv": False,
            "user_fields": {},
        }  # fmt: skip

    def words(self) -> str:
        return f"{self.name} {self.email}".lower()


def audit(ticket: Ticket, author_id: int, events: list[Obj], when: datetime) -> Obj:
    return {
        "id": ticket.id * 1000 + len(ticket.comments), "ticket_id": ticket.id,
        "created_at": stamp(when), "author_id": author_id, "metadata": {"system": {}},
        "events": events, "via": {"channel": "api", "source": {"rel": None}},
    }  # fmt: skip


def matches(query: str, record: Ticket | User) -> bool:
    """Zendesk's search syntax, in part: `field:value` terms (`status`, `priority`, `type`,
    `tags`, `requester`, `role`, `email`; `status<solved` and `>` on the status order), a leading
    `-` to exclude, and plain words (or "quoted phrases") found in the text. Terms are AND-ed."""
    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    return all(_term(term, record) for term in terms)


def _term(term: str, record: Ticket | User) -> bool:
    if term.startswith("-") and len(term) > 1:
        return not _term(term[1:], record)
    for operator in (":", "<", ">"):
        name, found, value = term.partition(operator)
        if found and name and value:
            return _compare(name.lower(), operator, value.lower(), record)
    return term.lower() in record.words()


def _compare(name: str, operator: str, value: str, record: Ticket | User) -> bool:
    if isinstance(record, User):
        have = {"role": record.role, "email": record.email.lower(), "name": record.name.lower()}
        return have.get(name) == value
    if name == "status" and operator != ":" and value in STATUSES:
        mine, theirs = STATUSES.index(record.status), STATUSES.index(value)
        return mine < theirs if operator == "<" else mine > theirs
    have_ticket: dict[str, list[str]] = {
        "status": [record.status], "priority": [record.priority or ""],
        "type": [record.type or "", "ticket"], "tags": record.tags, "tag": record.tags,
        "requester": [str(record.requester_id)], "subject": record.subject.lower().split(),
    }  # fmt: skip
    return value in have_ticket.get(name, [])
