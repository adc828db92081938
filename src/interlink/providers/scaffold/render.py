"""The new provider's files, from the templates beside this module (`templates/*.tmpl`, plain
`string.Template` text). What differs by auth method is the mock's rule for the `Authorization`
header; what differs between a built-in and a third-party package is the package path and so
how the imports group (ruff's isort order). tests/cli/test_providers.py renders every variant
and runs ruff, mypy and the contract on them."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib.resources import files
from string import Template

from interlink.providers.scaffold.naming import NewProvider, ScaffoldAuth


@dataclass(frozen=True)
class MockAuth:
    """How the generated mock checks a request's credentials (with `interlink.testing.toolkit`)."""

    reader: str  # the toolkit's function that reads them
    credential: str  # how it is called, as a Python expression
    accepted: str  # the credential let in, as a Python expression
    rule: str  # the rule in words, for the mock's docstring


_BEARER = 'authorization("Bearer")'
_MOCK_AUTH: dict[ScaffoldAuth, MockAuth] = {
    "api_key": MockAuth("authorization", _BEARER, "self.token", "`Authorization: Bearer <token>`"),
    "oauth": MockAuth(
        "authorization", _BEARER, "self.token", "`Authorization: Bearer <access token>`"
    ),
    # The username is the one `MockUpstream.integration_credentials` gives for basic auth.
    "basic": MockAuth(
        "basic",
        "basic()",
        'f"mock:{self.token}"',
        "basic auth as the user `mock`, with the token as the password",
    ),
}
MODULES = ("__init__.py", "provider.py", "mock.py")
LINE_LENGTH = 100  # ruff's, here and in the pyproject.toml of a third-party package


def template(name: str) -> Template:
    folder = files("interlink.providers.scaffold").joinpath("templates")
    return Template(folder.joinpath(f"{name}.tmpl").read_text(encoding="utf-8"))


def values(new: NewProvider) -> dict[str, str]:
    auth = _MOCK_AUTH[new.auth]
    if new.base_url:
        api_url_fact = f'default_api_url="{new.base_url}",'
    else:
        api_url_fact = "needs_api_url=True,  # no well-known base URL: each integration gives one"
    plain_prefix = new.name.replace(" ", "")
    direct_name = "" if plain_prefix == new.prefix else f'    direct_name = "{new.prefix}"\n'
    return {
        "key": new.key,
        "name": new.name,
        "package": new.package,
        "prefix": new.prefix,
        "auth": new.auth,
        "api_url_fact": api_url_fact,
        "direct_name": direct_name,
        "api_root": new.api_root,
        "token": f"mock-{new.key.replace('_', '-')}-token",
        "credential_reader": auth.reader,
        "credential": auth.credential,
        "accepted": auth.accepted,
        "credential_rule": auth.rule,
    }


def module(name: str, new: NewProvider) -> str:
    """One module of the provider's folder, its imports grouped for where it lives."""
    text = template(name).substitute(values(new))
    return regroup_imports(text, new.package.split(".")[0])


def contract_test(new: NewProvider) -> str:
    """A third-party package's test that runs the contract suite on its provider."""
    text = template("test_contract.py").substitute(package=new.package)
    return regroup_imports(text, new.package)


def fixture_specs(new: NewProvider) -> dict[str, str]:
    """The example action's fixtures as specs (what to run): recording fills in the rest."""
    specs = {
        "get_item": {
            "action": "get_item",
            "description": "an item that exists",
            "parameters": {"item_id": "item-1"},
        },
        "get_item_missing": {
            "action": "get_item",
            "description": "an item that does not exist is EXTERNAL_RESOURCE_NOT_FOUND",
            "parameters": {"item_id": "no-such-item"},
        },
    }
    return {name: json.dumps(spec, indent=2) + "\n" for name, spec in specs.items()}


def entry_point(new: NewProvider) -> str:
    """The pyproject.toml tables that make a third-party package's provider found and its
    fixtures shipped."""
    return (
        '[project.entry-points."interlink.connectors"]\n'
        f'{new.key} = "{new.package}:PROVIDER"\n'
        "\n"
        "[tool.setuptools.package-data]\n"
        f'{new.package} = ["fixtures/*.json"]\n'
    )


def pyproject(new: NewProvider) -> str:
    return template("pyproject.toml").substitute(
        distribution=new.package.replace("_", "-"),
        name=new.name,
        package=new.package,
        entry_point=entry_point(new).rstrip("\n"),
    )


def regroup_imports(source: str, first_party: str) -> str:
    """The single-line imports after `from __future__ import annotations` grouped as ruff's isort
    groups them: the standard library, third-party packages, then `first_party`."""
    lines = source.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("from __future__")) + 1
    end = start
    while end < len(lines) and (_is_import(lines[end]) or not lines[end].strip()):
        end += 1
    while not lines[end - 1].strip():  # the blank lines after the imports stay as they are
        end -= 1
    sections: list[list[str]] = [[], [], []]
    for line in filter(str.strip, lines[start:end]):
        top = line.split()[1].split(".")[0]
        sections[0 if top in sys.stdlib_module_names else 2 if top == first_party else 1] += [line]
    grouped = [
        "".join(map(_wrapped, sorted(section, key=_import_order)))
        for section in sections
        if section
    ]
    return "".join(lines[:start]) + "\n" + "\n".join(grouped) + "".join(lines[end:])


def _wrapped(line: str) -> str:
    """`from a import B, C` one name a line in parentheses when it is too long for one line."""
    if len(line.rstrip("\n")) <= LINE_LENGTH:
        return line
    head, _, names = line.rstrip("\n").partition(" import ")
    return head + " import (\n" + "".join(f"    {n.strip()},\n" for n in names.split(",")) + ")\n"


def _import_order(line: str) -> tuple[bool, str]:
    """`import a` before `from a import b`, each by module name."""
    return line.startswith("from "), line.split()[1].lower()


def _is_import(line: str) -> bool:
    return line.startswith(("import ", "from "))
