"""The checks of a definition at save time that need more than the definition: the syntax of its
templates and conditions (compiled in the sandbox) and what its steps name in the workspace
(integrations, their operations and parameters, credentials)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.core.errors import CredentialNotFound, IntegrationNotFound, InvalidRequest
from interlink.integrations.service import IntegrationService
from interlink.providers.registry import Registry
from interlink.vault.service import CredentialService
from interlink.workflows.definition import (
    Definition,
    Problem,
    StepSpec,
    output_field_problems,
    validate_definition,
    written_code,
)
from interlink.workflows.sandbox import Sandbox
from interlink.workflows.templates import TemplateFailure


class DefinitionChecks:
    def __init__(
        self,
        integrations: IntegrationService,
        credentials: CredentialService,
        registry: Registry,
        sandbox: Sandbox,
    ) -> None:
        self.integrations = integrations
        self.credentials = credentials
        self.registry = registry
        self.sandbox = sandbox

    async def check(
        self, session: AsyncSession, principal: Principal, definition: Definition
    ) -> None:
        """Raise `InvalidRequest` with every problem of `definition`, saved by `principal`."""
        problems = validate_definition(definition)
        problems.extend(await self._syntax_problems(definition))
        outputs: dict[str, frozenset[str]] = {}
        for spec in definition.steps:
            nested = spec.config.get("step") if spec.type == "foreach" else None
            targets: list[tuple[str, Mapping[str, Any], str]] = [(spec.type, spec.config, "config")]
            if isinstance(nested, Mapping):
                targets.append(
                    (str(nested.get("type")), nested.get("config") or {}, "config.step.config")
                )
            for type_, config, where in targets:
                found = await self._workspace_problems(
                    session, principal, spec, type_, config, where
                )
                problems.extend(found[0])
                if found[1] is not None and type_ == spec.type:
                    outputs[spec.name] = found[1]
        problems.extend(output_field_problems(definition, outputs))
        if problems:
            raise InvalidRequest("The workflow definition is not valid", details=problems)

    async def _syntax_problems(self, definition: Definition) -> list[Problem]:
        """Templates and conditions compiled in the sandbox (bounded, off the event loop)."""
        code = written_code(definition)
        try:
            faults = await self.sandbox.check([(kind, text) for _, _, kind, text in code])
        except TemplateFailure as exc:  # the whole check went past its bounds
            return [{"step": None, "field": "definition", "message": str(exc)}]
        return [
            _problem(step, field, f"{kind} syntax: {fault}")
            for (step, field, kind, _), fault in zip(code, faults, strict=True)
            if fault is not None
        ]

    async def _workspace_problems(
        self,
        session: AsyncSession,
        principal: Principal,
        spec: StepSpec,
        type_: str,
        config: Mapping[str, Any],
        where: str,
    ) -> tuple[list[Problem], frozenset[str] | None]:
        workspace_id = principal.workspace_id
        problems: list[Problem] = []
        if type_ == "http_request" and config.get("credential_id") is not None:
            problems.extend(
                await self._credential_problems(session, principal, spec, config, where)
            )
        integration_id = config.get("integration_id", config.get("integration"))
        if type_ != "action" or not _literal(integration_id):
            return problems, None
        try:
            row = await self.integrations.get(session, workspace_id, str(integration_id))
        except IntegrationNotFound:
            problems.append(
                _problem(
                    spec.name, f"{where}.integration_id", "no such integration in this workspace"
                )
            )
            return problems, None
        connector = self.registry.connector(row.type)
        operation = config.get("operation")
        action = connector.actions.get(str(operation)) if connector else None
        if action is None:
            known = ", ".join(sorted(connector.actions)) if connector else "none"
            problems.append(
                _problem(
                    spec.name,
                    f"{where}.operation",
                    f"the {row.type} integration has no operation `{operation}` (it has: {known})",
                )
            )
            return problems, None
        accepted = set(action.input_model.model_fields)
        for name in config.get("parameters") or {}:
            if name not in accepted:
                problems.append(
                    _problem(
                        spec.name,
                        f"{where}.parameters.{name}",
                        f"`{operation}` takes no parameter `{name}`",
                    )
                )
        return problems, frozenset(action.output_model.model_fields)  # fmt: skip

    async def _credential_problems(
        self,
        session: AsyncSession,
        principal: Principal,
        spec: StepSpec,
        config: Mapping[str, Any],
        where: str,
    ) -> list[Problem]:
        """A step that sends a credential needs `credentials:use`, and names it itself: a
        workflow's input (a webhook trigger's body) never chooses which credential is sent."""
        principal.require(Scope.CREDENTIALS_USE, "A step with a credential_id")
        credential_id = config["credential_id"]
        field = f"{where}.credential_id"
        if not _literal(credential_id):
            return [_problem(spec.name, field, "must be a credential id, not a template")]
        try:
            await self.credentials.get(session, principal.workspace_id, str(credential_id))
        except CredentialNotFound:
            return [_problem(spec.name, field, "no such credential in this workspace")]
        return []


def _literal(value: Any) -> bool:
    return isinstance(value, str) and "{{" not in value


def _problem(step: str, field: str, message: str) -> Problem:
    return {"step": step, "field": field, "message": message}
