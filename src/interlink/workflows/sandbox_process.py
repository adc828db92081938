"""The sandbox process: renders templates, evaluates expressions and runs JMESPath searches that
a workflow definition wrote, one request at a time, within its bounds.

Run as `python -m interlink.workflows.sandbox_process CPU_SECONDS MEMORY_MB MAX_CHARS` by
`workflows/sandbox.py`; requests and answers are JSON lines on stdin and stdout. Its address space
is capped (`RLIMIT_AS`: what it holds after start plus MEMORY_MB), a CPU-time timer (`SIGPROF`)
stops each compile and each evaluation after CPU_SECONDS, and what an answer carries is cut at
MAX_CHARS. It imports Jinja2, JMESPath and the templates module only.
"""

from __future__ import annotations

import functools
import json
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import FrameType
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from interlink.workflows import templates
from interlink.workflows.templates import BoundExceeded, Limits, TemplateFailure

CHECK_BUDGET = 5  # the CPU time of a definition's check, in CPU bounds of one compile


class _OverTime(BaseException):
    """The CPU timer went off (a BaseException: no `except Exception` in a template swallows it)."""


class _Bounded:
    """Runs one request's parts, each under the CPU timer, and says which bound stopped it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.retire = False  # set after a MemoryError: a fresh process takes the next request

    def timed(self, subject: str, work: Callable[[], Any]) -> Any:
        signal.setitimer(signal.ITIMER_PROF, self.limits.cpu_seconds)
        try:
            return work()
        except _OverTime:
            raise BoundExceeded(
                f"{subject} used more than {self.limits.cpu_seconds:g} s of CPU time"
            ) from None
        except RecursionError:
            raise TemplateFailure(f"{subject} nests or recurses too deeply") from None
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)

    def encoded(self, subject: str, value: Any) -> str:
        """`value` as JSON, refused past `max_chars` (and for what JSON cannot carry)."""
        size, chunks = 0, []
        encoder = json.JSONEncoder(default=_data_default)
        try:
            for chunk in encoder.iterencode(value):
                size += len(chunk)
                if size > self.limits.max_chars:
                    raise BoundExceeded(
                        f"{subject} produced more than {self.limits.max_chars:,} characters"
                    )
                chunks.append(chunk)
        except (TypeError, ValueError) as exc:
            raise TemplateFailure(f"{subject} gave what JSON cannot carry: {exc}") from None
        return "".join(chunks)


def _data_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Iterator | range | set | frozenset):
        return list(value)
    raise TemplateFailure(f"a template gave a `{type(value).__name__}`, which is not JSON data")


def _render(bounded: _Bounded, args: Mapping[str, Any]) -> list[Any]:
    context = templates.track(args["context"])
    for text in args["texts"]:  # compiled one by one: each compile has its own CPU time
        bounded.timed("the template", functools.partial(templates.check_syntax, text))
    return list(
        bounded.timed(
            "the template",
            lambda: [templates.render_string(text, context) for text in args["texts"]],
        )
    )


def _evaluate(bounded: _Bounded, args: Mapping[str, Any]) -> Any:
    context = templates.track(args["context"])
    expression = args["expression"]
    bounded.timed("the expression", lambda: templates.check_expression(expression))
    return bounded.timed("the expression", lambda: templates.evaluate(expression, context))


def _search(bounded: _Bounded, args: Mapping[str, Any]) -> Any:
    try:
        compiled = bounded.timed("the JMESPath expression", lambda: jmespath.compile(args["path"]))
        return bounded.timed("the JMESPath expression", lambda: compiled.search(args["data"]))
    except JMESPathError as exc:
        raise TemplateFailure(f"the JMESPath expression failed: {exc}") from None


def _check(bounded: _Bounded, args: Mapping[str, Any]) -> list[str | None]:
    """The syntax fault of each `[kind, text]` (kind `template` or `expression`), or None.
    Each compiles within the CPU time of one; all of them within `CHECK_BUDGET` times that."""
    faults: list[str | None] = []
    budget = CHECK_BUDGET * bounded.limits.cpu_seconds
    start = time.process_time()
    for kind, text in args["items"]:
        check = templates.check_expression if kind == "expression" else templates.check_syntax
        if time.process_time() - start > budget:
            faults.append(f"not compiled: the definition used more than {budget:g} s of CPU time")
            continue
        try:
            faults.append(bounded.timed(f"compiling the {kind}", functools.partial(check, text)))
        except TemplateFailure as exc:
            faults.append(str(exc))
        except MemoryError:
            bounded.retire = True
            faults.append(
                f"compiling it needed more than {bounded.limits.memory_mb:,} MB of memory"
            )
    return faults


_OPS: dict[str, tuple[str, Callable[[_Bounded, Mapping[str, Any]], Any]]] = {
    "render": ("the template", _render),
    "evaluate": ("the expression", _evaluate),
    "search": ("the JMESPath expression", _search),
    "check": ("the check", _check),
}


def answer(bounded: _Bounded, line: str) -> tuple[str, bool]:
    """The JSON line that answers one request line, and whether this process should retire."""
    subject = "the request"
    try:
        request = json.loads(line)
        subject, op = _OPS[request["op"]]
        value = op(bounded, request["args"])
        encoded = bounded.timed(subject, lambda: bounded.encoded(subject, value))
        retire = ', "retire": true' if bounded.retire else ""
        return f'{{"ok": true, "value": {encoded}{retire}}}', bounded.retire
    except TemplateFailure as exc:
        return json.dumps({"ok": False, "message": str(exc)}), False
    except MemoryError:
        message = f"{subject} needed more than {bounded.limits.memory_mb:,} MB of memory"
        return json.dumps({"ok": False, "message": message, "retire": True}), True


def _on_timer(signum: int, frame: FrameType | None) -> None:
    raise _OverTime


def _cap_memory(memory_mb: int) -> None:
    """What this process may hold from now: what it holds, plus `memory_mb`."""
    with open("/proc/self/statm") as statm:
        held = int(statm.read().split()[0]) * resource.getpagesize()
    cap = held + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))


def serve(lines: Iterable[str], limits: Limits) -> None:
    bounded = _Bounded(limits)
    for line in lines:
        _cap_memory(limits.memory_mb)
        reply, retire = answer(bounded, line)
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()
        if retire:
            return  # after a MemoryError, a fresh process takes the next request


def main() -> None:
    cpu_seconds, memory_mb, max_chars = sys.argv[1:4]
    limits = Limits(float(cpu_seconds), int(memory_mb), int(max_chars))
    templates.configure(limits)
    signal.signal(signal.SIGPROF, _on_timer)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops this
    serve(sys.stdin, limits)


if __name__ == "__main__":
    main()
