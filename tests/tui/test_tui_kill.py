"""The real app in a real terminal (tmux), killed: its pool's workers, the forkserver
and the resource tracker die with it, whether it gets kill -9 or SIGTERM."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from process_tree import command, descendants, kill_all, wait_for_descendants, wait_until_gone
from test_tmux_e2e import screen, start_app, tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_killing_the_tui_leaves_no_worker(tmp_path: Path, signum: int) -> None:
    session = f"perceptune-kill-{os.getpid()}-{signum}"
    store = tmp_path / "kill.db"
    # The queue in the app (not a background runner): its pool's worker starts at once.
    # With a background runner no worker starts until decision regions ask for one.
    start_app(
        session,
        store,
        (100, 30),
        "TEXTUAL_ANIMATIONS=none",
        "TERM=xterm-256color",
        "PERCEPTUNE_BACKGROUND=0",
    )
    below: set[int] = set()
    try:
        pane = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").stdout)
        deadline = time.monotonic() + 30
        while not re.search("Hyperparameters", screen(session)):
            assert time.monotonic() < deadline, "the app never drew:\n" + screen(session)
            time.sleep(0.2)
        # The resource tracker, the forkserver and the warmed-up worker (--workers 1).
        below = wait_for_descendants(pane, 3, timeout=30)
        below |= descendants(pane)
        os.kill(pane, signum)
        left = wait_until_gone(below, timeout=10)
        assert not left, "still running: " + "; ".join(command(pid) for pid in left)
    finally:
        tmux("kill-session", "-t", session, check=False)
        kill_all(below)
