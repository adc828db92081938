"""What a step gives the run: typed, and saved as JSON in the run's checkpoints (whose shape
stays as it is, so a run begun before an upgrade resumes after it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal


@dataclass(frozen=True)
class StepError:
    """Why a step failed: a code (`TEMPLATE_ERROR`, `STEP_TIMEOUT`, an operation's code...)."""

    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    retry_after: str | None = None  # the provider's hint (`Retry-After`), as it was given
    item: int | None = None  # the item of a foreach that failed

    @classmethod
    def of(
        cls,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> StepError:
        retry_after = (headers or {}).get("Retry-After") or None
        return cls(code, message, details or [], retry_after)

    def at_item(self, index: int) -> StepError:
        return replace(self, item=index)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"code": self.code, "message": self.message}
        found["details"] = self.details
        if self.retry_after:
            found["retry_after"] = self.retry_after
        if self.item is not None:
            found["item"] = self.item
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StepError:
        return cls(
            code=data["code"],
            message=data["message"],
            details=list(data.get("details") or []),
            retry_after=data.get("retry_after"),
            item=data.get("item"),
        )


@dataclass(frozen=True)
class Attempt:
    """One attempt of a step: its output, or its error. A step that goes on in the run after
    acting (a wait) carries when its wait ends, and the id of the wait for an event."""

    output: Any = None
    error: StepError | None = None
    deadline: float | None = None  # a timestamp
    wait_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, error: StepError) -> Attempt:
        return cls(error=error)

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"ok": False, "error": self.error.to_json()}
        found: dict[str, Any] = {"ok": True, "output": self.output}
        if self.deadline is not None:
            found["deadline"] = self.deadline
        if self.wait_id is not None:
            found["wait_id"] = self.wait_id
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attempt:
        if not data["ok"]:
            return cls.failed(StepError.from_json(data["error"]))
        return cls(data.get("output"), None, data.get("deadline"), data.get("wait_id"))


@dataclass(frozen=True)
class StepResult:
    """How a step ended in a run, after its attempts: what templates read as `steps.<name>`."""

    status: Literal["completed", "failed"]
    output: Any = None
    error: StepError | None = None

    @classmethod
    def of(cls, attempt: Attempt) -> StepResult:
        if attempt.error is not None:
            return cls("failed", None, attempt.error)
        return cls("completed", attempt.output)

    def to_json(self) -> dict[str, Any]:
        error = None if self.error is None else self.error.to_json()
        return {"status": self.status, "output": self.output, "error": error}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StepResult:
        if data.get("status") == "failed":
            return cls("failed", data.get("output"), StepError.from_json(data["error"]))
        return cls("completed", data.get("output"))


@dataclass(frozen=True)
class Plan:
    """What a run runs, fixed at its begin and saved as its checkpoint 0."""

    execution_id: str
    workspace_id: str
    workflow_id: str
    run: int
    input: Any
    definition: dict[str, Any]
    done: dict[str, StepResult]  # steps completed by earlier runs (a retry), with their outputs

    def to_json(self) -> dict[str, Any]:
        return {
            "execution_id": self.execution_id,
            "workspace_id": self.workspace_id,
            "workflow_id": self.workflow_id,
            "run": self.run,
            "input": self.input,
            "definition": self.definition,
            "done": {name: outcome.to_json() for name, outcome in self.done.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            execution_id=data["execution_id"],
            workspace_id=data["workspace_id"],
            workflow_id=data["workflow_id"],
            run=data["run"],
            input=data["input"],
            definition=data["definition"],
            done={name: StepResult.from_json(o) for name, o in (data.get("done") or {}).items()},
        )
