"""An `llm` step's checks against the workspace when its definition is saved: the integration
named answers `chat`, the route named exists, and each tool names an integration that has its
operation (each when written as it is, not as a template)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlink.workflows.problems import Problem, is_literal, problem
from interlink.workflows.steps.base import Workspace
from interlink.workflows.steps.llm.calls import CHAT


async def llm_problems(
    step: str, config: Mapping[str, Any], where: str, workspace: Workspace
) -> list[Problem]:
    found = await _target_problems(step, config, where, workspace)
    tools = config.get("tools")
    if isinstance(tools, list) and tools and where != "config":
        return [*found, problem(step, f"{where}.tools", "a foreach's llm step takes no tools")]
    for index, tool in enumerate(tools if isinstance(tools, list) else []):
        if isinstance(tool, Mapping):
            found += await _tool_problems(step, tool, f"{where}.tools.{index}", workspace)
    return found


async def _target_problems(
    step: str, config: Mapping[str, Any], where: str, workspace: Workspace
) -> list[Problem]:
    route = config.get("route")
    if is_literal(route) and not await workspace.has_route(str(route)):
        return [problem(step, f"{where}.route", f"no AI route named {route!r} in this workspace")]
    integration_id = config.get("integration_id", config.get("integration"))
    if not is_literal(integration_id):
        return []
    found = await workspace.integration(str(integration_id))
    if found is None:
        return [problem(step, f"{where}.integration_id", "no such integration in this workspace")]
    if CHAT not in found.actions:
        message = f"a {found.type} integration is not a language model (it has no `chat`)"
        return [problem(step, f"{where}.integration_id", message)]
    return []


async def _tool_problems(
    step: str, tool: Mapping[str, Any], where: str, workspace: Workspace
) -> list[Problem]:
    integration_id = tool.get("integration_id", tool.get("integration"))
    if not is_literal(integration_id):
        return []
    found = await workspace.integration(str(integration_id))
    if found is None:
        message = f"no integration {integration_id!r} in this workspace"
        return [problem(step, f"{where}.integration_id", message)]
    action_name = tool.get("action", tool.get("operation"))
    action = found.actions.get(str(action_name))
    if action is None:
        known = ", ".join(sorted(found.actions)) or "none"
        message = f"the {found.type} integration has no operation `{action_name}` (it has: {known})"
        return [problem(step, f"{where}.action", message)]
    return [
        problem(step, f"{where}.parameters.{name}", f"`{action_name}` takes no parameter `{name}`")
        for name in tool.get("parameters") or {}
        if name not in action.inputs
    ]
