"""A custom provider declared as data: its base URL, auth, rate-limit headers, pagination, the
call `test` makes, and named actions (a REST request or a GraphQL document each). `read` checks a
document and lists every problem at once: the model's, then each action's JSON Schema (against
its metaschema), JMESPath and path placeholders."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from collections.abc import Mapping as Given
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import jmespath
from jmespath.exceptions import JMESPathError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from interlink.core.errors import InvalidDeclaration, validation_details
from interlink.providers.kit.pagination import (
    BodyCursor,
    GraphQLCursor,
    LinkHeader,
    Offset,
    PageToken,
    Pagination,
)
from interlink.transport.header_check import header_problem
from interlink.transport.headers import RateLimitHeaders

KEY = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
_SLOT = re.compile(r"\{([^{}]*)\}")
Name = Annotated[str, Field(min_length=1, max_length=100)]
Dotted = Annotated[str, Field(min_length=1, max_length=200)]
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Auth(Strict):
    """How calls authenticate: `api_key` in `header` (Authorization: `<prefix> <key>`),
    `bearer` (an OAuth access token, no grant), `basic`, `oauth` (with its token URL, for
    refresh and grants) or `jwt`."""

    mode: Literal["api_key", "bearer", "basic", "oauth", "jwt"]
    header: str | None = Field(None, max_length=100, description="api_key: the header it goes in")
    prefix: str | None = Field(None, max_length=40, description="api_key: the word before it")
    token_url: str | None = Field(None, max_length=2048, description="oauth: its token endpoint")
    authorize_url: str | None = Field(None, max_length=2048)
    scopes: list[Name] = Field(default_factory=list, max_length=100)


class RateHeaders(Strict):
    limit: Name = "x-ratelimit-limit"
    remaining: Name = "x-ratelimit-remaining"
    reset: Name = "x-ratelimit-reset"
    reset_kind: Literal["epoch", "delta", "delta_ms", "iso8601"] = "epoch"


class Paging(Strict):
    """The provider's paging style (`kit.pagination`), its field names as data."""

    style: Literal["link_header", "body_cursor", "page_token", "offset", "graphql"]
    items: Dotted | None = None
    cursor: Dotted | None = None  # body_cursor, page_token: where the next cursor is
    param: Name | None = None  # what asks for the next page (query field or GraphQL variable)
    size: Name | None = None  # what asks for a page size
    has_more: Dotted | None = None
    connection: Dotted | None = None  # graphql: the connection's path (data.repository.issues)

    def style_of(self) -> Pagination:
        given = {k: v for k, v in self.model_dump(exclude={"style"}).items() if v is not None}
        if self.style == "link_header":
            return LinkHeader(**_only(given, "items", "size"))
        if self.style == "offset":
            return Offset(**_only(given, "items", "size"))
        if self.style == "graphql":
            return GraphQLCursor(**_only(given, "connection", "param", "size"))
        kind = BodyCursor if self.style == "body_cursor" else PageToken
        return kind(**_only(given, "items", "cursor", "param", "size", "has_more"))


class Mapping(Strict):
    """Where each parameter goes: target name -> parameter name. `body` targets may be dotted
    (`user.name`); GraphQL actions send every parameter as a variable instead."""

    path: dict[Name, Name] = Field(default_factory=dict)
    query: dict[Name, Name] = Field(default_factory=dict)
    headers: dict[Name, Name] = Field(default_factory=dict)
    body: dict[Dotted, Name] = Field(default_factory=dict)


class GraphqlCall(Strict):
    query: str = Field(min_length=1, max_length=100_000)
    operation_name: Name | None = None
    path: str = Field("/graphql", max_length=2048)


class ActionDeclaration(Strict):
    description: str = Field("", max_length=2000)
    method: Method = "GET"
    path: str | None = Field(None, max_length=2048, description="A template: /items/{item_id}")
    graphql: GraphqlCall | None = None
    map: Mapping = Field(default_factory=Mapping)
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    result: str | None = Field(None, max_length=2000, description="A JMESPath shaping the result")
    idempotent: bool = False
    paginate: bool = Field(False, description="Read pages the provider's way; takes `limit`")


class Declaration(Strict):
    key: str = Field(pattern=KEY, max_length=40)
    name: Name
    description: str = Field("", max_length=2000)
    base_url: str = Field(max_length=2048)
    auth: Auth
    rate_limit_headers: RateHeaders | None = None
    pagination: Paging | None = None
    test: str | None = Field(None, max_length=2048, description="The path `test` GETs")
    actions: dict[Annotated[str, Field(pattern=KEY, max_length=64)], ActionDeclaration] = Field(
        min_length=1, max_length=200
    )

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def rate_headers(self) -> RateLimitHeaders | None:
        found = self.rate_limit_headers
        return RateLimitHeaders(**found.model_dump()) if found is not None else None


def read(document: Any) -> Declaration:
    """The declaration, or INVALID_DECLARATION (422) listing every problem of it: the model's,
    and those of each part that the model alone cannot see (of the parts that parse)."""
    try:
        declaration = Declaration.model_validate(document)
    except ValidationError as exc:
        details = validation_details(exc.errors(include_input=False, include_url=False))
        details.extend(_problems(_parts(document)))
        raise InvalidDeclaration(summary(details), details=details) from None
    details = _problems((declaration.auth, declaration.pagination, declaration.actions))
    if details:
        raise InvalidDeclaration(summary(details), details=details)
    return declaration


Parts = tuple[Auth | None, Paging | None, dict[str, ActionDeclaration]]


