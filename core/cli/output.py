"""What the CLI writes: user text made safe for a terminal line, and a stdout that
turns a full disk or a closed pipe into an error the CLI can report in one line."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from core.errors import PerceptuneError
from core.values import printable

__all__ = ["GuardedOutput", "OutputClosed", "OutputError", "one_line", "printable"]

#: A message longer than this is cut (values inside are cut to 40 characters already;
#: this catches whatever else echoes user text, such as argparse).
MAX_MESSAGE = 400


def one_line(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message fit for one line of stderr: escaped, and cut past ``limit``."""
    text = printable(message)
    return text if len(text) <= limit else text[:limit] + "…"


class OutputError(PerceptuneError):
    """Standard output cannot be written (a full disk, an I/O error): exit 1."""


class OutputClosed(PerceptuneError):
    """Whoever read standard output went away (``perceptune runs | head -1``)."""


class GuardedOutput:
    """Wraps ``sys.stdout``: a failed write raises :class:`OutputError` (or
    :class:`OutputClosed` for a broken pipe) once, and every later write is dropped, so
    neither the rest of the command nor the interpreter's exit prints a traceback."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream  # None when the process started with stdout closed
        self.failed: OSError | None = None

    def write(self, text: str) -> int:
        if self._stream is None and self.failed is None:
            self.failed = OSError("standard output is closed")
            raise OutputError("cannot write the output: standard output is closed")
        if self.failed is None and self._stream is not None:
            try:
                return self._stream.write(text)
            except OSError as error:
                self._fail(error)
        return len(text)

    def flush(self) -> None:
        if self.failed is None and self._stream is not None:
            try:
                self._stream.flush()
            except OSError as error:
                self._fail(error)

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, name: str) -> Any:  # fileno, encoding, buffer...
        return getattr(self._stream, name)

    def _fail(self, error: OSError) -> None:
        self.failed = error
        self._drop_pending()
        if isinstance(error, BrokenPipeError):
            raise OutputClosed("output closed") from None
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None

    def _drop_pending(self) -> None:
        # What is still buffered would fail again when the interpreter flushes stdout
        # at exit ("Exception ignored ..." and exit code 120): point the real file
        # descriptor at /dev/null, as Python's docs advise for a broken pipe.
        if self._stream is not sys.__stdout__:
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
