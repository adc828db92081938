"""What a user sees when a command fails: the API's code and message on stderr and exit 1, a
usage error exit 2, a server that cannot be reached exit 3 with its URL; stdout stays empty,
so `--json` output is never mixed with an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.e2e.server import free_port


def test_an_api_error_prints_its_code_message_and_request_id(cli: Cli) -> None:
    result = cli.run("integrations", "get", "int_nope", "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("INTEGRATION_NOT_FOUND: Integration not found.")
    assert "[request " in result.stderr


def test_a_validation_error_names_the_field_once(cli: Cli) -> None:
    result = cli.run("keys", "create", "x", "--scope", "everything")

    assert result.exit_code == 1
    assert result.stderr.startswith("INVALID_REQUEST: ")
    assert result.stderr.count("scopes.0") == 1


def test_an_unreachable_url_says_which_url(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    result = cli.run("--url", url, "integrations", "list", "--json")

    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"CONNECTION_FAILED: Cannot reach Interlink at {url}")


def test_the_url_and_key_come_from_the_environment(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERLINK_API_KEY", "sk_wrong_0123456789abcdefghij")
    wrong = cli.run("integrations", "list")
    monkeypatch.setenv("INTERLINK_URL", f"http://127.0.0.1:{free_port()}")
    unreachable = cli.run("integrations", "list")

    assert (wrong.exit_code, wrong.stderr.split(":")[0]) == (1, "UNAUTHENTICATED")
    assert unreachable.exit_code == 3


def test_no_key_at_all_is_unauthenticated(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERLINK_API_KEY")

    result = cli.run("credentials", "list")

    assert result.exit_code == 1
    assert result.stderr.startswith("UNAUTHENTICATED: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold an object"),
        (json.dumps({"name": "x", "type": "github", "colour": "red"}), "unknown fields colour"),
    ],
)
def test_a_bad_file_is_a_usage_error(
    cli: Cli, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "integration.json"
    if content is not None:
        path.write_text(content)

    result = cli.run("integrations", "create", "-f", str(path), "--json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("INVALID_INPUT: ")
    assert message in result.stderr


def test_a_param_without_a_value_is_a_usage_error(cli: Cli) -> None:
    result = cli.run("ops", "run", "int_x", "get_repository", "--param", "owner")

    assert result.exit_code == 2
    assert "INVALID_INPUT: --param takes key=value, got 'owner'" in result.stderr


def test_click_usage_errors_exit_2(cli: Cli) -> None:
    missing = cli.run("integrations", "get")
    unknown = cli.run("integrations", "list", "--colour")

    assert missing.exit_code == unknown.exit_code == 2
    assert "Missing argument" in missing.stderr
    assert "No such option" in unknown.stderr


def test_update_with_nothing_to_change_is_refused_before_any_request(cli: Cli) -> None:
    result = cli.run("--url", f"http://127.0.0.1:{free_port()}", "integrations", "update", "int_x")

    assert result.exit_code == 2  # not 3: no request was made
    assert "nothing to change" in result.stderr
