"""Start a peer as a child process on a free loopback port and stop it, never leaving it behind."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.processes import dies_with_parent

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running(command: Sequence[str], log: Path, ready: Callable[[], bool]) -> Iterator[None]:
    """Run `command` (its output in `log`) until the block ends, once `ready()` holds."""
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - the peers named in this package
            command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=dies_with_parent()
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)  # polling for start-up, not timing anything
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=START_TIMEOUT)


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
