"""A generic HTTP upstream for the `http` connector and transport tests (httpbin-like)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from interlink.testing.base import MockUpstream, json_response
from interlink.testing.toolkit import TokenGate

if TYPE_CHECKING:
    from interlink.providers.http.mock_graphql import GraphqlState

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_NO_BODY_STATUSES = frozenset({204, 304})


class HttpMock(MockUpstream):
    """Echoes what it receives and answers any status, redirect or content type on request.

    - any method on `/anything` and `/anything/...`: the request echoed as JSON
      (`method`, `path`, `url`, `query` (name -> list of values), `headers`, `body` (text),
      `json` (parsed or null), `form` (parsed or null));
    - `/status/{code}`: that status, with `{"status": code}` (no body for 204/304);
      `?retry_after=N` adds a Retry-After header;
    - `/redirect?to=URL[&status=301|302|303|307|308]`: a redirect (302 by default);
    - `/text`: text/plain; `/json-array`: a JSON array;
    - `/bearer`: 200 with the Bearer token it got when it is the mock's token, else 401 with
      `WWW-Authenticate: Bearer`;
    - `POST /graphql`: GraphQL over HTTP (`mock_graphql`), with the mock's token: `data` and
      `errors` as a GraphQL server answers, 400 for a body without a `query`.
    Nothing else needs authentication.
    """

    name: ClassVar[str] = "http"

    def reset_state(self) -> None:
        """The GraphQL endpoint's seeded issues (made on its first call); the rest is stateless."""
        self.graphql_state: GraphqlState | None = None

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/anything", self.anything)
        router.add_route("*", "/anything/{tail:.*}", self.anything)
        router.add_route("*", "/status/{code:\\d{3}}", self.status)
        router.add_get("/redirect", self.redirect)
        router.add_get("/text", self.text)
        router.add_get("/json-array", self.json_array)
        router.add_get("/bearer", self.bearer)
        router.add_post("/graphql", self.graphql)

    async def anything(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        return json_response(
            {
                "method": request.method,
                "path": request.path,
                "url": str(request.url),
                "query": {key: request.query.getall(key) for key in request.query},
                "headers": {key: ", ".join(request.headers.getall(key)) for key in request.headers},
                "body": raw.decode("utf-8", "replace"),
                "json": _parse_json(raw),
                "form": await _parse_form(request),
            }
        )

    async def status(self, request: web.Request) -> web.StreamResponse:
        code = int(request.match_info["code"])
        if not 100 <= code <= 599:
            return json_response({"message": "status out of range"}, status=400)
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        if code in _NO_BODY_STATUSES:
            return web.Response(status=code, headers=headers)
        return json_response({"status": code}, status=code, headers=headers)

    async def redirect(self, request: web.Request) -> web.StreamResponse:
        target = request.query.get("to")
        status = int(request.query.get("status", "302"))
        if not target or status not in _REDIRECT_STATUSES:
            return json_response({"message": "need ?to=URL and a redirect status"}, status=400)
        return web.Response(status=status, headers={"Location": target})

    async def text(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello from the mock upstream\n", content_type="text/plain")

    async def json_array(self, request: web.Request) -> web.StreamResponse:
        return json_response([{"id": n, "name": f"item {n}"} for n in range(1, 4)])

    async def bearer(self, request: web.Request) -> web.StreamResponse:
        refusal = TokenGate({self.token}, _unauthenticated).refusal(request)
        if refusal is not None:
            return refusal
        return json_response({"authenticated": True, "token": self.token})

    async def graphql(self, request: web.Request) -> web.StreamResponse:
        refusal = TokenGate({self.token}, _unauthenticated).refusal(request)
        if refusal is not None:
            return refusal
        body = _parse_json(await request.read())
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return json_response(
                {"errors": [{"message": "Must provide query string."}]}, status=400
            )
        if self.graphql_state is None:
            # graphql-core is a dev extra: only a mock that is asked GraphQL needs it
            from interlink.providers.http.mock_graphql import GraphqlState

            self.graphql_state = GraphqlState()
        return json_response(await self.graphql_state.execute(body))


def _unauthenticated(request: web.Request, token: str) -> web.StreamResponse:
    body = {"authenticated": False}
    return json_response(body, status=401, headers={"WWW-Authenticate": "Bearer"})


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


async def _parse_form(request: web.Request) -> dict[str, list[str]] | None:
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    form = await request.post()
    return {key: [str(value) for value in form.getall(key)] for key in form}


MOCK = HttpMock
