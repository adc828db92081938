"""Workflows and their executions: WorkflowClient and its async twin.

`execute` starts an execution (status `pending`); `wait_for_execution` polls it until it is
completed, failed or cancelled (on the client's clock and sleep, so tests never wait);
`execute_workflow` does both.
"""

from __future__ import annotations

from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.errors import ExecutionTimeout
from interlink.sdk.models import Deleted, Execution, ExecutionStarted, Workflow
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/workflows"
EXECUTIONS = "/executions"
DEFAULT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 1.0


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _dumped(value: Any) -> Any:
    return (
        value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value
    )


def _timed_out(execution: Execution, timeout: float) -> ExecutionTimeout:
    return ExecutionTimeout(
        f"Execution {execution.id} is still {execution.status} after {timeout:g} seconds"
    )


def _execution(data: Any) -> Execution:
    """An execution; an answer that names it `execution_id` (a retry's new run) reads too."""
    if isinstance(data, dict) and "id" not in data and "execution_id" in data:
        data = {**data, "id": data["execution_id"]}
    return Execution.model_validate(data)


class calls:
    @staticmethod
    def create(body: dict[str, Any]) -> Call[Workflow]:
        return Call("POST", PATH, Workflow.model_validate, json=body)

    @staticmethod
    def get(workflow_id: str) -> Call[Workflow]:
        return Call("GET", f"{PATH}/{workflow_id}", Workflow.model_validate)

    @staticmethod
    def list(page_size: int) -> PageCall[Workflow]:
        return PageCall(PATH, Workflow, {"page_size": page_size})

    @staticmethod
    def update(workflow_id: str, changes: dict[str, Any]) -> Call[Workflow]:
        return Call("PATCH", f"{PATH}/{workflow_id}", Workflow.model_validate, json=changes)

    @staticmethod
    def delete(workflow_id: str) -> Call[Deleted]:
        return Call("DELETE", f"{PATH}/{workflow_id}", Deleted.model_validate)

    @staticmethod
    def execute(workflow_id: str, input_data: dict[str, Any] | None) -> Call[ExecutionStarted]:
        path, body = f"{PATH}/{workflow_id}/execute", {"input": input_data or {}}
        return Call("POST", path, ExecutionStarted.model_validate, json=body)

    @staticmethod
    def execution(execution_id: str) -> Call[Execution]:
        return Call("GET", f"{EXECUTIONS}/{execution_id}", Execution.model_validate)

    @staticmethod
    def executions(workflow_id: str | None, page_size: int, **filters: Any) -> PageCall[Execution]:
        path = f"{PATH}/{workflow_id}/executions" if workflow_id else EXECUTIONS
        return PageCall(path, Execution, {"page_size": page_size, **filters})

    @staticmethod
    def action(execution_id: str, action: str) -> Call[Execution]:
        path, body = f"{EXECUTIONS}/{execution_id}", {"action": action}
        return Call("POST", path, _execution, json=body)


