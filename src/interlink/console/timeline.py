"""An execution's steps as a timeline: where each step's bar starts and how long it is, as a
share of the execution's span (console.js draws them; the table beside says the same)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from interlink.workflows.schemas import ExecutionOut, StepOut


@dataclass(frozen=True)
class Bar:
    step: StepOut
    offset: float  # percent of the span before the step started
    width: float  # percent of the span the step took (a thin bar when it took no time)
    duration_ms: float | None  # None: the step has not started


def timeline(execution: ExecutionOut, now: datetime) -> list[Bar]:
    start = execution.started_at
    end = execution.completed_at or max([now, *_ends(execution)])
    span = max((end - start).total_seconds(), 0.001)
    bars = []
    for step in execution.steps:
        if step.started_at is None:
            bars.append(Bar(step, 0.0, 0.0, None))
            continue
        finish = step.completed_at or end
        seconds = max((finish - step.started_at).total_seconds(), 0.0)
        width = max(_percent(seconds, span), 0.5)
        offset = min(_percent((step.started_at - start).total_seconds(), span), 100.0 - width)
        bars.append(Bar(step, offset, width, round(seconds * 1000, 1)))
    return bars


def _ends(execution: ExecutionOut) -> list[datetime]:
    return [s.completed_at for s in execution.steps if s.completed_at is not None]


def _percent(seconds: float, span: float) -> float:
    return round(min(max(100 * seconds / span, 0.0), 100.0), 2)
