"""`interlink mock TYPE` serves a mock until Ctrl-C and says where and with which token."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from interlink.cli import mock

# the command as `interlink` registers it (cli/main.py: app.command("mock")(mock.mock))
SCRIPT = """
import typer
from interlink.cli import mock
app = typer.Typer()
app.command("mock")(mock.mock)
app.command("other")(lambda: None)
app()
"""


@contextlib.contextmanager
def _mock_process(*args: str, **popen: Any) -> Iterator[subprocess.Popen[str]]:
    """`interlink mock ARGS` as a process of its own, killed if still running at the end (or
    after 60 s, whatever the test waits for)."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT, "mock", *args], stdout=subprocess.PIPE, text=True, **popen
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        yield process
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("mock")(mock.mock)
    app.command("other")(lambda: None)
    return app


def test_an_unknown_type_fails_with_the_list_of_types() -> None:
    result = CliRunner().invoke(_app(), ["mock", "gitlab"])
    assert result.exit_code == 1
    assert "github" in result.output
    assert "stripe" in result.output


def test_a_bad_port_fails() -> None:
    result = CliRunner().invoke(_app(), ["mock", "http", "--port", "70000"])
    assert result.exit_code == 1


def test_serves_until_interrupted() -> None:
    with _mock_process(
        "github", "--json", "--token", "ghp_cli",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:  # fmt: skip
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.rstrip() == "}":
                break
        info = json.loads("".join(lines))
        assert info["credentials"] == {"token": "ghp_cli"}
        assert info["url"].startswith("http://127.0.0.1:")
        request = urllib.request.Request(  # noqa: S310 - the loopback mock
            info["url"] + "/user", headers={"Authorization": "Bearer ghp_cli"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert json.loads(response.read())["login"] == "octocat"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_the_smtp_mock_prints_its_password_and_cleans_up_after_sigterm() -> None:
    """Without --json too, a user can log in with what it prints; SIGTERM (what a supervisor
    or `kill` sends) stops it like Ctrl-C: its certificate folder does not stay behind."""
    # COLUMNS: one line per fact, however long the path
    with _mock_process("smtp", env={**os.environ, "COLUMNS": "500"}) as process:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:
            if "trust " in line:
                printed["ca_file"] = line.split("trust ", 1)[1].strip()
            elif ":" in line and line.strip().split(":")[0] in {"user", "password"}:
                name, value = line.strip().split(": ", 1)
                printed[name] = value
            if "Ctrl-C" in line:
                break
        folder = Path(printed["ca_file"]).parent
        assert folder.is_dir()
        assert printed["user"]
        assert printed["password"] == "secret"

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=30) == 0
        assert not folder.exists()
