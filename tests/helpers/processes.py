"""Child processes the tests start die with the test process: a run killed from outside (a
timeout, Ctrl-C twice) leaves no worker or server behind to take the next run's work or port."""

from __future__ import annotations

import ctypes
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def dies_with_parent() -> Callable[[], None] | None:
    """For `subprocess.Popen(preexec_fn=...)`: on Linux the child gets SIGKILL when the thread
    that started it ends, so only a child started on the main thread (which lives as long as
    the test process) is tied to it; one started on another thread (a pool starting processes
    side by side) is not, or it would die with that thread. Elsewhere nothing."""
    on_main = threading.current_thread() is threading.main_thread()
    return _kill_with_parent if sys.platform.startswith("linux") and on_main else None


def _kill_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
