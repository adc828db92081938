"""Data between steps: `{{ input.customer.email }}` and `{{ steps.create.output.id }}` in any
config string, rendered by Jinja2's immutable sandbox (no attribute of Python objects, no code).

A string that is one `{{ expression }}` and nothing else keeps the expression's type (a number,
a list, an object); any other string renders to text. A reference to something that does not
exist fails with `TemplateFailure` naming the full path, e.g. `input.customer.email`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_WHOLE = re.compile(r"^\s*\{\{(?P<expression>.*)\}\}\s*$", re.DOTALL)
_MAX_OUTPUT = 1_000_000


class TemplateFailure(Exception):
    """A template could not be rendered; the message names the reference or the syntax fault."""


class _Tracked(dict[str, Any]):
    """A mapping that knows where it is in the context, so that a missing key is named in full."""

    path: str = ""


class _Undefined(StrictUndefined):
    @property
    def _undefined_message(self) -> str:
        parent = getattr(self._undefined_obj, "path", "")
        name = self._undefined_name
        where = f"{parent}.{name}" if parent else str(name)
        return f"`{where}` does not exist"


class _Environment(ImmutableSandboxedEnvironment):
    """`a.b` on data means the key `b`, never a method of the mapping (`steps.values`,
    `input.items` are fields, not dict methods)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_ENV = _Environment(undefined=_Undefined, autoescape=False)


def track(value: Any, path: str = "") -> Any:
    """The context with each mapping tagged with its path (plain JSON values otherwise)."""
    if isinstance(value, Mapping):
        tracked = _Tracked(
            {k: track(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        )
        tracked.path = path
        return tracked
    if isinstance(value, list):
        return [track(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def plain(value: Any) -> Any:
    """Back to plain JSON values (rendered output may hold tracked mappings)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def check_syntax(text: str) -> str | None:
    """The syntax fault of a template string, or None."""
    try:
        whole = _WHOLE.match(text)
        if whole and "{{" not in whole.group("expression"):
            _ENV.compile_expression(whole.group("expression"))
        else:
            _ENV.from_string(text)
    except TemplateError as exc:
        return str(exc)
    return None


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """A bare expression (`input.amount > 100`, or the same inside `{{ }}`)."""
    whole = _WHOLE.match(expression)
    body = whole.group("expression") if whole else expression
    try:
        result = _expression(body)(**context)
    except UndefinedError as exc:
        raise TemplateFailure(exc.message or "a reference does not exist") from None
    except TemplateError as exc:
        raise TemplateFailure(f"the expression is not valid: {exc}") from None
    except Exception as exc:  # a faulty operation in the expression, e.g. 1 / 0
        raise TemplateFailure(f"the expression failed: {type(exc).__name__}: {exc}") from None
    if isinstance(result, StrictUndefined):
        raise TemplateFailure(result._undefined_message)
    return plain(result)


# Compiling is most of a render's cost, and a workflow renders the same strings every execution.
# Strings up to _CACHED_CHARS are kept compiled (at most 4096 of them), so the cache stays small.
_CACHED_CHARS = 2000


@functools.lru_cache(maxsize=4096)
def _compiled_expression(body: str) -> Callable[..., Any]:
    return _ENV.compile_expression(body, undefined_to_none=False)


@functools.lru_cache(maxsize=4096)
def _compiled_template(text: str) -> Template:
    return _ENV.from_string(text)


def _expression(body: str) -> Callable[..., Any]:
    if len(body) > _CACHED_CHARS:
        return _ENV.compile_expression(body, undefined_to_none=False)
    return _compiled_expression(body)


def _template(text: str) -> Template:
    return _ENV.from_string(text) if len(text) > _CACHED_CHARS else _compiled_template(text)


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Every string inside `value` (a config) rendered; other values as they are."""
    if isinstance(value, str):
        return _render_string(value, context)
    if isinstance(value, Mapping):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    return value


def _render_string(text: str, context: Mapping[str, Any]) -> Any:
    if "{{" not in text and "{%" not in text:
        return text
    whole = _WHOLE.match(text)
    if whole and "{{" not in whole.group("expression"):
        return evaluate(whole.group("expression"), context)
    try:
        rendered = _template(text).render(**context)
    except UndefinedError as exc:
        raise TemplateFailure(exc.message or "a reference does not exist") from None
    except TemplateError as exc:
        raise TemplateFailure(f"the template is not valid: {exc}") from None
    except Exception as exc:
        raise TemplateFailure(f"the template failed: {type(exc).__name__}: {exc}") from None
    if len(rendered) > _MAX_OUTPUT:
        raise TemplateFailure("the template rendered more than 1 MB")
    return rendered


def references(value: Any) -> list[tuple[str, str | None]]:
    """`(step, field)` of every `steps.<step>[.output.<field>]` a config's strings mention."""
    found: list[tuple[str, str | None]] = []
    if isinstance(value, str):
        for match in _STEP_REFERENCE.finditer(value):
            found.append((match.group("step"), match.group("field")))
    elif isinstance(value, Mapping):
        for item in value.values():
            found.extend(references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(references(item))
    return found


_STEP_REFERENCE = re.compile(
    r"\bsteps\.(?P<step>[A-Za-z_][A-Za-z0-9_]*)(?:\.output\.(?P<field>[A-Za-z_][A-Za-z0-9_]*))?"
)
