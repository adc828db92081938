"""`interlink providers new`: a provider written from the scaffold works at once. A third-party
package written into a temporary folder is imported by its path, its action run against its mock
through the real transport (the direct interface) and the contract suite run on it; its code
passes ruff and mypy; a built-in is written into a checkout and registered in its builtin.py."""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from interlink.cli.main import app
from interlink.core.errors import AuthenticationFailed, ExternalResourceNotFound
from interlink.direct.generic import build
from interlink.providers.kit.action import Connector
from interlink.providers.scaffold import new_provider, record_fixtures
from interlink.testing import contract, serve_mock

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _new(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["providers", "new", *args, "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


@contextmanager
def _imported(folder: Path, package: str) -> Iterator[ModuleType]:
    """A third-party package imported by its path, forgotten afterwards."""
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


def test_a_third_party_provider_runs_its_action_against_its_mock(tmp_path: Path) -> None:
    summary = _new("acme_cli", "--into", str(tmp_path), "--base-url", "https://api.acme.test/v1")

    assert summary["package"] == "interlink_acme_cli"
    assert 'acme_cli = "interlink_acme_cli:PROVIDER"' in str(summary["entry_point"])
    assert "[project.entry-points" in (tmp_path / "pyproject.toml").read_text()
    with _imported(tmp_path, "interlink_acme_cli") as package:
        item = asyncio.run(_exercise(package.PROVIDER))
        fixtures = {fixture.name: fixture for fixture in package.PROVIDER.fixtures()}
        report = asyncio.run(contract.run_contract(package.PROVIDER))

    assert item == {"id": "item-1", "name": "The first item"}
    assert fixtures["get_item"].output == item  # recorded against the mock
    assert fixtures["get_item_missing"].error == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert report.ok, str(report)
    assert sorted(report.skipped) == [
        "acme_cli:webhook_signed_sample",
        "acme_cli:webhook_stale_sample",
    ]


async def _exercise(provider: type[Connector]) -> Any:
    """The example action through the direct interface: found, missing, and a wrong token."""
    configuration, integration, _ = build(provider, "AcmeCli")
    actions: Any = integration  # its methods are made from the actions
    mock: Any = provider.mock()
    async with serve_mock(mock()) as running:
        config = configuration(api_url=running.api_url, api_key=running.mock.token)
        async with actions(config) as acme:
            item = await acme.get_item(item_id="item-1")
            with pytest.raises(ExternalResourceNotFound):
                await acme.get_item(item_id="nothing")
        wrong = configuration(api_url=running.api_url, api_key="not-the-token")
        async with actions(wrong) as acme:
            with pytest.raises(AuthenticationFailed):
                await acme.get_item(item_id="item-1")
    async with contract.stage(provider, provider.fixtures()[0]) as staged:
        checked = await provider().check(staged.context())
    assert checked.message == "Authenticated as Mock User"
    return item


def _run(*command: str, cwd: Path | None = None) -> None:
    """One of the venv's tools (ruff, mypy) on the written code: it must pass."""
    done = subprocess.run(  # noqa: S603 - our own venv's tools
        [str(BIN / command[0]), *command[1:]], cwd=cwd, capture_output=True, text=True
    )
    assert done.returncode == 0, (command, done.stdout, done.stderr)


def test_every_auth_variant_passes_ruff_mypy_and_its_own_contract_test(tmp_path: Path) -> None:
    for key, auth in [("lint_key", "api_key"), ("lint_oauth", "oauth"), ("lint_basic", "basic")]:
        record_fixtures(new_provider(key, auth=auth, into=tmp_path))  # type: ignore[arg-type]
    packages = ["interlink_lint_key", "interlink_lint_oauth", "interlink_lint_basic"]

    _run("ruff", "check", ".", cwd=tmp_path)
    _run("ruff", "format", "--check", ".", cwd=tmp_path)
    _run("mypy", *packages, "tests", cwd=tmp_path)
    _run("pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)  # its own contract test
    for package in packages:
        with _imported(tmp_path, package) as module:
            report = asyncio.run(contract.run_contract(module.PROVIDER))
        assert report.ok, str(report)


def test_a_built_in_is_written_into_the_checkout_and_registered(tmp_path: Path) -> None:
    providers = tmp_path / "src" / "interlink" / "providers"
    providers.mkdir(parents=True)
    builtin = (ROOT / "src/interlink/providers/builtin.py").read_text()
    (providers / "builtin.py").write_text(builtin)

    written = new_provider("acme_builtin", name="Acme Built In", checkout=tmp_path)

    tree = ast.parse((providers / "builtin.py").read_text())
    [names] = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)]
    assert names[-1] == "acme_builtin"
    assert written.folder == providers / "acme_builtin"
    init = (written.folder / "__init__.py").read_text()
    assert "from interlink.providers.acme_builtin.provider import AcmeBuiltInConnector" in init
    config = str(ROOT / "pyproject.toml")
    _run("ruff", "check", "--config", config, str(written.folder))
    _run("ruff", "format", "--check", "--config", config, str(written.folder))


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["Acme"], "not a valid provider type"),
        (["github"], "already has a provider"),
        (["kit"], "a module of interlink.providers"),
        (["acme", "--base-url", "ftp://acme.test"], "absolute http(s) URL"),
        (["acme", "--name", "Acme!"], "not a usable display name"),
    ],
)
def test_what_cannot_be_written_is_refused_clearly(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(app, ["providers", "new", *args, "--into", str(tmp_path)])

    assert result.exit_code == 2
    assert says in result.stderr
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "interlink_acme").mkdir()

    result = CliRunner().invoke(app, ["providers", "new", "acme", "--into", str(tmp_path)])

    assert result.exit_code == 2
    assert "already exists" in result.stderr
