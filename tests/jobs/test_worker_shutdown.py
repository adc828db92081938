"""`interlink worker` ends on SIGTERM: cleanly, or, when stopping takes longer than
INTERLINK_JOBS_SHUTDOWN_SECONDS, with every thread's stack and exit code 1."""

from __future__ import annotations

from pathlib import Path

from tests.jobs.workers import start_worker


def test_a_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'interlink.db'}"
    worker = start_worker(tmp_path, url, "worker-clean")
    assert worker.stop() == 0
    assert "worker_shutdown_forced" not in worker.output.read_text()


def test_a_shutdown_past_its_deadline_exits_with_the_stacks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'interlink.db'}"
    worker = start_worker(tmp_path, url, "worker-stuck", shutdown_seconds="0.001")
    assert worker.stop() == 1
    output = worker.output.read_text()
    assert "worker_shutdown_forced" in output
    assert "Thread 0x" in output  # faulthandler's dump of each thread
