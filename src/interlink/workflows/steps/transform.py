"""`transform`: reshape data with a JMESPath expression or a template (no code runs)."""

from __future__ import annotations

from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import Field, model_validator

from interlink.workflows.steps.base import StepConfig, StepFailed, StepRun, StepType
from interlink.workflows.templates import TemplateFailure, plain


class TransformConfig(StepConfig):
    jmespath: str | None = Field(None, min_length=1, max_length=10_000)
    template: Any = None  # any JSON value; its strings are templates (rendered before the run)

    @model_validator(mode="after")
    def _one_way(self) -> TransformConfig:
        if (self.jmespath is None) == (self.template is None):
            raise ValueError("give exactly one of `jmespath` and `template`")
        if self.jmespath is not None:
            try:
                jmespath.compile(self.jmespath)
            except JMESPathError as exc:
                raise ValueError(f"`jmespath` is not valid: {exc}") from None
            except RecursionError:  # its parser recurses once per level of nesting
                raise ValueError("`jmespath` nests too deeply") from None
        return self


class Transform(StepType[TransformConfig]):
    name = "transform"
    config = TransformConfig
    summary = "Reshape data"
    shown = None

    async def run(self, step: StepRun, config: TransformConfig) -> Any:
        if config.jmespath is None:
            return config.template
        try:
            return await step.tools.expressions.search(config.jmespath, plain(step.context))
        except TemplateFailure as exc:
            raise StepFailed("TRANSFORM_ERROR", str(exc)) from None
