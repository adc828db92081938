"""A mock of the GitHub REST API v3: auth, repos, issues, pulls, comments, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Handler

from interlink.core.clock import Clock
from interlink.providers.github.mock_shapes import (
    SEED_START,
    Comment,
    Issue,
    Repo,
    comment_json,
    issue_json,
    me_json,
    pull_json,
    repo_json,
)
from interlink.testing.base import MockUpstream, json_response, read_json
from interlink.testing.faults import retry_after_header
from interlink.testing.toolkit import (
    RateBudget,
    RateHeaders,
    TokenGate,
    authorization,
    numbered_page,
)

DOCS = "https://docs.github.com/rest"
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_ANONYMOUS_LIMIT = 60
_NO_USER_AGENT = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent "
    "header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
    " Check https://developer.github.com for other possible causes.\n"
)
_STATES = ("open", "closed", "all")


RATE_HEADERS = RateHeaders(used="X-RateLimit-Used", fixed={"X-RateLimit-Resource": "core"})


class GitHubMock(MockUpstream):
    """GitHub REST v3 with one seeded repository and a real per-token rate-limit budget.

    Accepts `Authorization: Bearer <token>` or `token <token>`, for `token` and each of
    `extra_tokens` (each with its own budget). The repository `repo` holds `issues` seeded
    issues (every fifth closed, every third labelled `bug`) followed by `pulls` open pull
    requests; as on GitHub, pull requests also appear in the issues list (with a
    `pull_request` key) and share its numbering. Every response carries the X-RateLimit-*
    headers of the caller's budget (`rate_limit` calls per `rate_limit_window` seconds, counted
    on the injected clock); a spent budget answers `exhausted_status` (403 or 429) with
    `X-RateLimit-Remaining: 0`. URLs inside objects and `Link` headers point at the address the
    mock was reached on, so a client (PyGithub) can follow them; a request without a
    `User-Agent` is refused with GitHub's 403.
    """

    name: ClassVar[str] = "github"
    default_token: ClassVar[str] = "ghp_mock_token"  # noqa: S105

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        repo: str = "octo-org/hello-world",
        issues: int = 250,
        pulls: int = 3,
        rate_limit: int = 5000,
        rate_limit_window: int = 3600,
        exhausted_status: int = 403,
        scopes: str = "repo, read:org",
        login: str = "octocat",
        extra_tokens: tuple[str, ...] = (),
    ) -> None:
        self.repo_name = repo
        self.seed_issues = issues
        self.seed_pulls = pulls
        self.rate_limit = rate_limit
        self.rate_limit_window = rate_limit_window
        self.exhausted_status = exhausted_status
        self.scopes = scopes
        self.login = login
        self.extra_tokens = extra_tokens
        super().__init__(token=token, clock=clock)

    def reset_state(self) -> None:
        owner, _, name = self.repo_name.partition("/")
        repo = Repo(id=1296269, owner=owner, name=name, author=self.login)
        for number in range(1, self.seed_issues + 1):
            created = SEED_START + timedelta(hours=number)
            issue = Issue(number, f"Seeded issue #{number}", f"Body of issue {number}", created)
            issue.updated = created + timedelta(minutes=30)
            issue.labels = ["bug"] if number % 3 == 0 else []
            if number % 5 == 0:
                issue.state, issue.closed = "closed", issue.updated
            repo.issues[number] = issue
        for number in range(self.seed_issues + 1, self.seed_issues + self.seed_pulls + 1):
            created = SEED_START + timedelta(hours=number)
            repo.issues[number] = Issue(
                number, f"Seeded pull request #{number}", None, created, is_pull=True
            )
        self.repos = {repo.full_name.lower(): repo}
        self.budget = self._rate_budget(self.rate_limit)  # by token
        self.anonymous = self._rate_budget(_ANONYMOUS_LIMIT)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/user", self.get_user)
        router.add_get("/rate_limit", self.get_rate_limit)
        router.add_get("/repos/{owner}/{repo}", self.get_repo)
        router.add_get("/repos/{owner}/{repo}/issues", self.list_issues)
        router.add_post("/repos/{owner}/{repo}/issues", self.create_issue)
        issue = "/repos/{owner}/{repo}/issues/{number:\\d+}"
        router.add_get(issue, self.get_issue)
        router.add_patch(issue, self.update_issue)
        router.add_get(f"{issue}/comments", self.list_comments)
        router.add_post(f"{issue}/comments", self.add_comment)
        router.add_get("/repos/{owner}/{repo}/pulls", self.list_pulls)

    # authentication and the rate-limit budget

    @property
    def tokens(self) -> TokenGate:
        """`token` and `extra_tokens`, each with its own rate-limit budget."""
        accepted = {self.token, *self.extra_tokens}
        return TokenGate(accepted, self._unauthorized, (authorization("Bearer", "token"),))

    async def gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.headers.get("User-Agent", "").strip():
            return web.Response(status=403, text=_NO_USER_AGENT)
        refusal = self.tokens.refusal(request)
        if refusal is not None:
            return refusal
        token = self.tokens.presented(request) or ""
        spend = request.path != "/rate_limit"
        return await self.budget.meter(token, partial(handler, request), spend=spend)

    def _rate_budget(self, limit: int) -> RateBudget:
        return RateBudget(
            limit,
            self.rate_limit_window,
            clock=self.clock,
            exhausted=self._exhausted,
            headers=RATE_HEADERS,
            align_to=1,
        )

    def _unauthorized(self, request: web.Request, token: str) -> web.StreamResponse:
        """401, spending the anonymous budget of the caller's address."""
        anonymous = self.anonymous.window()
        anonymous.used += 1
        given = request.headers.get("Authorization", "").partition(" ")[2]
        message = "Bad credentials" if given else "Requires authentication"
        return _error(401, message, headers=self.anonymous.headers(anonymous))

    def _exhausted(self, retry_after: float) -> web.StreamResponse:
        message = "API rate limit exceeded for user ID 1."
        return _error(self.exhausted_status, message, docs=RATE_DOCS)

    def rate_limited_response(self, retry_after: float) -> web.StreamResponse:
        """A secondary rate limit: 429 with Retry-After, as GitHub answers bursts."""
        headers = self.budget.headers(self.budget.window(self.token))
        headers["Retry-After"] = retry_after_header(retry_after)
        message = (
            "You have exceeded a secondary rate limit. "
            "Please wait a few minutes before you try again."
        )
        return _error(
            429, message, docs=RATE_DOCS + "#about-secondary-rate-limits", headers=headers
        )

    def server_error_response(self, status: int) -> web.StreamResponse:
        return _error(status, "Server Error")

    def not_found_response(self, request: web.Request) -> web.StreamResponse:
        return _error(404, "Not Found")

    def forbidden_response(self, request: web.Request) -> web.StreamResponse:
        return _error(403, "Resource not accessible by integration")

    # handlers

    async def get_user(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            me_json(_api(request), self.login),
            headers={"X-OAuth-Scopes": self.scopes, "X-Accepted-OAuth-Scopes": ""},
        )

    async def get_rate_limit(self, request: web.Request) -> web.StreamResponse:
        window = self.budget.window(self.token)
        core = {"limit": window.limit, "used": window.used, "remaining": window.remaining}
        core["reset"] = int(window.reset)
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": core["reset"]}
        return json_response({"resources": {"core": core, "search": search}, "rate": core})

    async def get_repo(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        if repo is None:
            return _error(404, "Not Found")
        return json_response(repo_json(_api(request), repo))

    async def get_issue(self, request: web.Request) -> web.StreamResponse:
        repo, issue = self._issue(request)
        if repo is None or issue is None:
            return _error(404, "Not Found")
        return json_response(issue_json(_api(request), repo, issue))

    async def update_issue(self, request: web.Request) -> web.StreamResponse:
        repo, issue = self._issue(request)
        if repo is None or issue is None:
            return _error(404, "Not Found")
        data, problem = await _json_object(request)
        if problem is not None:
            return problem
        if data.get("state", issue.state) not in ("open", "closed"):
            return _validation_failed("Issue", "state", "invalid")
        if data.get("title") is not None:
            issue.title = str(data["title"])
        if "body" in data:
            issue.body = data["body"]
        if data.get("labels") is not None:
            issue.labels = [_label_name(label) for label in data["labels"]]
        state = data.get("state", issue.state)
        if state != issue.state:
            issue.state, issue.closed = state, self.now() if state == "closed" else None
        issue.updated = self.now()
        return json_response(issue_json(_api(request), repo, issue))

    async def list_issues(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        if repo is None:
            return _error(404, "Not Found")
        query = request.query
        state = query.get("state", "open")
        since = _parse_time(query.get("since"))
        if state not in _STATES or (query.get("since") and since is None):
            field_name = "state" if state not in _STATES else "since"
            return _validation_failed("Issue", field_name, "invalid")
        labels = {label for label in query.get("labels", "").split(",") if label}
        found = [
            issue
            for issue in repo.issues.values()
            if (state == "all" or issue.state == state)
            and (since is None or issue.updated_at >= since)
            and labels <= set(issue.labels)
        ]
        found = _sorted(found, query.get("sort", "created"), query.get("direction", "desc"))
        return _page(request, [issue_json(_api(request), repo, issue) for issue in found])

    async def list_pulls(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        if repo is None:
            return _error(404, "Not Found")
        state = request.query.get("state", "open")
        if state not in _STATES:
            return _validation_failed("PullRequest", "state", "invalid")
        pulls = [
            issue
            for issue in repo.issues.values()
            if issue.is_pull and (state == "all" or issue.state == state)
        ]
        pulls = _sorted(pulls, "created", request.query.get("direction", "desc"))
        return _page(request, [pull_json(_api(request), repo, pull) for pull in pulls])

    async def create_issue(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        if repo is None:
            return _error(404, "Not Found")
        data, problem = await _json_object(request)
        if problem is not None:
            return problem
        if data.get("title") in (None, ""):
            return _validation_failed("Issue", "title", "missing_field")
        number = max(repo.issues, default=0) + 1
        issue = Issue(number, str(data["title"]), data.get("body"), self.now())
        issue.labels = [_label_name(label) for label in data.get("labels") or []]
        repo.issues[number] = issue
        return json_response(issue_json(_api(request), repo, issue), status=201)

    async def list_comments(self, request: web.Request) -> web.StreamResponse:
        repo, issue = self._issue(request)
        if repo is None or issue is None:
            return _error(404, "Not Found")
        comments = [comment_json(_api(request), repo, issue, c) for c in issue.comments]
        return _page(request, comments)

    async def add_comment(self, request: web.Request) -> web.StreamResponse:
        repo, issue = self._issue(request)
        if repo is None or issue is None:
            return _error(404, "Not Found")
        data, problem = await _json_object(request)
        if problem is not None:
            return problem
        if data.get("body") in (None, ""):
            return _validation_failed("IssueComment", "body", "missing_field")
        comment_id = 1_000_000 + sum(len(i.comments) for i in repo.issues.values()) + 1
        comment = Comment(comment_id, str(data["body"]), self.now())
        issue.comments.append(comment)
        issue.updated = self.now()
        return json_response(comment_json(_api(request), repo, issue, comment), status=201)

    def _repo(self, request: web.Request) -> Repo | None:
        key = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        return self.repos.get(key)

    def _issue(self, request: web.Request) -> tuple[Repo | None, Issue | None]:
        repo = self._repo(request)
        issue = repo.issues.get(int(request.match_info["number"])) if repo else None
        return repo, issue


def _api(request: web.Request) -> str:
    """The API root as the client reached it: the objects' URLs lead back here."""
    return str(request.url.origin())


def _label_name(label: Any) -> str:
    return str(label["name"]) if isinstance(label, dict) else str(label)


def _sorted(issues: list[Issue], sort: str, direction: str) -> list[Issue]:
    keys = {
        "created": lambda issue: (issue.created, issue.number),
        "updated": lambda issue: (issue.updated_at, issue.number),
        "comments": lambda issue: (len(issue.comments), issue.number),
    }
    return sorted(issues, key=keys.get(sort, keys["created"]), reverse=direction != "asc")


def _page(request: web.Request, items: list[dict[str, Any]]) -> web.StreamResponse:
    """One page of `items` by `per_page` (30, at most 100) and `page`, with GitHub's Link."""
    size = min(max(_int(request.query.get("per_page"), 30), 1), 100)
    page = max(_int(request.query.get("page"), 1), 1)
    shown, headers = numbered_page(items, page=page, size=size, url=request.url)
    return json_response(shown, headers=headers)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _json_object(request: web.Request) -> tuple[dict[str, Any], web.StreamResponse | None]:
    try:
        data = await read_json(request)
    except ValueError:
        return {}, _error(400, "Problems parsing JSON")
    if not isinstance(data, dict):
        return {}, _error(400, "Body should be a JSON object")
    return data, None


def _error(
    status: int, message: str, *, docs: str = DOCS, headers: dict[str, str] | None = None
) -> web.StreamResponse:
    body = {"message": message, "documentation_url": docs, "status": str(status)}
    return json_response(body, status=status, headers=headers)


def _validation_failed(resource: str, field_name: str, code: str) -> web.StreamResponse:
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": resource, "field": field_name, "code": code}],
        "documentation_url": DOCS,
        "status": "422",
    }
    return json_response(body, status=422)


MOCK = GitHubMock
