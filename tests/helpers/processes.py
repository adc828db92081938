"""Child processes the tests start die with the test process: a run killed from outside (a
timeout, Ctrl-C twice) leaves no worker or server behind to take the next run's work or port."""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """For `subprocess.Popen(preexec_fn=...)`: on Linux the child gets SIGKILL when the thread
    that started it ends (the test process's main thread); elsewhere nothing."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
