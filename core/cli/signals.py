"""SIGTERM and SIGHUP end a command the way Ctrl-C does.

Python's default for SIGTERM and SIGHUP is to die on the spot: runs in flight stay
``running`` until a later open calls them interrupted, and nothing shuts the worker
pool down. Here both raise :class:`Terminated`, a ``KeyboardInterrupt``, in the main
thread, so every ``except KeyboardInterrupt`` / ``finally`` that handles Ctrl-C (stop
the runs between epochs, record them ``interrupted``, shut the pool down) handles
them too. The exit code is then 128 + the signal number, as a shell reports it.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: The signals turned into :class:`Terminated` (SIGINT already is a KeyboardInterrupt).
HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """A SIGTERM or SIGHUP, raised in the main thread like Ctrl-C's KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(interrupt: BaseException) -> int:
    """128 + the signal that stopped the command: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def describe(interrupt: BaseException) -> str:
    """How the command was stopped, for its one-line message."""
    signum = getattr(interrupt, "signum", None)
    if signum == signal.SIGTERM:
        return "terminated (SIGTERM)"
    if signum == signal.SIGHUP:
        return "hung up (SIGHUP)"
    return "interrupted"


def say(line: str) -> None:
    """Print one line on stderr; after a hangup the terminal may be gone (EIO): then
    the line is dropped rather than turned into a traceback."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr)


@contextmanager
def terminate_like_ctrl_c() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread.

    Only the first one raises: a repeat while the command cleans up (stopping runs,
    recording them) is ignored so the cleanup can finish; ``kill -9`` still ends it,
    and its workers with it (:mod:`core.lifeline`). Outside the main thread this does
    nothing (signal handlers can only be set there).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, _frame: object) -> None:
        nonlocal raised
        if raised:
            return
        raised = True
        raise Terminated(signum)

    previous = {signum: signal.signal(signum, handler) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)
