"""Executor ids: one per live process, the same one again after a restart."""

from __future__ import annotations

from pathlib import Path

from interlink.jobs.executor_ids import claim


def test_a_restart_takes_its_id_back_and_a_second_process_gets_another(tmp_path: Path) -> None:
    first = claim(tmp_path, "worker")
    second = claim(tmp_path, "worker")  # another open file description: another process's lock
    assert first.executor_id != second.executor_id
    assert first.executor_id.startswith("worker-")

    first.release()
    again = claim(tmp_path, "worker")

    assert again.executor_id == first.executor_id
    assert claim(tmp_path, "serve").executor_id.startswith("serve-")
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == [
        "serve-0.id", "worker-0.id", "worker-1.id",
    ]  # fmt: skip


def test_a_given_id_wins(tmp_path: Path) -> None:
    assert claim(tmp_path, "worker", "pod-7").executor_id == "pod-7"
    assert not (tmp_path / "jobs").exists()
