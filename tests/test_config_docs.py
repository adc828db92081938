"""docs/configuration.md keeps up with the settings classes: its quick-reference table lists every
`INTERLINK_*` variable the settings read, with the default the code has, and no table of the page
names a variable that no setting reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from interlink.config import Settings

CONFIGURATION_MD = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
ROW = re.compile(r"^\|\s*`(INTERLINK_[A-Z0-9_]+)`\s*\|(.*)$")
QUICK_REFERENCE = "## Quick reference"


def _variables() -> dict[str, Any]:
    """Every variable the settings read, with its default: each group of `Settings` is a settings
    class of its own whose prefix, followed by a field's name, is the variable."""
    variables: dict[str, Any] = {}
    for group in Settings.model_fields.values():
        group_class = group.annotation
        assert isinstance(group_class, type)
        assert issubclass(group_class, BaseSettings)
        variables.update(_group_variables(group_class))
    return variables


def _group_variables(group_class: type[BaseSettings]) -> dict[str, Any]:
    """A group's variables, and those of the groups nested in it (`settings.sso.oidc`)."""
    variables: dict[str, Any] = {}
    prefix = group_class.model_config.get("env_prefix", "")
    for name, field in group_class.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            variables.update(_group_variables(nested))
            continue
        variables[f"{prefix}{name}".upper()] = field.get_default(call_default_factory=True)
    return variables


def _rows(text: str) -> dict[str, list[str]]:
    """The table rows of `text` that start with a variable, as {variable: the other cells}."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if match:
            cells = [cell.strip() for cell in match.group(2).strip().strip("|").split(" | ")]
            rows[match.group(1)] = cells
    return rows


def _quick_reference() -> dict[str, list[str]]:
    text = CONFIGURATION_MD.read_text(encoding="utf-8")
    section = text.split(QUICK_REFERENCE, 1)[1].split("\n## ", 1)[0]
    return _rows(section)


def _documents(default: Any, cell: str) -> bool:
    """Whether the default column `cell` states `default`: `unset...` for None, else its first
    code span, read as the type of the default."""
    if default is None:
        return cell.startswith("unset")
    spans = re.findall(r"`([^`]*)`", cell)
    if not spans:
        return False
    shown: str = spans[0]
    if isinstance(default, bool):
        return shown == str(default).lower()
    if isinstance(default, int | float):
        return float(shown) == default
    if isinstance(default, list | dict):
        return bool(json.loads(shown) == default)
    return shown == str(default)


def test_the_quick_reference_lists_every_setting() -> None:
    documented, variables = _quick_reference(), _variables()

    assert sorted(set(variables) - set(documented)) == [], "settings missing from the table"


def test_the_quick_reference_gives_each_setting_its_default() -> None:
    documented = _quick_reference()

    wrong = {
        name: (documented[name][1], default)
        for name, default in _variables().items()
        if name in documented and not _documents(default, documented[name][1])
    }
    assert wrong == {}, "documented default, actual default"


def test_no_table_of_the_page_names_a_variable_that_no_setting_reads() -> None:
    rows = _rows(CONFIGURATION_MD.read_text(encoding="utf-8"))

    assert sorted(set(rows) - set(_variables())) == []
