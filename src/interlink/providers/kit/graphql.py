"""GraphQL over HTTP, as a provider sends it: one POST of `{"query", "variables",
"operationName"}` whose answer is `{"data", "errors"}` (the GraphQL over HTTP specification).
A 200 answer carrying `errors` is an error of ours, their messages in `details`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlink.core.errors import InvalidOperation


def graphql_body(
    query: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
) -> dict[str, Any]:
    """The JSON body of one GraphQL request."""
    body: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
    if operation_name:
        body["operationName"] = operation_name
    return body


def raise_graphql_errors(answer: Any) -> None:
    """Raises INVALID_OPERATION when the answer lists `errors`, each one's message (and its path
    and code, when given) in `details`."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not errors or not isinstance(errors, list):
        return
    details = [_detail(error) for error in errors]
    summary = "; ".join(str(d["provider_message"]) for d in details[:3])
    raise InvalidOperation(f"The GraphQL endpoint answered errors: {summary}", details=details)


def _detail(error: Any) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"provider_message": str(error)}
    detail: dict[str, Any] = {"provider_message": str(error.get("message", "?"))}
    if isinstance(error.get("path"), list):
        detail["path"] = ".".join(str(part) for part in error["path"])
    extensions = error.get("extensions")
    extensions = extensions if isinstance(extensions, dict) else {}
    code = extensions.get("code", extensions.get("type"))  # GitHub's is `type`
    if code is not None:
        detail["provider_code"] = code
    return detail
