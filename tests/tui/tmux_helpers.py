"""Helpers for the tests that run the real app in a real terminal (tmux)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check)


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session, check=False).stdout


def wait_for_screen(session: str, pattern: re.Pattern[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen(session)
        if pattern.search(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern.pattern!r} never appeared; screen was:\n{text}")


def app_command(store: Path, *env: str) -> str:
    """The shell command line of ``perceptune --store STORE --workers 1`` from this
    checkout, with the environment settings ``env`` (``NAME=value``)."""
    return " ".join(
        [
            "env",
            # The tmux server is shared: it hands every session the environment of the
            # process that started it, and a COLUMNS/LINES from there (a Textual test
            # sets them) would make the app ignore the real size of its terminal.
            "-u",
            "COLUMNS",
            "-u",
            "LINES",
            "PERCEPTUNE_RUNNER_IDLE_S=2",  # a background runner it starts exits soon after
            *env,
            f"PYTHONPATH={shlex.quote(str(ROOT))}",
            shlex.quote(sys.executable),
            "-m",
            "tui.entry",
            "--store",
            shlex.quote(str(store)),
            "--workers",
            "1",
        ]
    )


def start_app(session: str, store: Path, size: tuple[int, int], *env: str) -> None:
    """The app alone in a new tmux session of ``size`` (the session ends with it)."""
    width, height = size
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
         "-c", str(store.parent), app_command(store, *env))  # fmt: skip
