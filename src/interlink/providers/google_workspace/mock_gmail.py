"""The mock's Gmail (`/gmail/v1/users/{userId}/...`): the profile, messages listed newest first
by a small Gmail search, read (minimal, metadata, full or raw) and sent from a real RFC 5322
message in base64url."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from aiohttp import web

from interlink.core.clock import Clock
from interlink.providers.google_workspace.apis import scopes
from interlink.providers.google_workspace.mock_errors import (
    GoogleError,
    Route,
    bounded,
    invalid,
    json_body,
    not_found,
)
from interlink.testing.base import json_response
from interlink.testing.toolkit import Marker, PageError, token_page, token_start

PAGES = Marker("gmail", urlsafe=True)
_FIRST_ID = 0x18C2E4F0A1B20000
_ANY = ("https://mail.google.com/", "gmail.modify")
READ = scopes(*_ANY, "gmail.readonly", "gmail.metadata")
SEND = scopes(*_ANY, "gmail.send", "gmail.compose")
Obj = dict[str, Any]


@dataclass
class Mail:
    id: str
    thread_id: str
    labels: list[str]
    raw: bytes
    at: datetime
    parsed: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.parsed = parsed

    def header(self, name: str) -> str:
        return str(self.parsed.get(name, ""))

    @property
    def text(self) -> str:
        part = self.parsed.get_body(("plain",))
        return str(part.get_content()) if part is not None else ""

    def json(self, shape: str) -> Obj:
        body: Obj = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.labels),
            "snippet": " ".join(self.text.split())[:200],
            "sizeEstimate": len(self.raw),
            "historyId": str(int(self.id, 16) % 10_000_000),
            "internalDate": str(int(self.at.timestamp() * 1000)),
        }
        if shape == "raw":
            body["raw"] = base64.urlsafe_b64encode(self.raw).decode()
        elif shape in ("full", "metadata"):
            headers = [{"name": k, "value": str(v)} for k, v in self.parsed.items()]
            body["payload"] = {
                "partId": "",
                "mimeType": self.parsed.get_content_type(),
                "filename": "",
                "headers": headers,
                "body": {"size": len(self.text)} if shape == "full" else {"size": 0},
            }
        return body


class Gmail:
    """One mailbox: `user`'s, seeded with `seeded` messages an hour apart."""

    def __init__(self, clock: Clock, user: str, seeded: int, start: datetime) -> None:
        self.clock = clock
        self.user = user
        self.mails: list[Mail] = [self._seed(n, start) for n in range(1, seeded + 1)]

    def add_routes(self, route: Route) -> None:
        base = "/gmail/v1/users/{userId}"
        route("GET", f"{base}/profile", self.profile, READ | SEND)
        route("GET", f"{base}/messages", self.list_messages, READ)
        route("GET", f"{base}/messages/{{id}}", self.get_message, READ)
        route("POST", f"{base}/messages/send", self.send, SEND)

    async def profile(self, request: web.Request) -> web.StreamResponse:
        self._mailbox(request)
        return json_response(
            {
                "emailAddress": self.user,
                "messagesTotal": len(self.mails),
                "threadsTotal": len({mail.thread_id for mail in self.mails}),
                "historyId": str(1000 + len(self.mails)),
            }
        )

    async def list_messages(self, request: web.Request) -> web.StreamResponse:
        self._mailbox(request)
        size = bounded(request, "maxResults", 100, 500)
        try:
            start = token_start(request.query.get("pageToken"), PAGES)
        except PageError:
            raise invalid("Invalid pageToken", location="pageToken") from None
        spam = request.query.get("includeSpamTrash") == "true"
        found = [m for m in self._newest_first() if _matches(m, request.query.get("q", ""), spam)]
        page = token_page(found, start=start, limit=size, marker=PAGES)
        body: Obj = {"resultSizeEstimate": len(found)}
        if page.items:  # Gmail leaves out an empty list
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page.items]
        if page.next is not None:
            body["nextPageToken"] = page.next
        return json_response(body)

    async def get_message(self, request: web.Request) -> web.StreamResponse:
        self._mailbox(request)
        shape = request.query.get("format", "full")
        if shape not in ("minimal", "metadata", "full", "raw"):
            raise invalid(f"Invalid value at 'format' ({shape})", location="format")
        mail = next((m for m in self.mails if m.id == request.match_info["id"]), None)
        if mail is None:
            raise not_found("Requested entity was not found.")
        return json_response(mail.json(shape))

    async def send(self, request: web.Request) -> web.StreamResponse:
        self._mailbox(request)
        body = await json_body(request)
        raw = _decoded(body.get("raw"))
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        recipients = getaddresses([str(parsed.get(h, "")) for h in ("To", "Cc", "Bcc")])
        if not any(address for _, address in recipients):
            raise invalid("Recipient address required", "invalidArgument")
        if parsed.get("From") and getaddresses([str(parsed["From"])])[0][1] != self.user:
            raise invalid("Invalid From header: not a send-as address of the account")
        thread = body.get("threadId")
        if thread is not None and thread not in {m.thread_id for m in self.mails}:
            raise not_found("Requested entity was not found.")
        mail = self._stored(raw, thread)
        return json_response({"id": mail.id, "threadId": mail.thread_id, "labelIds": ["SENT"]})

    def _stored(self, raw: bytes, thread: str | None) -> Mail:
        sent = EmailMessage(policy=email.policy.SMTP)
        sent["From"] = self.user
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        for name, value in parsed.items():
            if name.lower() not in ("from", "bcc"):
                sent[name] = value
        sent.set_payload(parsed.get_payload())
        mail_id = f"{_FIRST_ID + len(self.mails) + 1:x}"
        mail = Mail(mail_id, thread or mail_id, ["SENT"], sent.as_bytes(), self.clock.now())
        self.mails.append(mail)
        return mail

    def _mailbox(self, request: web.Request) -> None:
        user = request.match_info["userId"]
        if user not in ("me", self.user):
            raise GoogleError(403, f"Delegation denied for {self.user}", "forbidden")

    def _newest_first(self) -> list[Mail]:
        return sorted(self.mails, key=lambda mail: mail.at, reverse=True)

    def _seed(self, n: int, start: datetime) -> Mail:
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = f"sender{n % 5}@example.com"
        message["To"] = self.user
        message["Subject"] = f"Seeded message {n}"
        message.set_content(f"Body of seeded message {n}.")
        labels = ["INBOX", "UNREAD"] if n % 3 == 0 else ["INBOX"]
        mail_id = f"{_FIRST_ID + n:x}"
        return Mail(mail_id, mail_id, labels, message.as_bytes(), start + timedelta(hours=n))


def _decoded(raw: object) -> bytes:
    if not isinstance(raw, str) or not raw:
        raise invalid("'raw' RFC822 payload message string or uploading message via /upload/* "
                      "URL required", "invalidArgument")  # fmt: skip
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise invalid("Invalid value for ByteString: " + raw[:40], "invalidArgument") from None


def _matches(mail: Mail, query: str, spam: bool) -> bool:
    if not spam and {"SPAM", "TRASH"} & set(mail.labels):
        return False
    return all(_term(mail, term) for term in query.split())


def _term(mail: Mail, term: str) -> bool:
    name, _, value = term.partition(":")
    name, value = name.lower(), value.lower()
    if value and name in ("from", "to", "subject"):
        return value in mail.header(name).lower()
    if value and name in ("label", "is"):
        return value.upper() in mail.labels
    return term.lower() in f"{mail.header('Subject')} {mail.text}".lower()
