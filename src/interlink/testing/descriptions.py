"""Checks recorded requests and answers against a provider's published API description.

A description is an OpenAPI 3.0 or 3.1 document (JSON or YAML), cached by
`scripts/fetch_api_descriptions.py` as `<cache>/<key>.json`; the cache is
`$INTERLINK_API_DESCRIPTIONS` or `.cache/api-descriptions` under the working directory.

    description = load_description("github")
    if isinstance(description, DescriptionMissing):
        pytest.skip(description.reason)
    assert description.check_request("GET", "/repos/octo/hello", {"per_page": "5"}) == []
    assert description.check_response("GET", "/repos/octo/hello", 200, repository) == []

Each check returns readable problems, an empty list when the exchange is faithful, and never
raises. A path may be given relative to the provider's base URL or with the description's server
path in front (`/api/v10/users/@me` for Discord's `/users/@me`), with or without a query string.
Stripe-style form names (`metadata[order]`, `expand[]`) count as their field (`metadata`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, quote, urlsplit

import yaml
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry, Specification
from referencing.jsonschema import DRAFT4, DRAFT202012

ENV_VAR = "INTERLINK_API_DESCRIPTIONS"
DEFAULT_CACHE = Path(".cache") / "api-descriptions"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json")
FORM_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data")
SCALARS = frozenset({"null", "string", "integer", "number", "boolean"})
FORM_SEGMENT = re.compile(r"^[^\[]+|(?<=\[)[^\]]*(?=\])")
MAX_REFS = 32
BODILESS = frozenset({204, 205, 304})
ERRORS_IN_DEFAULT = frozenset({"slack"})
MAX_MESSAGE = 240

Json = Any
Query = Mapping[str, object] | Iterable[tuple[str, object]]


@dataclass(frozen=True)
class DescriptionMissing:
    """No usable description for `key`; `reason` says why (fit for `pytest.skip`)."""

    key: str
    reason: str


@dataclass(frozen=True)
class Route:
    template: str
    pattern: re.Pattern[str]
    operations: Mapping[str, Mapping[str, Json]]
    item: Mapping[str, Json]


@dataclass(frozen=True)
class Operation:
    route: Route
    method: str

    @property
    def spec(self) -> Mapping[str, Json]:
        return self.route.operations[self.method]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.route.template}"


class Description:
    """One parsed OpenAPI 3.x document; `ValueError` if it is not one.

    With `errors_in_default`, an answer that fails the schema of its status but fits the
    `default` response passes: Slack answers errors as 200 with `ok: false`, and its
    description puts those under `default`.
    """

    def __init__(
        self,
        document: Mapping[str, Json],
        name: str = "description",
        *,
        errors_in_default: bool = False,
    ) -> None:
        version = str(document.get("openapi", ""))
        if not version.startswith(("3.0", "3.1")) or not isinstance(document.get("paths"), dict):
            raise ValueError(f"{name} is not an OpenAPI 3.0/3.1 document ({kind_of(document)})")
        self.document = document
        self.name = name
        self.uri = f"urn:interlink:description:{quote(name)}"
        self.is_31 = version.startswith("3.1")
        self.errors_in_default = errors_in_default
        self.prefixes = server_prefixes(document)
        self.routes = build_routes(document["paths"])
        self._validators: dict[tuple[str, bool], Validator] = {}

    @cached_property
    def registry(self) -> Registry[Json]:
        specification: Specification[Json] = DRAFT202012 if self.is_31 else DRAFT4
        empty: Registry[Json] = Registry()
        registry: Registry[Json] = empty.with_resource(
            self.uri, specification.create_resource(self.document)
        )
        return registry

    def find(self, method: str, path: str) -> Operation | str:
        """The operation that serves `method path`, or the problem why none does."""
        wanted = method.lower()
        for candidate in self.candidates(path):
            routes = [route for route in self.routes if route.pattern.fullmatch(candidate)]
            for route in routes:
                if wanted in route.operations:
                    return Operation(route, wanted)
            if routes:
                declared = ", ".join(sorted(m.upper() for m in routes[0].operations))
                return f"{method.upper()} {routes[0].template}: method not declared ({declared})"
        return f"{method.upper()} {path}: path not in {self.name}"

    def candidates(self, path: str) -> list[str]:
        bare = urlsplit(path).path or "/"
        found = [bare]
        for prefix in self.prefixes:
            if bare.startswith(prefix + "/"):
                found.append(bare[len(prefix) :])
            found.append(prefix + bare)
        return found

    def check_request(
        self, method: str, path: str, query: Query | None = None, body: Json = None
    ) -> list[str]:
        """Problems with a request: unknown path or method, query or body fields not declared,
        required ones missing, a JSON body that does not fit its schema."""
        try:
            found = self.find(method, path)
            if isinstance(found, str):
                return [found]
            in_path = parse_qsl(urlsplit(path).query, keep_blank_values=True)
            pairs = [*in_path, *pairs_of(query)]
            return self.query_problems(found, pairs) + self.body_problems(found, body)
        except Exception as error:
            return [f"{method.upper()} {path}: could not check the request ({error!r})"]

    def check_response(self, method: str, path: str, status: int, body: Json = None) -> list[str]:
        """Problems with an answer: an undeclared status, a JSON body that does not fit the
        schema declared for that status."""
        try:
            found = self.find(method, path)
            if isinstance(found, str):
                return [found]
            return self.response_problems(found, status, body)
        except Exception as error:
            return [f"{method.upper()} {path} → {status}: could not check the answer ({error!r})"]

    def parameters(self, operation: Operation) -> dict[tuple[str, str], Mapping[str, Json]]:
        found: dict[tuple[str, str], Mapping[str, Json]] = {}
        for raw in [
            *operation.route.item.get("parameters", []),
            *operation.spec.get("parameters", []),
        ]:
            parameter = self.resolve(raw)
            if isinstance(parameter, Mapping) and "name" in parameter:
                found[str(parameter.get("in")), str(parameter["name"])] = parameter
        return found

    def query_problems(
        self, operation: Operation, pairs: Sequence[tuple[str, object]]
    ) -> list[str]:
        declared = {
            name: p for (place, name), p in self.parameters(operation).items() if place == "query"
        }
        given = {field_name(name) for name, _ in pairs}
        unknown = [
            f"{operation.label}: query parameter '{name}' is not declared"
            for name in sorted(given - declared.keys())
        ]
        missing = [
            f"{operation.label}: required query parameter '{name}' is missing"
            for name, parameter in sorted(declared.items())
            if parameter.get("required") and name not in given
        ]
        return unknown + missing

    def body_problems(self, operation: Operation, body: Json) -> list[str]:
        request_body = self.resolve(operation.spec.get("requestBody"))
        if not isinstance(request_body, Mapping):
            return (
                [] if body in (None, {}, b"", "") else [f"{operation.label}: takes no request body"]
            )
        if body is None:
            return (
                [f"{operation.label}: request body is required"]
                if request_body.get("required")
                else []
            )
        found = self.media_schema(self.operation_pointer(operation) + "/requestBody")
        if found is None:
            return []
        media, pointer = found
        fields = self.field_problems(operation, media, follow(self.document, pointer), body)
        if not JSON_MEDIA.match(media) or fields:
            return fields
        return self.validate(pointer, body, f"{operation.label} request body", write=True)

    def field_problems(
        self, operation: Operation, media: str, schema: Json, body: Json
    ) -> list[str]:
        names = json_paths(body) if JSON_MEDIA.match(media) else form_paths(body)
        undeclared = sorted({".".join(p) for p in names if not self.declares(schema, p)})
        return [f"{operation.label}: body field '{name}' is not declared" for name in undeclared]

    def declares(self, schema: Json, path: Sequence[str]) -> bool:
        schemas: list[Json] | None = [schema]
        for segment in path:
            schemas = self.step(schemas or [], segment)
            if schemas is None:
                return True
            if not schemas:
                return False
        return True

    def step(self, schemas: Sequence[Json], segment: str) -> list[Json] | None:
        """The schemas that hold `segment` inside one of `schemas`; None when a schema is open
        (takes any name), [] when none declares it."""
        found: list[Json] = []
        for schema in self.branches(schemas):
            if is_scalar(schema):
                continue
            if schema.get("type") == "array" or "items" in schema:
                if is_index(segment):
                    found.append(self.resolve(schema.get("items", {})))
                continue
            properties = schema.get("properties")
            extra = schema.get("additionalProperties")
            if not isinstance(properties, Mapping) or extra not in (None, False):
                return None
            if segment in properties:
                found.append(self.resolve(properties[segment]))
        return found

    def branches(self, schemas: Iterable[Json], depth: int = 0) -> Iterator[Mapping[str, Json]]:
        for raw in schemas:
            schema = self.resolve(raw)
            if not isinstance(schema, Mapping):
                continue
            nested = [*schema.get("allOf", []), *schema.get("anyOf", []), *schema.get("oneOf", [])]
            if nested and depth < MAX_REFS:
                yield from self.branches(nested, depth + 1)
            if "properties" in schema or "items" in schema or not nested:
                yield schema

    def response_problems(self, operation: Operation, status: int, body: Json) -> list[str]:
        responses = operation.spec.get("responses", {})
        code = response_code(responses, status)
        if code is None:
            label = f"{operation.label} → {status}"
            declared = ", ".join(sorted(responses))
            return [f"{label}: status not declared ({declared})"]
        problems = self.answer_problems(operation, code, status, body)
        if (
            problems
            and self.errors_in_default
            and code != "default"
            and "default" in responses
            and not self.answer_problems(operation, "default", status, body)
        ):
            return []
        return problems

    def answer_problems(
        self, operation: Operation, code: str, status: int, body: Json
    ) -> list[str]:
        label = f"{operation.label} → {status}"
        found = self.media_schema(f"{self.operation_pointer(operation)}/responses/{escape(code)}")
        if found is None or not JSON_MEDIA.match(found[0]):
            return []
        if body is None:
            no_body = status in BODILESS
            return [] if no_body else [f"{label}: a JSON body is declared but none was given"]
        return self.validate(found[1], body, label, write=False)

    def media_schema(self, pointer: str) -> tuple[str, str] | None:
        """The media type and schema pointer of the request body or response at `pointer`."""
        holder_pointer = self.settle(pointer)
        holder = follow(self.document, holder_pointer)
        content = holder.get("content") if isinstance(holder, Mapping) else None
        if not isinstance(content, Mapping):
            return None
        media = pick_media(content)
        if media is None or "schema" not in content[media]:
            return None
        return media, f"{holder_pointer}/content/{escape(media)}/schema"

    def settle(self, pointer: str) -> str:
        for _ in range(MAX_REFS):
            node = follow(self.document, pointer)
            reference = node.get("$ref") if isinstance(node, Mapping) else None
            if not isinstance(reference, str) or not reference.startswith("#/"):
                break
            pointer = reference
        return pointer

    def operation_pointer(self, operation: Operation) -> str:
        return f"#/paths/{escape(operation.route.template)}/{operation.method}"

    def validate(self, pointer: str, instance: Json, label: str, *, write: bool) -> list[str]:
        validator = self.validator(pointer, write)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        return [f"{label}: {describe(error)}" for error in errors]

    def validator(self, pointer: str, write: bool) -> Validator:
        cached = self._validators.get((pointer, write))
        if cached is None:
            reference = {"$ref": self.uri + quote(pointer, safe="#/~")}
            if self.is_31:
                cached = OAS31Validator(
                    reference, registry=self.registry, format_checker=oas31_format_checker
                )
            else:
                kind = NULLABLE_WRITE if write else NULLABLE_READ
                cached = kind(
                    reference, registry=self.registry, format_checker=oas30_format_checker
                )
            self._validators[pointer, write] = cached
        return cached

    def resolve(self, node: Json) -> Json:
        for _ in range(MAX_REFS):
            if not isinstance(node, Mapping) or not str(node.get("$ref", "")).startswith("#/"):
                return node
            node = follow(self.document, node["$ref"])
        return node


def follow(document: Json, reference: str) -> Json:
    node = document
    for raw in reference[2:].split("/"):
        segment = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(segment)] if isinstance(node, list) else node[segment]
    return node


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def server_prefixes(document: Mapping[str, Json]) -> list[str]:
    prefixes: list[str] = []
    for server in document.get("servers") or []:
        url = str(server.get("url", "")) if isinstance(server, Mapping) else ""
        prefix = urlsplit(url).path.rstrip("/")
        if prefix and prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def build_routes(paths: Mapping[str, Json]) -> list[Route]:
    routes = []
    for template, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        operations = {m: op for m, op in item.items() if m in METHODS and isinstance(op, Mapping)}
        routes.append(Route(template, template_pattern(template), operations, item))
    return sorted(routes, key=route_weight)


def template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template.rstrip("/") or "/")
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex + "/?")


def route_weight(route: Route) -> tuple[int, int]:
    variables = route.template.count("{")
    literal = len(re.sub(r"\{[^}]*\}", "", route.template))
    return variables, -literal


def pairs_of(query: Query | None) -> list[tuple[str, object]]:
    if query is None:
        return []
    if isinstance(query, Mapping):
        return [(str(k), v) for k, v in query.items()]
    return [(str(k), v) for k, v in query]


def field_name(name: str) -> str:
    return name.split("[", 1)[0]


def form_paths(body: Json) -> list[list[str]]:
    if isinstance(body, Mapping):
        names = [str(name) for name in body]
    elif isinstance(body, list | tuple):
        names = [str(pair[0]) for pair in body if isinstance(pair, list | tuple) and pair]
    else:
        return []
    return [re.findall(FORM_SEGMENT, name) for name in names]


def json_paths(body: Json, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    found: list[list[str]] = []
    if isinstance(body, Mapping):
        for name, value in body.items():
            found.append([*prefix, str(name)])
            found.extend(json_paths(value, (*prefix, str(name))))
    elif isinstance(body, list):
        for value in body:
            found.extend(json_paths(value, (*prefix, "[]")))
    return found


def is_scalar(schema: Mapping[str, Json]) -> bool:
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return (bool(kinds) and kinds <= SCALARS) or "const" in schema or "enum" in schema


def kind_of(document: Mapping[str, Json]) -> str:
    if "swagger" in document:
        return f"Swagger {document['swagger']}: convert it to OpenAPI 3 first"
    if "openapi" in document:
        return f"OpenAPI {document['openapi']}"
    return "no 'openapi' field"


def is_index(segment: str) -> bool:
    return segment in ("", "[]") or segment.isdigit()


def pick_media(content: Mapping[str, Json]) -> str | None:
    for media in content:
        if JSON_MEDIA.match(media):
            return media
    for media in FORM_MEDIA:
        if media in content:
            return media
    return next(iter(content), None)


def response_code(responses: Mapping[str, Json], status: int) -> str | None:
    for code in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if code in responses:
            return code
    return None


def describe(error: ValidationError) -> str:
    deepest = error
    while deepest.context:
        match = best_match(deepest.context)
        if match is None:
            break
        deepest = match
    where = "/".join(map(str, deepest.absolute_path)) or "(body)"
    message = deepest.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE // 3] + " … " + message[-MAX_MESSAGE // 2 :]
    return f"at {where}: {message}"


def allowing_null(keyword: Any) -> Any:
    def check(validator: Validator, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from keyword(validator, value, instance, schema)

    return check


def nullable_aware(base: type[Validator]) -> type[Validator]:
    """`base`, where `nullable: true` beside allOf/anyOf/oneOf or enum admits null (Stripe's
    and GitHub's descriptions mean it so; OAS 3.0.3 read strictly would not)."""
    combinators = ("allOf", "anyOf", "oneOf", "enum")
    keywords = {name: allowing_null(base.VALIDATORS[name]) for name in combinators}
    return cast(type[Validator], extend(base, keywords))  # type: ignore[no-untyped-call]


NULLABLE_READ = nullable_aware(OAS30ReadValidator)
NULLABLE_WRITE = nullable_aware(OAS30WriteValidator)

_LOADED: dict[tuple[str, float], Description] = {}


def cache_dir() -> Path:
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else DEFAULT_CACHE


def description_file(key: str, directory: Path | None = None) -> Path | None:
    folder = directory or cache_dir()
    for suffix in (".json", ".yaml", ".yml"):
        path = folder / f"{key}{suffix}"
        if path.is_file():
            return path
    return None


def load_description(key: str, directory: Path | None = None) -> Description | DescriptionMissing:
    """The cached description of provider `key`, parsed once per process."""
    path = description_file(key, directory)
    if path is None:
        folder = (directory or cache_dir()).resolve()
        return DescriptionMissing(
            key,
            f"no {key} API description in {folder}: run scripts/fetch_api_descriptions.py",
        )
    try:
        stamp = (str(path.resolve()), path.stat().st_mtime)
        if stamp not in _LOADED:
            document = read_document(path)
            errors_in_default = key in ERRORS_IN_DEFAULT
            _LOADED[stamp] = Description(document, key, errors_in_default=errors_in_default)
        return _LOADED[stamp]
    except (OSError, ValueError, yaml.YAMLError) as error:
        return DescriptionMissing(key, f"the {key} API description {path} is unusable: {error}")


def read_document(path: Path) -> Mapping[str, Json]:
    text = path.read_text(encoding="utf-8")
    document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(document, Mapping):
        raise ValueError(f"{path} holds no object")
    return document
