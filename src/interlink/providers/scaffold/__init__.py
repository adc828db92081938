"""`interlink providers new KEY`: a new provider's folder with one working example action, its
mock and its recorded fixtures, and where it is registered.

A built-in goes into `src/interlink/providers/<key>/` of the source checkout this Interlink
runs from, and its type into `BUILTIN_PROVIDERS` (builtin.py). A third-party provider goes into
`<DIR>/interlink_<key>/`, with a `pyproject.toml` whose `interlink.connectors` entry point names
it and a `tests/test_contract.py` running the contract suite on it (each written when DIR has
none). Either way its fixtures are then recorded against
its mock through the real transport, as the contract suite replays them.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from interlink.providers.kit.action import Connector
from interlink.providers.registry import Registry, default_registry
from interlink.providers.scaffold.naming import (
    SCAFFOLD_AUTHS,
    NewProvider,
    ScaffoldAuth,
    ScaffoldError,
    check_base_url,
    check_key,
    check_name,
    default_name,
)
from interlink.providers.scaffold.render import (
    MODULES,
    contract_test,
    entry_point,
    fixture_specs,
    module,
    pyproject,
)
from interlink.testing.contract.recorder import record, write

__all__ = [
    "SCAFFOLD_AUTHS",
    "NewProvider",
    "ScaffoldAuth",
    "ScaffoldError",
    "Written",
    "new_provider",
    "record_fixtures",
    "source_checkout",
]


@dataclass(frozen=True)
class Written:
    """What `new_provider` wrote, and where the provider is registered."""

    new: NewProvider
    folder: Path
    files: list[Path]
    registered_in: Path | None = None  # builtin.py, for a built-in
    pyproject: Path | None = None  # a pyproject.toml written for a third-party package
    entry_point: str | None = None  # the pyproject.toml tables of a third-party package

    @property
    def root(self) -> Path:
        """The folder the provider's package is imported from."""
        return self.folder.parents[len(self.new.package.split(".")) - 1]


def source_checkout() -> Path | None:
    """The checkout this Interlink runs from (`<root>/src/interlink` beside
    `<root>/pyproject.toml`), or None for an installed one."""
    package = Path(__file__).resolve().parents[2]
    root = package.parent.parent
    if package.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def new_provider(
    key: str,
    *,
    name: str | None = None,
    base_url: str | None = None,
    auth: ScaffoldAuth = "api_key",
    into: Path | None = None,
    checkout: Path | None = None,
    registry: Registry | None = None,
) -> Written:
    """Writes the provider's folder: a built-in in `checkout` (the source checkout by default)
    registered in its builtin.py, or with `into` a third-party package in that folder."""
    check_key(key, registry or default_registry())
    display, url = check_name(name or default_name(key)), check_base_url(base_url)
    if into is not None:
        new = NewProvider(key, display, url, auth, f"interlink_{key}")
        return _third_party(new, into.resolve())
    root = checkout or source_checkout()
    if root is None:
        raise ScaffoldError(
            "this Interlink is not run from a source checkout (src/interlink beside a "
            "pyproject.toml), so a built-in cannot be added: give --into DIR to write a "
            "third-party provider package"
        )
    new = NewProvider(key, display, url, auth, f"interlink.providers.{key}")
    providers = root / "src" / "interlink" / "providers"
    folder, files = _write_folder(new, providers / key)
    return Written(new, folder, files, registered_in=_register(providers / "builtin.py", key))


def _third_party(new: NewProvider, into: Path) -> Written:
    """The package's folder; its pyproject.toml and a test running the contract suite on it
    where DIR has none yet."""
    folder, files = _write_folder(new, into / new.package)
    target, test = into / "pyproject.toml", into / "tests" / "test_contract.py"
    written = None
    if not target.exists():
        target.write_text(pyproject(new), encoding="utf-8")
        written = target
    if not test.exists():
        test.parent.mkdir(exist_ok=True)
        test.write_text(contract_test(new), encoding="utf-8")
        files.append(test)
    return Written(new, folder, files, pyproject=written, entry_point=entry_point(new))


def _write_folder(new: NewProvider, folder: Path) -> tuple[Path, list[Path]]:
    if folder.exists() or folder.with_suffix(".py").exists():
        raise ScaffoldError(f"{folder} already exists: choose another type or remove it")
    (folder / "fixtures").mkdir(parents=True)
    files = []
    for name in MODULES:
        files.append(folder / name)
        files[-1].write_text(module(name, new), encoding="utf-8")
    for name, spec in fixture_specs(new).items():
        files.append(folder / "fixtures" / f"{name}.json")
        files[-1].write_text(spec, encoding="utf-8")
    return folder, files


def _register(builtin: Path, key: str) -> Path:
    """Adds `key` as the last entry of BUILTIN_PROVIDERS."""
    text = builtin.read_text(encoding="utf-8")
    start = text.find("BUILTIN_PROVIDERS = (\n")
    end = text.find("\n)", start)
    if start < 0 or end < 0:
        raise ScaffoldError(f'add "{key}", to BUILTIN_PROVIDERS in {builtin} by hand')
    updated = f'{text[: end + 1]}    "{key}",{text[end:]}'
    tree = ast.parse(updated)
    assigned = [n.value for n in tree.body if isinstance(n, ast.Assign)]
    if not any(key in ast.literal_eval(value) for value in assigned):
        raise ScaffoldError(f'add "{key}", to BUILTIN_PROVIDERS in {builtin} by hand')
    builtin.write_text(updated, encoding="utf-8")
    return builtin


def record_fixtures(written: Written) -> list[Path]:
    """Records each fixture the folder holds against the new provider's mock (its spec gets its
    exchanges and output) and writes it back; returns the files."""
    with _imported(written) as provider:
        return asyncio.run(_record(provider))


async def _record(provider: type[Connector]) -> list[Path]:
    return [write(provider, await record(provider, spec)) for spec in provider.fixtures()]


@contextmanager
def _imported(written: Written) -> Iterator[type[Connector]]:
    """The new provider's class, imported from where it was written; a third-party package by
    its path, and forgotten afterwards (so a later one of the same name is read afresh)."""
    package, third_party = written.new.package, written.registered_in is None
    importlib.invalidate_caches()
    if third_party:
        sys.path.insert(0, str(written.root))
    try:
        yield importlib.import_module(package).PROVIDER
    finally:
        if third_party:
            sys.path.remove(str(written.root))
            for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
                del sys.modules[name]
