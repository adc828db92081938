"""Where a workflow's templates, expressions and JMESPath searches run: a few sandbox processes
beside the service, so that none of them blocks the event loop or takes more than its bounds.

Jinja2's sandbox keeps a template away from Python's internals, not from the machine: one
expression can ask for gigabytes (`'x' * 10**9`) or loop for minutes (nested `range`). Bounds
inside the interpreter would have to foresee every such shape, and a thread cannot be stopped or
given its own memory. So each render goes to a process of its own (`sandbox_process.py`) whose
address space is capped, whose CPU time per compile and per evaluation is timed, and whose answer
is cut at `max_chars`; a process that does not answer in time is killed and replaced. The only
work done in the service's own process is what cannot amplify: a short string made of
`{{ path }}` references to the context, and a JMESPath that is a plain field path.

Hand-written over `multiprocessing`-based pools (pebble, loky): those start workers that import
the parent's `__main__` (the whole service) and talk through pickles and a thread of their own;
this speaks JSON lines to `python -m interlink.workflows.sandbox_process` through asyncio pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from interlink.workflows import templates
from interlink.workflows.templates import BoundExceeded, Limits, TemplateFailure

_MODULE = "interlink.workflows.sandbox_process"
_ENVIRONMENT = ("PATH", "PYTHONPATH", "PYTHONHOME", "LANG", "LC_ALL", "TMPDIR")  # nothing secret
_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[-?[0-9]{1,9}\])*")
_SUBJECTS = {
    "render": "the template",
    "evaluate": "the expression",
    "search": "the JMESPath expression",
    "check": "the check",
}


class _Gone(Exception):
    """The sandbox process ended without answering."""


class _Process:
    """One sandbox process: one request at a time, a JSON line each way."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, line: bytes) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        try:
            stdin.write(line)
            await stdin.drain()
            answer = await stdout.readline()
        except (ConnectionError, ValueError):  # a closed pipe, an answer past the line limit
            raise _Gone from None
        if not answer.endswith(b"\n"):
            raise _Gone
        reply: dict[str, Any] = json.loads(answer)
        return reply

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        await self.process.wait()


class Sandbox:
    """Renders config templates, evaluates conditions and runs JMESPath searches within
    `limits`, `processes` at a time; every failure is a `TemplateFailure` naming its cause."""

    def __init__(self, limits: Limits, processes: int = 2) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(processes)
        self._idle: list[_Process] = []
        self._busy: set[_Process] = set()

    async def render(self, value: Any, context: Mapping[str, Any]) -> Any:
        """Every string inside `value` (a config) rendered against `context`."""
        texts = sorted({t for t in _strings(value) if not self._local(t, context)})
        rendered: dict[str, Any] = {}
        if texts:
            values = await self._call("render", {"texts": texts, "context": context}, len(texts))
            rendered = dict(zip(texts, values, strict=True))
        return self._fill(value, context, rendered)

    async def evaluate(self, expression: str, context: Mapping[str, Any]) -> Any:
        """A condition's expression (`input.amount > 100`)."""
        roots = templates.reference_roots(expression, expression=True)
        if roots is not None and roots <= context.keys():
            return templates.evaluate(expression, context)
        return await self._call("evaluate", {"expression": expression, "context": context}, 1)

    async def search(self, path: str, data: Any) -> Any:
        """A JMESPath search of `data` (plain JSON)."""
        if len(path) <= 1000 and _FIELD_PATH.fullmatch(path):
            try:
                return jmespath.search(path, data)
            except JMESPathError as exc:
                raise TemplateFailure(f"the JMESPath expression failed: {exc}") from None
        return await self._call("search", {"path": path, "data": data}, 1)

    async def check(self, items: list[tuple[str, str]]) -> list[str | None]:
        """The syntax fault of each `(kind, text)` (`template` or `expression`), or None."""
        if not items:
            return []
        faults: list[str | None] = await self._call("check", {"items": items}, len(items))
        return faults

    async def close(self) -> None:
        processes = [*self._idle, *self._busy]
        self._idle.clear()
        for process in processes:
            await process.stop()

    # -- what stays in this process ----------------------------------------------------------------
    def _local(self, text: str, context: Mapping[str, Any]) -> bool:
        if not templates.has_template(text):
            return True
        roots = templates.reference_roots(text)
        return roots is not None and roots <= context.keys()

    def _fill(self, value: Any, context: Mapping[str, Any], rendered: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            if value in rendered:
                return rendered[value]
            return templates.render_string(value, context, self.limits.max_chars)
        if isinstance(value, Mapping):
            return {k: self._fill(v, context, rendered) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fill(v, context, rendered) for v in value]
        return value

    # -- the processes ---------------------------------------------------------------------------
    async def _call(self, op: str, args: Mapping[str, Any], compiles: int) -> Any:
        line = (json.dumps({"op": op, "args": args}) + "\n").encode()
        subject = _SUBJECTS[op]
        async with self._slots:
            process = self._idle.pop() if self._idle else await self._start()
            self._busy.add(process)
            keep = False
            try:
                reply = await asyncio.wait_for(process.ask(line), self._deadline(compiles))
                keep = not reply.get("retire")
            except TimeoutError:
                raise BoundExceeded(
                    f"{subject} used more than {self.limits.cpu_seconds:g} s of CPU time"
                ) from None
            except _Gone:
                raise BoundExceeded(
                    f"{subject} stopped its sandbox process (past its memory bound of "
                    f"{self.limits.memory_mb:,} MB?)"
                ) from None
            finally:
                self._busy.discard(process)
                if keep:
                    self._idle.append(process)
                else:
                    await asyncio.shield(process.stop())
        if not reply["ok"]:
            raise TemplateFailure(reply["message"])
        return reply["value"]

    def _deadline(self, compiles: int) -> float:
        """How long an answer may take in wall time before its process is killed: well past the
        CPU time it may use (its own timer stops it first), for a machine that is busy."""
        return 4 * self.limits.cpu_seconds * (compiles + 2) + 10

    async def _start(self) -> _Process:
        limits = self.limits
        environment = {k: os.environ[k] for k in _ENVIRONMENT if k in os.environ}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", _MODULE,
            str(limits.cpu_seconds), str(limits.memory_mb), str(limits.max_chars),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=environment, limit=limits.max_chars + 65_536,
        )  # fmt: skip
        return _Process(process)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
