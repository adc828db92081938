"""`interlink custom-providers` against a live server: a YAML declaration applied twice (two
versions), listed, shown at an older version, refused with every problem, and deleted."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from interlink.providers.custom.sample import SAMPLE
from tests.cli.conftest import Cli


def test_apply_list_show_and_delete(cli: Cli, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(SAMPLE))
    changed = copy.deepcopy(SAMPLE)
    changed["actions"]["get_item"]["result"] = "{title: name}"
    second = tmp_path / "acme-2.json"
    second.write_text(json.dumps(changed))

    first = cli.json("custom-providers", "apply", str(path))
    again = cli.json("custom-providers", "apply", str(second))
    listed = cli.json("custom-providers", "list")
    older = cli.json("custom-providers", "show", "acme", "--version", "1")
    table = cli.ok("custom-providers", "show", "acme").stdout
    deleted = cli.json("custom-providers", "delete", "acme", "--yes")
    gone = cli.run("custom-providers", "show", "acme")

    assert (first["version"], again["version"]) == (1, 2)
    assert [(p["key"], p["version"]) for p in listed] == [("acme", 2)]
    assert (
        older["declaration"]["actions"]["get_item"]["result"]
        == SAMPLE["actions"]["get_item"]["result"]
    )
    assert "get_item" in table
    assert deleted == {"key": "acme", "deleted": True}
    assert gone.exit_code != 0
    assert "NOT_FOUND" in gone.stderr


def test_a_bad_declaration_is_refused_with_each_problem(cli: Cli, tmp_path: Path) -> None:
    bad = {**copy.deepcopy(SAMPLE), "base_url": "not a url"}
    bad["actions"]["get_item"]["result"] = "name["
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))

    result = cli.run("custom-providers", "apply", str(path))

    assert result.exit_code != 0
    assert "INVALID_DECLARATION" in result.stderr
    assert "base_url" in result.stderr
    assert "actions.get_item.result" in result.stderr
