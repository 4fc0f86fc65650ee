"""The real app in a real terminal (tmux): launch, ctrl+r, see the result, ctrl+q."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from tmux_helpers import screen, start_app, tmux, wait_for_screen

RESULT = re.compile(r"(good fit|overfitting|underfitting|diverged)")
ACCURACY = re.compile(r"test \d\.\d{3}\b")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_run_and_quit_in_tmux(tmp_path: Path) -> None:
    session = f"perceptune-e2e-{os.getpid()}"
    store = tmp_path / "e2e.db"
    start_app(session, store, (120, 40), "TEXTUAL_ANIMATIONS=none", "TERM=xterm-256color")
    try:
        wait_for_screen(session, re.compile("Hyperparameters"), timeout=30)
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "C-r")
        text = wait_for_screen(session, RESULT, timeout=60)
        text = wait_for_screen(session, ACCURACY, timeout=10)
        assert "done" in text
        tmux("send-keys", "-t", session, "C-q")
        deadline = time.monotonic() + 20
        while tmux("has-session", "-t", session, check=False).returncode == 0:
            assert time.monotonic() < deadline, "the app did not quit:\n" + screen(session)
            time.sleep(0.2)
    finally:
        tmux("kill-session", "-t", session, check=False)
    from core.store import RunStore

    with RunStore(store) as runs:
        (record,) = runs.list_runs()
        assert record.status == "done"
        assert record.verdict is not None


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def test_sixteen_colours_in_tmux(tmp_path: Path) -> None:
    """With a 16-colour TERM the app sends only the 16 standard colours, and the active
    tab and the focused field stay marked (bold, underline, reverse)."""
    session = f"perceptune-16-{os.getpid()}"
    start_app(session, tmp_path / "c16.db", (100, 30), "TERM=xterm-16color", "COLORTERM=")
    try:
        wait_for_screen(session, re.compile("Hyperparameters"), timeout=30)
        time.sleep(0.5)
        coded = tmux("capture-pane", "-e", "-p", "-t", session).stdout
        params = [p for match in SGR.finditer(coded) for p in match.group(1).split(";")]
        assert params, "no colours at all"
        assert not {"38", "48"} & set(params), "256-colour or truecolor codes sent"
        first = coded.splitlines()[0]
        # The active tab (Charts) is bold + underlined; the others are not.
        assert "4" in _attrs(first[: first.index("Charts")])  # 4: underline
        assert "4" not in _attrs(first[: first.index("Queue")])
        # The focused field's label is shown reversed.
        assert re.search(r"\x1b\[[0-9;]*7[0-9;]*m(\x1b\[[0-9;]*m)*Hidden layers", coded)
    finally:
        tmux("kill-session", "-t", session, check=False)


def _attrs(prefix: str) -> list[str]:
    """The SGR parameters in effect at the end of ``prefix`` (since the last reset)."""
    codes: list[str] = []
    for match in SGR.finditer(prefix):
        parts = match.group(1).split(";")
        if "0" in parts or parts == [""]:
            codes = []
        codes += parts
    return codes
