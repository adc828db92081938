"""`custom`: a provider declared as data. `build` turns one stored version of a declaration into
a Connector class like a built-in's: its facts from the declaration, and one action per declared
action, whose parameters are checked against the declared JSON Schema before anything is sent,
whose request is built from the declared mapping and sent through `ctx.http` (so the budget,
retries, breaker, SSRF guard, allowed hosts and masking apply unchanged), and whose result is
the answer shaped by the declared JMESPath."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast
from urllib.parse import quote

import jmespath
from jmespath.exceptions import JMESPathError
from jsonschema.exceptions import ValidationError as SchemaViolation
from pydantic import BaseModel, RootModel
from referencing.exceptions import Unresolvable

from interlink.core.errors import IntegrationError, InvalidOperation, ParameterValidationError
from interlink.providers.custom.declaration import (
    ActionDeclaration,
    Declaration,
    checker_for,
    fill,
)
from interlink.providers.kit.action import Action, CheckResult, Connector
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.graphql import graphql_body, raise_graphql_errors
from interlink.providers.kit.pagination import GraphQLCursor
from interlink.providers.kit.types import AuthMethod, IntegrationType, OAuthFacts
from interlink.transport.auth import auth_headers
from interlink.transport.response import ProviderResponse

CUSTOM_TYPE = "custom"
DEFAULT_LIMIT = 100  # what a paginated action reads without a `limit` parameter
AUTH_METHOD: dict[str, AuthMethod] = {
    "api_key": "api_key", "bearer": "oauth", "basic": "basic", "oauth": "oauth", "jwt": "jwt",
}  # fmt: skip


class DeclaredParameters(RootModel[dict[str, Any]]):
    """An action's parameters, checked against its declared JSON Schema (`schema_`)."""

    schema_: ClassVar[dict[str, Any]] = {"type": "object"}

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(cls.schema_)


class DeclaredResult(RootModel[dict[str, Any]]):
    """The answer, shaped by the action's JMESPath when it declares one: an object as it is,
    anything else as `{"value": ...}`."""

    @classmethod
    def of(cls, shaped: Any) -> DeclaredResult:
        return cls(shaped if isinstance(shaped, dict) else {"value": shaped})

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "type": "object",
            "description": "The answer shaped by the action's `result` JMESPath (an object; "
            'anything else is given as `{"value": ...}`)',
        }


@dataclass(frozen=True)
class SchemaAction(Action):
    """A declared action: `parse` checks the parameters with `jsonschema`."""

    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def parameter_names(self) -> frozenset[str]:
        return frozenset(self.schema.get("properties") or ())

    @property
    def result_fields(self) -> frozenset[str] | None:
        return None  # whatever the JMESPath makes of the answer

    def parse(self, parameters: Mapping[str, Any]) -> BaseModel:
        checker = checker_for(self.schema)(self.schema)
        try:
            errors = sorted(checker.iter_errors(dict(parameters)), key=lambda e: list(e.path))
        except Unresolvable as exc:
            raise InvalidOperation(
                f"The input_schema of {self.name} has a $ref that does not resolve: {exc}"
            ) from None
        if not errors:
            return self.input_model.model_validate(dict(parameters))
        details = [{"field": _field(e), "message": e.message} for e in errors]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        raise ParameterValidationError(
            f"The parameters of {self.name} are invalid: {summary}", details=details
        )


class CustomConnector(Connector):
    """The base of every declared provider's class; `build` makes one per stored version."""

    category = "custom"
    direct_name = "Custom"
    declaration: ClassVar[Declaration]
    version: ClassVar[int] = 0

    async def check(self, ctx: ActionContext) -> CheckResult:
        """A GET of the declared `test` path (the base URL itself without one); any answer the
        error table calls OK passes, JSON or not."""
        path = self.check_path or ""
        response = await ctx.http.get(path)
        return CheckResult(message=f"GET {path or '/'} answered {response.status}")

    @classmethod
    def auth_headers(cls, auth_method: str, credentials: Mapping[str, Any]) -> dict[str, str]:
        auth = cls.declaration.auth
        if auth_method != "api_key" or auth.header is None:
            return auth_headers(auth_method, credentials, bearer_scheme=auth.prefix or "Bearer")
        key = str(credentials.get("api_key", ""))
        return {auth.header: f"{auth.prefix} {key}" if auth.prefix else key}


