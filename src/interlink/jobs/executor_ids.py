"""Stable executor ids: one per live process, the same one again after a restart.

DBOS resumes a process's pending work only when a process with the same executor id starts again,
and two live processes with one id would run the same step twice at once. So each process claims
a numbered slot in the data dir (`jobs/serve-0.id`, `jobs/worker-1.id`, ...) by holding an
exclusive `flock` on it for its lifetime: a restart takes the first free slot back, with the id
stored in it, and a second process on the same data dir takes the next slot.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_SLOTS = 64


class NoFreeSlot(Exception):
    """Every executor slot of this data dir is held by a live process."""


@dataclass
class ExecutorSlot:
    executor_id: str
    handle: IO[str] | None = None  # held open (and locked) while the process lives

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing drops the lock
            self.handle = None


def claim(data_dir: Path, role: str, given: str | None = None) -> ExecutorSlot:
    """The executor id of this process: `given` if set, else the first free slot of `role`."""
    if given:
        return ExecutorSlot(given)
    folder = data_dir / "jobs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for index in range(MAX_SLOTS):
        handle = _lock(folder / f"{role}-{index}.id")
        if handle is None:
            continue
        handle.seek(0)
        stored = handle.read().strip()
        if not stored:
            stored = f"{role}-{socket.gethostname()[:40]}-{secrets.token_hex(4)}"
            handle.seek(0)
            handle.truncate()
            handle.write(stored)
            handle.flush()
            os.fsync(handle.fileno())
        return ExecutorSlot(stored, handle)
    raise NoFreeSlot(f"all {MAX_SLOTS} {role} executor slots in {folder} are in use")


def _lock(path: Path) -> IO[str] | None:
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the process's life)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
