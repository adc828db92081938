"""Checks of what a provider states, run without its mock: its facts, its typed and documented
actions, its error table, a fixture for every action (check 2), and no HTTP client of its own
(check 12)."""

from __future__ import annotations

import ast
import pkgutil
from collections.abc import Iterator
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from interlink.testing.contract.cases import Case, fail
from interlink.testing.contract.choose import RECORD_HINT, http_provider
from interlink.transport.classify import Disposition

HTTP_CLIENTS = frozenset(
    {"aiohttp", "httpx", "requests", "urllib3", "http.client", "urllib.request"}
)
# What the provider's error table must make of the statuses that matter.
STATUS_DISPOSITIONS = {
    401: {Disposition.REFRESH_THEN_RETRY, Disposition.FAIL},
    403: {Disposition.FAIL, Disposition.RATE_LIMITED},
    429: {Disposition.RATE_LIMITED},
    500: {Disposition.RETRY},
    502: {Disposition.RETRY},
    503: {Disposition.RETRY},
}


async def facts(case: Case) -> None:
    """Its spec is complete, each action typed and documented, its credential check defined,
    and its error table covers 401, 403, 429 and 5xx as the transport needs."""
    provider, problems = case.provider, []
    spec = provider.spec
    if not (spec.name and spec.description):
        problems.append("the spec needs a name and a description")
    if spec.default_auth_method not in spec.auth_methods:
        problems.append(f"the default auth method {spec.default_auth_method} is not offered")
    if not provider.actions:
        problems.append("it has no action")
    for action in provider.actions.values():
        if not action.summary:
            problems.append(f"{action.name} has no docstring")
        for model in (action.input_model, action.output_model):
            if model.model_json_schema().get("type") != "object":
                problems.append(f"{action.name}: {model.__name__} is not an object model")
    if not provider.has_check():
        problems.append("it has no credential check (Connector.check_path or its own check)")
    for status, dispositions in STATUS_DISPOSITIONS.items():
        if (
            not provider.errors.covers(status)
            or provider.errors.verdict(status).disposition not in dispositions
        ):
            problems.append(f"its error table does not make {status} one of {sorted(dispositions)}")
    if problems:
        raise fail(f"{spec.type}: " + "; ".join(problems))


async def has_a_fixture(case: Case) -> None:
    """Every action has at least one recorded fixture."""
    provider, action = case.provider, case.the_action()
    http_provider(provider)  # skipped for one that does not speak HTTP: no exchanges to record
    if not any(fixture.action == action for fixture in provider.fixtures()):
        hint = RECORD_HINT.format(type=provider.spec.type).replace("ACTION", action)
        raise fail(f"{provider.spec.type}.{action} has no fixture; {hint}")


async def no_http_client(case: Case) -> None:
    """No module of the provider's package but its mocks imports an HTTP client library."""
    found = [
        f"{module} imports {name}"
        for module, path in _modules(case.provider.package())
        if not module.rpartition(".")[2].startswith("mock")
        for name in _imports(path)
        if name in HTTP_CLIENTS or name.split(".")[0] in HTTP_CLIENTS
    ]
    if found:
        raise fail(f"{case.provider.spec.type} opens its own HTTP client: " + "; ".join(found))


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    """Each module of `package` (or the module itself) with its source file."""
    module = import_module(package)
    origin = getattr(module, "__file__", None)
    if origin is not None and Path(origin).suffix == ".py":
        yield package, Path(origin)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=package + "."):
        spec = find_spec(info.name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            yield info.name, Path(spec.origin)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    names |= {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    return names
