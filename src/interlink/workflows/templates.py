"""Data between steps: `{{ input.customer.email }}` and `{{ steps.create.output.id }}` in any
config string, rendered by Jinja2's immutable sandbox (no attribute of Python objects, no code).

A string that is one `{{ expression }}` and nothing else keeps the expression's type (a number,
a list, an object); any other string renders to text. A reference to something that does not
exist fails with `TemplateFailure` naming the full path, e.g. `input.customer.email`.

The sandbox bounds what one operation may build (`*`, `+`, `**`: `BoundExceeded` before the value
is made) and what a text template may output; the CPU time, memory and total output of a render
are bounded by the process that runs it (`workflows/sandbox.py`). Everything here is synchronous
and runs there, except plain references (`is_reference`), which cost a lookup and build nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_WHOLE = re.compile(r"^\s*\{\{(?P<expression>.*)\}\}\s*$", re.DOTALL)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = rf"{_NAME}(?:\.{_NAME}|\[[0-9]{{1,9}}\])*"
_REFERENCE = re.compile(rf"\s*(?P<root>{_NAME})(?:\.{_NAME}|\[[0-9]{{1,9}}\])*\s*")
# Text, and `{{ path }}` references only: no operator, filter, call, loop or block.
_REFERENCES = re.compile(rf"(?:[^{{]|\{{(?![{{%#])|\{{\{{\s*{_PATH}\s*\}}\}})*")
_ROOTS = re.compile(rf"\{{\{{\s*(?P<root>{_NAME})")
_REFERENCE_CHARS = 1000  # a longer string of references is compiled in the sandbox process
MAX_INT_BITS = 10_000  # about 3,000 digits: a number no workflow needs more of


@dataclass(frozen=True)
class Limits:
    """What one render may use (`INTERLINK_JOBS_WORKFLOW_TEMPLATE_*`)."""

    cpu_seconds: float = 2.0
    memory_mb: int = 256
    max_chars: int = 1_000_000


class TemplateFailure(Exception):
    """A template could not be rendered; the message names the reference or the syntax fault."""


class BoundExceeded(TemplateFailure):
    """A template went past one of its bounds; the message names the bound."""


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
    `input.items` are fields, not dict methods). The operators that can build a large value
    from small ones are checked before they run."""

    intercepted_binops = frozenset({"*", "+", "**"})
    max_chars = Limits.max_chars

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right, self.max_chars)
        return super().call_binop(context, operator, left, right)


def _check_binop(operator: str, left: Any, right: Any, max_chars: int) -> None:
    sized = (str, list, tuple)
    if operator == "*" and isinstance(left, sized) and isinstance(right, int):
        size = len(left) * right
    elif operator == "*" and isinstance(right, sized) and isinstance(left, int):
        size = len(right) * left
    elif operator == "+" and isinstance(left, sized) and isinstance(right, sized):
        size = len(left) + len(right)
    else:
        _check_number(operator, left, right)
        return
    if size > max_chars:
        raise BoundExceeded(
            f"`{operator}` would make a value of more than {max_chars:,} characters or items"
        )


def _check_number(operator: str, left: Any, right: Any) -> None:
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if operator == "**":
        bits = abs(left).bit_length() * right if abs(left) > 1 and right > 0 else 0
    elif operator == "*":
        bits = abs(left).bit_length() + abs(right).bit_length()
    else:
        bits = max(abs(left).bit_length(), abs(right).bit_length())
    if bits > MAX_INT_BITS:
        raise BoundExceeded(f"`{operator}` would make a number of more than {MAX_INT_BITS:,} bits")


_ENV = _Environment(undefined=_Undefined, autoescape=False)


def configure(limits: Limits) -> None:
    """Apply `limits` to this process's sandbox (the sandbox process does, once)."""
    _ENV.max_chars = limits.max_chars


def reference_roots(text: str, *, expression: bool = False) -> set[str] | None:
    """The names a short string of text and `{{ path }}` references starts its paths from
    (`input.a`, `steps.b.output.c[0]`), or None if it is anything else (an operator, a filter, a
    call, a block). With `expression`, `text` is a bare expression: one path, braces optional.
    Such a string builds nothing and reads only what it names."""
    if len(text) > _REFERENCE_CHARS:
        return None
    if expression:
        whole = _WHOLE.match(text)
        body = whole.group("expression") if whole else text
        found = _REFERENCE.fullmatch(body)
        return {found.group("root")} if found else None
    if not _REFERENCES.fullmatch(text):
        return None
    return {m.group("root") for m in _ROOTS.finditer(text)}


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text


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
    whole = _WHOLE.match(text)
    if whole and "{{" not in whole.group("expression"):
        return check_expression(whole.group("expression"))
    return _fault(lambda: _template(text))


