"""Worker processes die with perceptune: no orphans after ``kill -9``.

A process-pool worker waits for its next task forever. When perceptune itself is
killed (``kill -9``, the OOM killer, a SIGTERM Python does not handle), nothing tells
the workers to stop; with the forkserver they also hold the forkserver's and the
resource tracker's pipes open, so all of them stay (~125 MB each) until reboot.

Two guards, both set up in each worker when it starts:

- :func:`die_with_parent`: Linux's ``PR_SET_PDEATHSIG`` has the kernel SIGKILL the
  worker when its parent dies. With the forkserver that parent is the forkserver, which
  itself lives as long as any worker does, hence
- :func:`die_with`: a daemon thread that waits on perceptune's own pid (a pidfd, or
  polling where there is none) and SIGKILLs this process when it ends.

Once the workers are gone the forkserver and the resource tracker read end-of-file on
their pipes and exit by themselves.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time

#: ``<linux/prctl.h>``: set the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1
#: Seconds between liveness checks where there is no pidfd (not Linux).
POLL_S = 1.0


def die_with_parent() -> bool:
    """Have the kernel SIGKILL this process when its parent exits (Linux only).

    Returns whether the guard is set. Note that "parent" is the thread that forked
    this process: call it only in processes forked by a long-lived thread (the
    forkserver's only thread, or a CLI's main thread).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc prctl: the pid watch still guards
        return False


def die_with(pid: int) -> None:
    """SIGKILL this process as soon as process ``pid`` (perceptune) has ended.

    ``pid`` must be alive when this is called (it is the process that asked for this
    worker); if it is already gone this process dies now.
    """
    if pid <= 0 or pid == os.getpid():
        return
    handle: int | None = None
    with contextlib.suppress(AttributeError, OSError):  # no pidfd: poll instead
        handle = os.pidfd_open(pid)
    if handle is None and not _alive(pid):
        _die()
    threading.Thread(
        target=_watch, args=(pid, handle), name="perceptune-lifeline", daemon=True
    ).start()


def _watch(pid: int, handle: int | None) -> None:
    if handle is not None:
        # A pidfd turns readable when the process exits (zombie or reaped alike).
        select.select([handle], [], [])
    else:
        while _alive(pid):
            time.sleep(POLL_S)
    _die()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else: cannot be ours, but be safe
        return True
    return True


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
