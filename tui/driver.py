"""Textual's terminal driver, made to survive its terminal going away.

When an SSH connection drops (or a terminal window is closed) the pty hangs up: the
process gets SIGHUP, and every read or write on the terminal fails with ``EIO``. Stock
``LinuxDriver`` then loses both of its threads: the output thread dies on the failed
write, so the UI thread blocks for ever on the full output queue (in the middle of
shutting down, with runs still marked running), and the input thread's failed read
becomes a ``panic``. Here output to a vanished terminal is dropped, and a failed read
is taken for what it is, a hangup: the app gets SIGHUP and quits through its normal
path (``PerceptuneApp._quit_on_signal``), leaving its runs interrupted.
"""

from __future__ import annotations

import os
import signal
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


class _HangupSafeFile:
    """A text file whose writes and flushes are dropped once the terminal is gone."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.hung_up = False

    def write(self, text: str) -> int:
        if not self.hung_up:
            try:
                return self._file.write(text)
            except OSError:  # EIO: no terminal any more; nothing left to show it on
                self.hung_up = True
        return len(text)

    def flush(self) -> None:
        if not self.hung_up:
            try:
                self._file.flush()
            except OSError:
                self.hung_up = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)  # fileno(), isatty(), encoding...


class HangupSafeDriver(LinuxDriver):
    """``LinuxDriver`` whose output and input threads outlive a hangup."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._file = _HangupSafeFile(self._file)  # type: ignore[assignment]

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError:
            # The terminal hung up (the kernel sends SIGHUP too; this one may come
            # first): quit like on SIGHUP rather than panic.
            os.kill(os.getpid(), signal.SIGHUP)
