"""The checks of a definition at save time that need more than the definition: the syntax of its
templates and conditions (compiled in the sandbox), and what its steps name in the workspace
(each step type's `workspace_problems`, looking up through `SavingWorkspace`)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.core.errors import CredentialNotFound, IntegrationNotFound, InvalidRequest
from interlink.integrations.service import IntegrationService
from interlink.providers.registry import Registry
from interlink.vault.service import CredentialService
from interlink.workflows.definition import (
    Definition,
    output_field_problems,
    validate_definition,
    written_code,
)
from interlink.workflows.problems import Problem, problem
from interlink.workflows.sandbox import Sandbox
from interlink.workflows.steps import STEP_TYPES
from interlink.workflows.steps.base import ActionShape, IntegrationActions
from interlink.workflows.templates import TemplateFailure


class Routes(Protocol):
    """The workspace's AI routes, by name (`interlink.ai.routes.service.RouteService`)."""

    async def current(self, workspace_id: str, name: str) -> object | None: ...


class SavingWorkspace:
    """The workspace of the principal saving a definition, as step types' checks see it."""

    def __init__(self, checks: DefinitionChecks, session: AsyncSession, principal: Principal):
        self.checks = checks
        self.session = session
        self.principal = principal

    def require_credentials_use(self, what: str) -> None:
        self.principal.require(Scope.CREDENTIALS_USE, what)

    async def has_credential(self, credential_id: str) -> bool:
        workspace_id = self.principal.workspace_id
        try:
            await self.checks.credentials.get(self.session, workspace_id, credential_id)
        except CredentialNotFound:
            return False
        return True

    async def integration(self, integration_id: str) -> IntegrationActions | None:
        workspace_id = self.principal.workspace_id
        try:
            row = await self.checks.integrations.get(self.session, workspace_id, integration_id)
        except IntegrationNotFound:
            return None
        registry = self.checks.registry
        connector = await registry.connector_of(
            row.type, workspace_id, row.configuration, self.session
        )
        actions = connector.actions if connector is not None else {}
        shapes = {
            name: ActionShape(action.parameter_names, action.result_fields)
            for name, action in actions.items()
        }
        return IntegrationActions(row.type, shapes)

    async def has_route(self, name: str) -> bool:
        routes = self.checks.routes
        if routes is None:
            return False
        return await routes.current(self.principal.workspace_id, name) is not None


class DefinitionChecks:
    def __init__(
        self,
        integrations: IntegrationService,
        credentials: CredentialService,
        registry: Registry,
        sandbox: Sandbox,
        routes: Routes | None = None,
    ) -> None:
        self.integrations = integrations
        self.credentials = credentials
        self.registry = registry
        self.sandbox = sandbox
        self.routes = routes

    async def check(
        self, session: AsyncSession, principal: Principal, definition: Definition
    ) -> None:
        """Raise `InvalidRequest` with every problem of `definition`, saved by `principal`."""
        problems = validate_definition(definition)
        problems.extend(await self._syntax_problems(definition))
        workspace = SavingWorkspace(self, session, principal)
        outputs: dict[str, frozenset[str]] = {}
        for spec in definition.steps:
            step_type = STEP_TYPES.get(spec.type)
            if step_type is None:
                continue
            found = await step_type.workspace_problems(spec.name, spec.config, "config", workspace)
            problems.extend(found.problems)
            if found.outputs is not None:
                outputs[spec.name] = found.outputs
        problems.extend(output_field_problems(definition, outputs))
        if problems:
            raise InvalidRequest("The workflow definition is not valid", details=problems)

    async def _syntax_problems(self, definition: Definition) -> list[Problem]:
        """Templates and conditions compiled in the sandbox (bounded, off the event loop)."""
        code = written_code(definition)
        try:
            faults = await self.sandbox.check([(kind, text) for _, _, kind, text in code])
        except TemplateFailure as exc:  # the whole check went past its bounds
            return [problem(None, "definition", str(exc))]
        return [
            problem(step, field, f"{kind} syntax: {fault}")
            for (step, field, kind, _), fault in zip(code, faults, strict=True)
            if fault is not None
        ]
