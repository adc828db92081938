"""Checks requests and answers against Google's discovery documents, as google-api-python-client
ships them (`googleapiclient/discovery_cache/documents/`): the method a request names (its HTTP
method and path under `servicePath`), its query parameters, and the request and answer bodies
against the method's schemas. A schema's properties are taken as all there are, so a field the
API does not have is a problem too (discovery documents mark no field required)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient
from jsonschema import Draft7Validator

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
APIS = ("gmail.v1", "calendar.v3", "drive.v3", "sheets.v4", "oauth2.v2")


@dataclass(frozen=True)
class Method:
    api: str
    http_method: str
    pattern: re.Pattern[str]
    spec: Mapping[str, Any]
    document: Mapping[str, Any]

    def schema(self, ref: str) -> dict[str, Any]:
        definitions = {name: _strict(s) for name, s in self.document["schemas"].items()}
        return {"$ref": f"#/definitions/{ref}", "definitions": definitions}


def _strict(schema: Any) -> Any:
    """A discovery schema as JSON Schema: refs to `#/definitions`, and no property but its own."""
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return {"$ref": f"#/definitions/{schema['$ref']}"}
    found = {k: v for k, v in schema.items() if k not in ("id", "description", "properties")}
    if found.get("type") == "any":  # discovery's "any JSON value"
        del found["type"]
    for key in ("items", "additionalProperties"):
        if isinstance(found.get(key), dict):
            found[key] = _strict(found[key])
    if "properties" in schema:
        found["properties"] = {n: _strict(p) for n, p in schema["properties"].items()}
        found.setdefault("additionalProperties", False)
    return found


def _methods(resources: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


@cache
def methods() -> tuple[Method, ...]:
    found = []
    for api in APIS:
        document = json.loads((DOCUMENTS / f"{api}.json").read_text())
        listed = [*document.get("methods", {}).values(), *_methods(document["resources"])]
        for spec in listed:
            template = "/" + document["servicePath"] + spec.get("flatPath", spec["path"])
            pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            pattern = re.sub(r"\{\+?[^}]+\}", "[^/]+", pattern)
            found.append(
                Method(api, spec["httpMethod"], re.compile(f"^{pattern}$"), spec, document)
            )
    return tuple(sorted(found, key=lambda m: -len(m.pattern.pattern)))


def method_of(http_method: str, path: str) -> Method | None:
    return next(
        (m for m in methods() if m.http_method == http_method and m.pattern.match(path)), None
    )


def request_problems(
    http_method: str, path: str, query: Mapping[str, Any], body: Any = None
) -> list[str]:
    method = method_of(http_method, path)
    if method is None:
        return [f"{http_method} {path}: no such method in {', '.join(APIS)}"]
    known = {**method.document.get("parameters", {}), **method.spec.get("parameters", {})}
    problems = [f"{method.spec['id']}: no query parameter {name!r}" for name in query
                if known.get(name, {}).get("location") != "query"]  # fmt: skip
    if body is not None and "request" in method.spec:
        problems += _invalid(method, method.spec["request"]["$ref"], body)
    return problems


def answer_problems(http_method: str, path: str, status: int, body: Any) -> list[str]:
    method = method_of(http_method, path)
    if method is None:
        return [f"{http_method} {path}: no such method in {', '.join(APIS)}"]
    if status >= 400 or "response" not in method.spec:
        return []
    return _invalid(method, method.spec["response"]["$ref"], body)


def _invalid(method: Method, ref: str, body: Any) -> list[str]:
    validator = Draft7Validator(method.schema(ref))
    return [
        f"{method.spec['id']} {ref} at {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
