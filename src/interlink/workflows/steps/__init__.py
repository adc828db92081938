"""The step types a workflow definition may use, by name: one behaviour object each."""

from __future__ import annotations

from typing import Any

from interlink.workflows.steps.action import Action
from interlink.workflows.steps.base import StepType
from interlink.workflows.steps.condition import Condition
from interlink.workflows.steps.delay import Delay
from interlink.workflows.steps.foreach import Foreach
from interlink.workflows.steps.http_request import HttpRequest
from interlink.workflows.steps.llm import Llm
from interlink.workflows.steps.set_values import SetValues
from interlink.workflows.steps.transform import Transform
from interlink.workflows.steps.wait_for_event import WaitForEvent


def _by_name(*types: StepType[Any]) -> dict[str, StepType[Any]]:
    return {t.name: t for t in types}


# What a foreach may run for each item: steps that finish in one go.
NESTABLE = _by_name(HttpRequest(), Action(), Llm(), Transform(), SetValues())
STEP_TYPES = _by_name(*NESTABLE.values(), Condition(), Delay(), Foreach(NESTABLE), WaitForEvent())
