"""The real app in a real terminal (tmux) gets a real signal: SIGHUP (an SSH drop) and
SIGTERM end the app like ctrl+q, without asking, and its queue keeps training in the
store's background runner; the process exits and the shell gets its terminal back
(cooked mode, no mouse reporting, alternate screen left). A new app in a new terminal
shows the run still training, its epoch count rising."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from tmux_helpers import app_command, screen, start_app, tmux, wait_for_screen

from core.config import FIELD_INFO
from core.queue_store import StoredQueue
from core.store import RunStore, _pid_alive

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PROMPT = "READY$ "
LONG = "100000"  # epochs and patience: the runs train until they are stopped


def epochs(store: Path) -> list[int]:
    """Every run's epoch count, read straight from the SQLite file (read-only)."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as conn:
        return [row[0] for row in conn.execute("SELECT n_epochs FROM runs ORDER BY id")]


def stop_runner(store: Path) -> None:
    """Stop the store's background runner (by its pid) and wait until it is gone."""
    if not store.exists():
        return
    with RunStore(store) as runs:
        runner = StoredQueue(runs).runner()
    if runner is not None:
        os.kill(runner.pid, signal.SIGTERM)
        wait_until(lambda: not _pid_alive(runner.pid), 30, "the runner did not stop")


def keeps_training(store: Path) -> None:
    """One run trains and three wait, owned by the runner; its epoch count rises."""
    assert sorted(statuses(store)) == ["queued", "queued", "queued", "running"]
    before = max(epochs(store))
    wait_until(lambda: max(epochs(store)) > before + 10, 60, "the running run stopped")


def statuses(store: Path) -> list[str]:
    """Every run's status, read straight from the SQLite file (read-only)."""
    if not store.exists():
        return []
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return [row[0] for row in conn.execute("SELECT status FROM runs ORDER BY id")]
        except sqlite3.OperationalError:  # the app is still creating the schema
            return []


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def keys(session: str, *names: str) -> None:
    for name in names:
        tmux("send-keys", "-t", session, name)


def tab_to(session: str, name: str) -> None:
    """Tab from the focused form field to field ``name``, one field at a time: each Tab
    waits until the help line names the next field (it names the focused one), so no
    key is sent ahead of a screen still catching up. The field's text is then
    selected: what is typed next replaces it."""
    names = list(FIELD_INFO)
    for _ in range(len(names)):
        current = screen(session)
        here = next(n for n in names if f"{FIELD_INFO[n].label}: " in current)
        if here == name:
            return
        following = FIELD_INFO[names[names.index(here) + 1]].label
        keys(session, "Tab")
        wait_for_screen(session, re.compile(rf"\b{re.escape(following)}: "), timeout=10)
    raise AssertionError(f"{name} never had focus:\n{screen(session)}")


def start_shell_with_app(session: str, tmp_path: Path, store: Path) -> int:
    """A shell in a new tmux session runs the app (and echoes its exit code after it);
    the form gets long runs, three are queued (ctrl+n), one is run now (ctrl+r). The
    app's process id."""
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(tmp_path),
         f"env PS1={PROMPT!r} bash --norc --noprofile")  # fmt: skip
    wait_for_screen(session, re.compile(re.escape(PROMPT.rstrip())), timeout=10)
    command = app_command(store, "TEXTUAL_ANIMATIONS=none", "TERM=xterm-256color")
    tmux("send-keys", "-t", session, "-l", f"{command}; echo EXIT=$?")
    keys(session, "Enter")
    wait_for_screen(session, re.compile(r"Hidden layers: "), timeout=30)  # has focus
    for name in ("epochs", "n_iter_no_change"):
        tab_to(session, name)
        tmux("send-keys", "-t", session, "-l", LONG)
        label = FIELD_INFO[name].label
        wait_for_screen(session, re.compile(rf"{label}\s+{LONG}\b"), timeout=10)
    for count in (1, 2, 3):
        keys(session, "C-n")
        wait_until(lambda n=count: len(statuses(store)) == n, 20, f"run {count} not queued")
    keys(session, "C-r")
    wait_until(
        lambda: sorted(statuses(store)) == ["queued", "queued", "queued", "running"],
        30,
        f"not one running and three queued: {statuses(store)}",
    )
    shell = int(tmux("display", "-p", "-t", session, "#{pane_pid}").stdout)
    (pid,) = [
        int(child)
        for child in Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        if b"tui.entry" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    return pid


def gone(pid: int) -> bool:
    """The process has exited (a zombie no one reaps counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_signal_quits_like_ctrl_q_and_gives_the_terminal_back(
    tmp_path: Path, signum: signal.Signals
) -> None:
    session = f"perceptune-sig-{signum.name}-{os.getpid()}"
    store = tmp_path / "signal.db"
    try:
        pid = start_shell_with_app(session, tmp_path, store)
        os.kill(pid, signum)
        text = wait_for_screen(session, re.compile(r"EXIT=\d+"), timeout=30)
        assert f"EXIT={128 + signum}" in text  # the app's own exit, not death by signal
        assert gone(pid)
        keeps_training(store)
        # The terminal is the shell's again: main screen, no mouse reports, cooked mode.
        assert "Hyperparameters" not in text
        assert text.rstrip().endswith(PROMPT.rstrip())
        flags = tmux("display", "-p", "-t", session, "#{alternate_on} #{mouse_any_flag}")
        assert flags.stdout.split() == ["0", "0"]
        tmux("send-keys", "-t", session, "-l", "stty -a; echo STTY-DONE")
        keys(session, "Enter")
        stty = wait_for_screen(session, re.compile(r"^STTY-DONE", re.MULTILINE), timeout=10)
        assert re.search(r"(^|\s)icanon(\s|$)", stty, re.MULTILINE), stty
        assert re.search(r"(^|\s)echo(\s|$)", stty, re.MULTILINE), stty
    finally:
        tmux("kill-session", "-t", session, check=False)
        stop_runner(store)


def test_terminal_hangup_keeps_training_and_a_new_app_shows_it(tmp_path: Path) -> None:
    """The terminal itself goes away (the tmux session is killed, as an SSH drop
    closes the pty): the app exits, the runs go on training; a new app in a new tmux
    session shows the running run's epoch count rising."""
    session = f"perceptune-hup-{os.getpid()}"
    store = tmp_path / "hangup.db"
    try:
        pid = start_shell_with_app(session, tmp_path, store)
        tmux("kill-session", "-t", session)
        wait_until(lambda: gone(pid), 30, "the app did not exit after the hangup")
        keeps_training(store)
        again = f"{session}-again"
        start_app(again, store, (120, 40), "TEXTUAL_ANIMATIONS=none", "TERM=xterm-256color")
        try:
            wait_for_screen(again, re.compile("Hyperparameters"), timeout=30)
            keys(again, "F3")
            # The running row's "7957/100000" (cut to "7957/100" when the column is
            # narrow), not the summary line's "1 running · 3 waiting · workers 1/8".
            progress = re.compile(r"running {2,}.*?\b(\d+)/\d+")
            first = int(progress.search(wait_for_screen(again, progress, timeout=20))[1])
            wait_until(
                lambda: (m := progress.search(screen(again))) and int(m[1]) > first,
                30,  # the runner's workers run at niceness 10: slow on a busy machine
                "the epoch count on screen did not rise",
            )
        finally:
            tmux("kill-session", "-t", again, check=False)
    finally:
        tmux("kill-session", "-t", session, check=False)
        stop_runner(store)
