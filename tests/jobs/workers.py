"""`interlink worker` as a real process, its output in files (a full pipe would stall it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.processes import dies_with_parent

# Under load on 2 cores an interpreter took over 30 s to import Interlink and start.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
BANNER = "worker is running"


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    output: Path

    def wait_ready(self) -> None:
        """Until the worker says it runs; one that exits or stays silent is killed, never left
        running."""
        deadline = time.monotonic() + START_TIMEOUT
        while BANNER not in self.output.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"worker did not start: {self.output.read_text(errors='replace')}"
                )
            time.sleep(0.05)  # polling for start-up, not timing anything

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> int:
        """SIGTERM and the exit code; a worker that does not stop is killed, never left running
        (it would take the next tests' work from the shared database)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
            tail = self.output.read_text(errors="replace")[-4000:]
            raise AssertionError(f"worker did not stop within {STOP_TIMEOUT} s:\n{tail}") from None


def start_worker(
    data_dir: Path,
    database_url: str,
    executor_id: str,
    *,
    extra_env: Mapping[str, str] | None = None,
    **jobs: str,
) -> WorkerProcess:
    """`interlink worker` on the test's database; `jobs` become INTERLINK_JOBS_* settings and
    `extra_env` adds any other variables."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTERLINK_")},
        "INTERLINK_DATA_DIR": str(data_dir),
        "INTERLINK_DATABASE_URL": database_url,
        "INTERLINK_VAULT_KEY_FILE": str(data_dir / "vault.key"),
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",
        "INTERLINK_LOG_FORMAT": "json",
        "INTERLINK_JOBS_EXECUTOR_ID": executor_id,
        "INTERLINK_JOBS_POLLING_INTERVAL_SECONDS": "0.05",
        **{f"INTERLINK_JOBS_{name.upper()}": value for name, value in jobs.items()},
        **(extra_env or {}),
    }
    output = data_dir / f"{executor_id}-{time.monotonic_ns()}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "interlink", "worker"],
            env=env,
            stdout=sink,
            stderr=sink,
            preexec_fn=dies_with_parent(),
        )
    worker = WorkerProcess(process, output)
    worker.wait_ready()
    return worker