def check_expression(expression: str) -> str | None:
    """The syntax fault of a bare expression (`input.amount > 100`), or None."""
    return _fault(lambda: _expression(expression))


def _fault(compile_: Callable[[], object]) -> str | None:
    try:
        compile_()
    except TemplateError as exc:
        return str(exc)
    except (RecursionError, SyntaxError, MemoryError):
        # Jinja's parser and Python's compiler recurse once per level of nesting.
        return "it nests too deeply"
    return None


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """A bare expression (`input.amount > 100`, or the same inside `{{ }}`)."""
    whole = _WHOLE.match(expression)
    body = whole.group("expression") if whole else expression
    try:
        result = _expression(body)(**context)
    except (RecursionError, SyntaxError):
        raise TemplateFailure("the expression nests or recurses too deeply") from None
    except TemplateFailure:
        raise
    except UndefinedError as exc:
        raise TemplateFailure(exc.message or "a reference does not exist") from None
    except TemplateError as exc:
        raise TemplateFailure(f"the expression is not valid: {exc}") from None
    except MemoryError:
        raise
    except Exception as exc:  # a faulty operation in the expression, e.g. 1 / 0
        raise TemplateFailure(f"the expression failed: {type(exc).__name__}: {exc}") from None
    if isinstance(result, StrictUndefined):
        raise TemplateFailure(result._undefined_message)
    return plain(result)


# Compiling is most of a render's cost, and a workflow renders the same strings every execution.
# Strings up to _CACHED_CHARS are kept compiled (at most 4096 of them), longer ones only the last
# few (the sandbox process compiles a string, under its CPU timer, just before it renders it).
_CACHED_CHARS = 2000


@functools.lru_cache(maxsize=4096)
def _compiled_expression(body: str) -> Callable[..., Any]:
    return _ENV.compile_expression(body, undefined_to_none=False)


@functools.lru_cache(maxsize=4096)
def _compiled_template(text: str) -> Template:
    return _ENV.from_string(text)


@functools.lru_cache(maxsize=8)
def _compiled_long_expression(body: str) -> Callable[..., Any]:
    return _ENV.compile_expression(body, undefined_to_none=False)


@functools.lru_cache(maxsize=8)
def _compiled_long_template(text: str) -> Template:
    return _ENV.from_string(text)


def _expression(body: str) -> Callable[..., Any]:
    if len(body) > _CACHED_CHARS:
        return _compiled_long_expression(body)
    return _compiled_expression(body)


def _template(text: str) -> Template:
    if len(text) > _CACHED_CHARS:
        return _compiled_long_template(text)
    return _compiled_template(text)


def render_string(text: str, context: Mapping[str, Any], max_chars: int | None = None) -> Any:
    """One config string rendered; a text template's output is cut at `max_chars`."""
    if not has_template(text):
        return text
    whole = _WHOLE.match(text)
    if whole and "{{" not in whole.group("expression"):
        return evaluate(whole.group("expression"), context)
    try:
        chunks = _template(text).generate(**context)
        return _joined(chunks, _ENV.max_chars if max_chars is None else max_chars)
    except (RecursionError, SyntaxError):
        raise TemplateFailure("the template nests or recurses too deeply") from None
    except TemplateFailure:
        raise
    except UndefinedError as exc:
        raise TemplateFailure(exc.message or "a reference does not exist") from None
    except TemplateError as exc:
        raise TemplateFailure(f"the template is not valid: {exc}") from None
    except MemoryError:
        raise
    except Exception as exc:
        raise TemplateFailure(f"the template failed: {type(exc).__name__}: {exc}") from None


def _joined(chunks: Iterator[str], max_chars: int) -> str:
    """The chunks of a render joined, stopping as soon as they pass `max_chars`."""
    kept: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_chars:
            raise BoundExceeded(f"the template rendered more than {max_chars:,} characters")
        kept.append(chunk)
    return "".join(kept)


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
