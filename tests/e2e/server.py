"""Run `interlink serve` as a real process on a loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from tests.helpers.processes import dies_with_parent

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    banner: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)  # what it wrote after its banner
    _written: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait_for_output(self, marker: str, timeout: float = START_TIMEOUT) -> None:
        """Until a line the server wrote (stdout or stderr) holds `marker`."""
        with self._written:
            seen = self._written.wait_for(
                lambda: any(marker in line for line in self.output), timeout
            )
        assert seen, f"{marker!r} not seen in: {self.output[-50:]}"

    def drain(self, stream: IO[str] | None) -> None:
        """Read a pipe of the server to its end in a thread, so its logs never fill the pipe
        and block it; each line is kept in `output`."""
        if stream is not None:
            threading.Thread(target=self._keep, args=(stream,), daemon=True).start()

    def _keep(self, stream: IO[str]) -> None:
        for line in stream:
            with self._written:
                self.output.append(line.rstrip("\n"))
                self._written.notify_all()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.banner}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)  # polling for start-up, not timing anything
        raise TimeoutError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` and return the exit code; a server that does not stop is killed, never
        left running for the next tests."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=START_TIMEOUT)
            raise AssertionError(f"server did not stop within {START_TIMEOUT} s") from None


def read_until(stream: IO[str], marker: str, limit: int = 200) -> list[str]:
    lines: list[str] = []
    for _ in range(limit):
        line = stream.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not seen in: {lines}")


def start(data_dir: Path, extra_env: dict[str, str] | None = None, port: int = 0) -> Server:
    """`interlink serve` on `port` (a free one when 0), once it answers."""
    port = port or free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")},
        "INTERLINK_DATA_DIR": str(data_dir),
        "INTERLINK_PORT": str(port),
        "INTERLINK_LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "interlink", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=dies_with_parent(),
    )
    server = Server(process=process, port=port)
    assert process.stdout is not None
    server.banner = read_until(process.stdout, "admin API key")
    server.drain(process.stdout)
    server.drain(process.stderr)
    server.wait_ready()
    return server