class WorkflowClient(SyncResource):
    """Define workflows, start executions, follow, cancel and retry them."""

    def create_workflow(self, name: str, definition: Any, **fields: Any) -> Workflow:
        """`definition` is `{"steps": [...]}` (or a WorkflowDefinition); fields: description,
        is_public, enabled, triggers."""
        body = {"name": name, "definition": _dumped(definition), **_given(**fields)}
        return self._http.run(calls.create(body))

    def get_workflow(self, workflow_id: str) -> Workflow:
        return self._http.run(calls.get(workflow_id))

    def list_workflows(self, *, page: int = 1, page_size: int = 10) -> SyncPager[Workflow]:
        return SyncPager.fetch(self._http, calls.list(page_size), page)

    def update_workflow(self, workflow_id: str, **changes: Any) -> Workflow:
        """Change the fields given (name, description, definition, is_public, enabled...)."""
        body = {k: _dumped(v) for k, v in _given(**changes).items()}
        return self._http.run(calls.update(workflow_id, body))

    def delete_workflow(self, workflow_id: str) -> Deleted:
        return self._http.run(calls.delete(workflow_id))

    def execute(
        self, workflow_id: str, input_data: dict[str, Any] | None = None
    ) -> ExecutionStarted:
        return self._http.run(calls.execute(workflow_id, input_data))

    def execute_workflow(
        self,
        workflow_id: str,
        input_data: dict[str, Any] | None = None,
        *,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> Execution:
        """Start an execution and return it (when `wait`, once it has finished)."""
        started = self.execute(workflow_id, input_data)
        if wait:
            return self.wait_for_execution(started.execution_id, timeout, poll_interval)
        return self.get_execution(started.execution_id)

    def get_execution(self, execution_id: str) -> Execution:
        return self._http.run(calls.execution(execution_id))

    def list_executions(
        self,
        workflow_id: str | None = None,
        *,
        status: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> SyncPager[Execution]:
        call = calls.executions(workflow_id, page_size, **_given(status=status))
        return SyncPager.fetch(self._http, call, page)

    def cancel_execution(self, execution_id: str) -> Execution:
        return self._http.run(calls.action(execution_id, "cancel"))

    def retry_execution(self, execution_id: str) -> Execution:
        return self._http.run(calls.action(execution_id, "retry"))

    def wait_for_execution(
        self,
        execution_id: str,
        timeout: float = DEFAULT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> Execution:
        """Poll until the execution finishes; ExecutionTimeout after `timeout` seconds."""
        deadline = self._http.clock() + timeout
        execution = self.get_execution(execution_id)
        while not execution.finished:
            if self._http.clock() >= deadline:
                raise _timed_out(execution, timeout)
            self._http.sleep(poll_interval)
            execution = self.get_execution(execution_id)
        return execution


class AsyncWorkflowClient(AsyncResource):
    """The asynchronous twin of WorkflowClient."""

    async def create_workflow(self, name: str, definition: Any, **fields: Any) -> Workflow:
        """`definition` is `{"steps": [...]}` (or a WorkflowDefinition); fields: description,
        is_public, enabled, triggers."""
        body = {"name": name, "definition": _dumped(definition), **_given(**fields)}
        return await self._http.run(calls.create(body))

    async def get_workflow(self, workflow_id: str) -> Workflow:
        return await self._http.run(calls.get(workflow_id))

    async def list_workflows(self, *, page: int = 1, page_size: int = 10) -> AsyncPager[Workflow]:
        return await AsyncPager.fetch(self._http, calls.list(page_size), page)

    async def update_workflow(self, workflow_id: str, **changes: Any) -> Workflow:
        """Change the fields given (name, description, definition, is_public, enabled...)."""
        body = {k: _dumped(v) for k, v in _given(**changes).items()}
        return await self._http.run(calls.update(workflow_id, body))

    async def delete_workflow(self, workflow_id: str) -> Deleted:
        return await self._http.run(calls.delete(workflow_id))

    async def execute(
        self, workflow_id: str, input_data: dict[str, Any] | None = None
    ) -> ExecutionStarted:
        return await self._http.run(calls.execute(workflow_id, input_data))

    async def execute_workflow(
        self,
        workflow_id: str,
        input_data: dict[str, Any] | None = None,
        *,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the sync twin's signature
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> Execution:
        """Start an execution and return it (when `wait`, once it has finished)."""
        started = await self.execute(workflow_id, input_data)
        if wait:
            return await self.wait_for_execution(started.execution_id, timeout, poll_interval)
        return await self.get_execution(started.execution_id)

    async def get_execution(self, execution_id: str) -> Execution:
        return await self._http.run(calls.execution(execution_id))

    async def list_executions(
        self,
        workflow_id: str | None = None,
        *,
        status: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> AsyncPager[Execution]:
        call = calls.executions(workflow_id, page_size, **_given(status=status))
        return await AsyncPager.fetch(self._http, call, page)

    async def cancel_execution(self, execution_id: str) -> Execution:
        return await self._http.run(calls.action(execution_id, "cancel"))

    async def retry_execution(self, execution_id: str) -> Execution:
        return await self._http.run(calls.action(execution_id, "retry"))

    async def wait_for_execution(
        self,
        execution_id: str,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the sync twin's signature
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> Execution:
        """Poll until the execution finishes; ExecutionTimeout after `timeout` seconds."""
        deadline = self._http.clock() + timeout
        execution = await self.get_execution(execution_id)
        while not execution.finished:
            if self._http.clock() >= deadline:
                raise _timed_out(execution, timeout)
            await self._http.sleep(poll_interval)
            execution = await self.get_execution(execution_id)
        return execution
