"""The fixture recorder: `python -m interlink.testing.contract record TYPE`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlink.testing.contract.__main__ import main


@pytest.mark.parametrize("provider", ["github", "http", "smtp"])
def test_the_recorded_fixtures_are_what_a_new_recording_gives(provider: str) -> None:
    assert main(["record", provider, "--check"]) == 0


def test_a_new_fixture_is_recorded_from_its_spec(tmp_path: Path) -> None:
    args = ["record", "github", "--new", "--fixture", "one_issue", "--action", "get_issues",
            "--mock", '{"issues": 1, "pulls": 0}', "--into", str(tmp_path),
            "--parameters", '{"repository": "octo-org/hello-world"}']  # fmt: skip

    assert main(args) == 0

    written = json.loads((tmp_path / "one_issue.json").read_text())
    assert written["mock"] == {"issues": 1, "pulls": 0}
    [exchange] = written["exchanges"]
    assert exchange["request"] == {
        "method": "GET",
        "path": "/repos/octo-org/hello-world/issues",
        "query": {"state": "open", "per_page": "30"},
    }
    assert exchange["response"]["status"] == 200
    assert set(exchange["response"]["headers"]) == {
        "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"
    }  # fmt: skip
    assert [issue["number"] for issue in written["output"]["items"]] == [1]


def test_an_unknown_action_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="has no action 'nope'"):
        main(["record", "github", "--new", "--fixture", "x", "--action", "nope",
              "--into", str(tmp_path)])  # fmt: skip