def _parts(document: Any) -> Parts:
    """The parts of a declaration the model refused that parse on their own."""
    if not isinstance(document, dict):
        return None, None, {}
    auth, paging = _parsed(Auth, document.get("auth")), _parsed(Paging, document.get("pagination"))
    actions = document.get("actions")
    actions = actions if isinstance(actions, dict) else {}
    parsed = {name: _parsed(ActionDeclaration, raw) for name, raw in actions.items()}
    return auth, paging, {name: a for name, a in parsed.items() if a is not None}


def _parsed(model: type[M], raw: Any) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _problems(parts: Parts) -> list[dict[str, Any]]:
    """What the model cannot say: each action's schema, JMESPath, placeholders and mapping."""
    auth, paging, actions = parts
    found = _auth_problems(auth) if auth is not None else []
    for name, declared in actions.items():
        found.extend(
            {"field": f"actions.{name}.{where}", "message": message}
            for where, message in _action_problems(declared, paging)
        )
    return found


def url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return "is not a URL"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "must be an absolute http:// or https:// URL"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.query or parts.fragment or any(ch.isspace() for ch in value):
        return "must have no query, fragment or white space"
    return None


def placeholders(template: str) -> list[str]:
    """The `{name}` placeholders of a path template."""
    return _SLOT.findall(template)


def fill(template: str, values: Given[str, str]) -> str:
    """The template with each placeholder replaced by its value in `values`."""
    return _SLOT.sub(lambda slot: values[slot.group(1)], template)


def _auth_problems(auth: Auth) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if auth.mode == "oauth" and auth.token_url is None:
        found.append({"field": "auth.token_url", "message": "required for mode oauth"})
    for field in ("token_url", "authorize_url"):
        value = getattr(auth, field)
        problem = url_problem(value) if value is not None else None
        if problem:
            found.append({"field": f"auth.{field}", "message": problem})
    if auth.header is not None and (problem := header_problem(auth.header, "x")) is not None:
        found.append({"field": "auth.header", "message": problem})
    return found


def _action_problems(action: ActionDeclaration, paging: Paging | None) -> list[tuple[str, str]]:
    found = _schema_problems(action.input_schema)
    properties = action.input_schema.get("properties", {})
    known = set(properties) if isinstance(properties, dict) else set()
    if (action.path is None) == (action.graphql is None):
        found.append(("path", "give exactly one of `path` and `graphql`"))
    found.extend(_mapping_problems(action, known))
    if action.result is not None:
        try:
            jmespath.compile(action.result)
        except (JMESPathError, RecursionError) as exc:
            found.append(("result", f"is not a JMESPath expression: {exc or 'nested too deep'}"))
    if action.paginate and paging is None:
        found.append(("paginate", "the provider states no `pagination`"))
    return found


def checker_for(schema: dict[str, Any]) -> type[Validator]:
    """The validator of the schema's draft (`$schema`); the latest for none or an unknown one."""
    return validator_for(schema, default=Draft202012Validator)


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("$ref"), str):
            yield schema["$ref"]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


def _schema_problems(schema: dict[str, Any]) -> list[tuple[str, str]]:
    checker = checker_for(schema)
    known = validator_for(schema, default=None) is not None  # type: ignore[arg-type]
    found = [] if "$schema" not in schema or known else [
        ("input_schema.$schema", "is not a JSON Schema draft this server knows")
    ]  # fmt: skip
    found += [
        ("input_schema", f"$ref {ref!r} is not a reference inside the schema (#/...)")
        for ref in _refs(schema)
        if not ref.startswith("#")
    ]
    found += [
        ("input_schema." + ".".join(str(p) for p in e.absolute_path) if e.absolute_path
         else "input_schema", e.message)
        for e in checker(checker.META_SCHEMA).iter_errors(schema)
    ]  # fmt: skip
    if schema.get("type") != "object":
        found.append(("input_schema.type", "must be `object`: an action takes named parameters"))
    return found


def _mapping_problems(action: ActionDeclaration, known: set[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    slots = placeholders(action.path) if action.path is not None else []
    if action.path is not None and {"{", "}"} & set(_SLOT.sub("", action.path)):
        found.append(("path", "has a `{` or `}` that opens or closes no placeholder"))
    for where, mapped in action.map.model_dump().items():
        found.extend(
            (f"map.{where}.{target}", f"names no parameter of input_schema: {parameter!r}")
            for target, parameter in mapped.items()
            if parameter not in known
        )
    if action.path is not None:
        for name in slots:
            if not name.isidentifier() or keyword.iskeyword(name):
                found.append(("path", f"placeholder {{{name}}} is not a plain name"))
            elif name not in action.map.path:
                found.append(("path", f"placeholder {{{name}}} is not mapped in map.path"))
    listed = action.input_schema.get("required")
    required = set(r for r in listed if isinstance(r, str)) if isinstance(listed, list) else set()
    for target, parameter in action.map.path.items():
        if action.path is None or target not in slots:
            found.append((f"map.path.{target}", "is no placeholder of path"))
        elif parameter in known and parameter not in required:
            found.append((f"map.path.{target}", f"{parameter!r} must be required in input_schema"))
    for target in action.map.headers:
        if (problem := header_problem(target, "x")) is not None:
            found.append((f"map.headers.{target}", problem))
    return found


def _only(given: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: given[name] for name in names if name in given}


def summary(details: list[dict[str, Any]]) -> str:
    """The message of INVALID_DECLARATION: how many problems, and the first few."""
    listed = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
    return f"The declaration has {len(details)} problem(s): {listed}{more}"
