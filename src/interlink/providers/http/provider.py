"""`http`: an authenticated request to any HTTP API."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from interlink.core.errors import InvalidOperation
from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.graphql import graphql_body, raise_graphql_errors
from interlink.providers.kit.pagination import GraphQLCursor
from interlink.providers.kit.types import IntegrationType
from interlink.providers.kit.verifiers import HmacVerifier, WebhookVerifier
from interlink.transport.header_check import header_problems


class RequestInput(BaseModel):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = Field(
        "GET", description="The HTTP method"
    )
    path: str | None = Field(None, description="Path under the integration's api_url")
    url: str | None = Field(None, description="An absolute URL instead of a path")
    query: dict[str, str] = Field(default_factory=dict, description="Query parameters")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra headers (they cannot replace authentication)"
    )
    body: Any = Field(None, description="A JSON body")
    idempotency_key: str | None = Field(
        None,
        max_length=255,
        description="Sent as Idempotency-Key; a write is retried only when one is given",
    )

    @field_validator("headers")
    @classmethod
    def _sendable(cls, headers: dict[str, str]) -> dict[str, str]:
        problems = [problem for _, problem in header_problems(headers)]
        if problems:
            raise ValueError("; ".join(problems))
        return headers

    @model_validator(mode="after")
    def _one_target(self) -> RequestInput:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of `path` and `url`")
        return self


class RequestOutput(BaseModel):
    status: int
    headers: dict[str, str]
    body: Any = Field(description="Parsed JSON, or the text when the answer is not JSON")


class GraphqlInput(BaseModel):
    query: str = Field(min_length=1, max_length=100_000, description="The GraphQL document")
    variables: dict[str, Any] = Field(default_factory=dict, description="Its variables")
    operation_name: str | None = Field(
        None, max_length=200, description="The operation to run, when the document has several"
    )
    path: str = Field(
        "/graphql", description="The GraphQL endpoint under the integration's api_url"
    )
    connection: str | None = Field(
        None,
        max_length=200,
        description="Dotted path of a cursor connection to page through (`data.repository.issues`"
        "): the query takes `$after` (and `$first` with `page_size`) and selects `pageInfo "
        "{ hasNextPage endCursor }` with `nodes` or `edges { node }`",
    )
    limit: int = Field(100, ge=1, le=10_000, description="With `connection`: the most items read")
    page_size: int | None = Field(None, ge=1, le=100, description="With `connection`: `$first`")
    cursor: str | None = Field(None, description="With `connection`: where to read on (`$after`)")


class GraphqlOutput(BaseModel):
    data: Any = Field(None, description="The answer's `data` (without `connection`)")
    items: list[Any] | None = Field(None, description="The connection's items (with `connection`)")
    cursor: str | None = Field(
        None, description="With `connection`: where to read on, as `cursor`; null after the last"
    )


class HttpConnector(Connector):
    direct_name = "Http"
    spec: ClassVar[IntegrationType] = IntegrationType(
        "http", "HTTP", "Authenticated requests to any HTTP API"
    )
    category = "generic"
    webhook_verifier: ClassVar[WebhookVerifier | None] = HmacVerifier()

    @action()
    async def request(self, ctx: ActionContext, params: RequestInput) -> RequestOutput:
        """Make an authenticated HTTP request and return its status, headers and body."""
        target = params.url or params.path or "/"
        response = await ctx.http.request(
            params.method,
            target,
            params=params.query,
            json=params.body,
            headers=params.headers,
            idempotency_key=params.idempotency_key,
        )
        try:
            body: Any = response.json()
        except Exception:
            body = response.text
        return RequestOutput(status=response.status, headers=response.headers, body=body)

    @action()
    async def graphql(self, ctx: ActionContext, params: GraphqlInput) -> GraphqlOutput:
        """Send a GraphQL query or mutation (a POST of query, variables and operation name).

        A 200 answer carrying `errors` is INVALID_OPERATION with each message in `details`. With
        `connection` the connection at that path is read page after page (`$after` set to
        `pageInfo.endCursor`) up to `limit` items."""
        body = graphql_body(params.query, params.variables, params.operation_name)
        if params.connection is None:
            answer = (await ctx.http.post(params.path, json=body)).json()
            raise_graphql_errors(answer)
            return GraphqlOutput(data=answer.get("data") if isinstance(answer, dict) else None)
        paged = await ctx.paginate(
            params.path, json=body, limit=params.limit, page_size=params.page_size,
            cursor=params.cursor, style=GraphQLCursor(connection=params.connection),
        )  # fmt: skip
        return GraphqlOutput(items=paged.items, cursor=paged.cursor)

    async def check(self, ctx: ActionContext) -> CheckResult:
        path = str(ctx.configuration.get("health_path", "/"))
        response = await ctx.http.get(path)
        if response.status >= 400:
            raise InvalidOperation(f"{path} answered {response.status}")
        return CheckResult(message=f"{path} answered {response.status}")