def build(declaration: Declaration, version: int) -> type[CustomConnector]:
    """The Connector class of one version of a declaration."""
    auth = declaration.auth
    method = AUTH_METHOD[auth.mode]
    oauth = None
    if auth.token_url is not None:
        oauth = OAuthFacts(auth.authorize_url or auth.token_url, auth.token_url, tuple(auth.scopes))
    spec = IntegrationType(
        CUSTOM_TYPE, declaration.name, declaration.description or f"{declaration.name} (custom)",
        declaration.base_url, method, (method,), oauth=oauth,
    )  # fmt: skip
    facts: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": declaration.description,
        "spec": spec,
        "declaration": declaration,
        "version": version,
        "bearer_scheme": auth.prefix or "Bearer",
        "rate_headers": declaration.rate_headers,
        "pagination": declaration.pagination.style_of() if declaration.pagination else None,
        "check_path": declaration.test,
    }
    connector = cast(
        type[CustomConnector],
        type(f"Custom_{declaration.key}_v{version}", (CustomConnector,), facts),
    )
    connector.actions = {
        name: _action(declaration.key, name, declared)
        for name, declared in declaration.actions.items()
    }
    return connector


def _action(key: str, name: str, declared: ActionDeclaration) -> SchemaAction:
    parameters = type(
        f"{key}_{name}_parameters", (DeclaredParameters,), {"schema_": declared.input_schema}
    )

    async def handler(_: Connector, ctx: ActionContext, params: BaseModel) -> BaseModel:
        values: dict[str, Any] = params.model_dump()
        raw = await (_graphql if declared.graphql else _rest)(ctx, declared, values)
        if declared.result is None:
            return DeclaredResult.of(raw)
        try:
            return DeclaredResult.of(jmespath.search(declared.result, raw))
        except JMESPathError as exc:
            raise IntegrationError(f"The result of {name} could not be shaped: {exc}") from None

    return SchemaAction(
        name=name,
        description=declared.description or f"{declared.method} {declared.path}",
        input_model=parameters,
        output_model=DeclaredResult,
        idempotent=declared.idempotent,
        handler=handler,
        schema=declared.input_schema,
    )


async def _rest(ctx: ActionContext, declared: ActionDeclaration, values: dict[str, Any]) -> Any:
    mapping, template = declared.map, declared.path or "/"
    path = fill(
        template, {s: quote(_text(values[name]), safe="") for s, name in mapping.path.items()}
    )
    query = {q: _text(values[name]) for q, name in mapping.query.items() if name in values}
    headers = {h: _text(values[name]) for h, name in mapping.headers.items() if name in values}
    body = _body(mapping.body, values)
    if declared.paginate:
        paged = await ctx.paginate(
            path, params=query, json=body, limit=int(values.get("limit", DEFAULT_LIMIT)),
            cursor=values.get("cursor"),
        )  # fmt: skip
        return {"items": paged.items, "cursor": paged.cursor}
    response = await ctx.http.request(
        declared.method, path, params=query or None, json=body, headers=headers or None
    )
    return _answer(response)


async def _graphql(ctx: ActionContext, declared: ActionDeclaration, values: dict[str, Any]) -> Any:
    call = declared.graphql
    assert call is not None
    body = graphql_body(call.query, values, call.operation_name)
    if declared.paginate:
        style = ctx.pagination if isinstance(ctx.pagination, GraphQLCursor) else GraphQLCursor()
        paged = await ctx.paginate(
            call.path, json=body, limit=int(values.get("limit", DEFAULT_LIMIT)),
            cursor=values.get("cursor"), style=style,
        )  # fmt: skip
        return {"items": paged.items, "cursor": paged.cursor}
    answer = _answer(await ctx.http.post(call.path, json=body))
    raise_graphql_errors(answer)
    return answer


def _body(mapping: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any] | None:
    if not mapping:
        return None
    body: dict[str, Any] = {}
    for target, name in mapping.items():
        if name not in values:
            continue
        *parents, last = target.split(".")
        place = body
        for parent in parents:
            place = place.setdefault(parent, {})
        place[last] = values[name]
    return body


def _answer(response: ProviderResponse) -> Any:
    """Parsed JSON, or the text of an answer that is not JSON (an empty 204: None)."""
    if not response.body:
        return None
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return response.text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _field(error: SchemaViolation) -> str:
    path = ["parameters", *(str(part) for part in error.path)]
    if error.validator == "required":  # name the missing parameter, not its parent
        names = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [n for n in names if error.message.startswith(repr(n))]
        path.extend(missing[:1])
    return ".".join(path)
