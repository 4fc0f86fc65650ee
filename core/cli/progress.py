"""A one-line progress bar on stderr (redrawn in place on a terminal, quiet otherwise)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

_MIN_INTERVAL_S = 0.1  # redraw at most 10 times a second


class ProgressBar:
    """``[#####.....] 42/100  train 0.912  test 0.887``; thread-safe ``update``."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.total = max(1, total)
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._shown = False
        self._lock = threading.Lock()

    def update(self, done: int, text: str = "", force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < _MIN_INTERVAL_S and done < self.total:
                return
            self._last = now
            filled = min(self.width, round(self.width * done / self.total))
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total}  {text}\033[K")
            self.stream.flush()
            self._shown = True

    def close(self) -> None:
        if self.enabled and self._shown:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()
