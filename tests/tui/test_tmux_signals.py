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
import time
from pathlib import Path

import pytest
from tmux_helpers import (
    app_command,
    cli,
    curve_epochs,
    epochs,
    gone,
    keys,
    run_row,
    runner_log,
    runner_pid,
    start_app,
    statuses,
    stop_queue,
    stop_runner,
    tmux,
    type_fields,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

from core.store import RunStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PROMPT = "READY$ "
LONG = "100000"  # epochs and patience: the runs train until they are stopped


def keeps_training(store: Path) -> None:
    """One run trains and three wait, owned by the runner; its epoch count rises."""
    assert sorted(statuses(store)) == ["queued", "queued", "queued", "running"]
    before = max(epochs(store))
    wait_until(lambda: max(epochs(store)) > before + 10, 60, "the running run stopped")


def open_app_in_shell(session: str, tmp_path: Path, store: Path, workers: int | None = 1) -> int:
    """A shell in a new tmux session runs the app (and echoes its exit code after it);
    returns the app's process id once its form has focus. ``workers``: the app's
    ``--workers`` (None: none given, the store's setting stands)."""
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(tmp_path),
         f"env PS1={PROMPT!r} bash --norc --noprofile")  # fmt: skip
    wait_for_screen(session, re.compile(re.escape(PROMPT.rstrip())), timeout=10)
    env = ("TEXTUAL_ANIMATIONS=none", "TERM=xterm-256color")
    command = app_command(store, *env, workers=workers)
    tmux("send-keys", "-t", session, "-l", f"{command}; echo EXIT=$?")
    keys(session, "Enter")
    wait_for_screen(session, re.compile(r"Hidden layers: "), timeout=30)  # has focus
    shell = int(tmux("display", "-p", "-t", session, "#{pane_pid}").stdout)
    (pid,) = [
        int(child)
        for child in Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        if b"tui.entry" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    return pid


def start_shell_with_app(session: str, tmp_path: Path, store: Path) -> int:
    """The app in a shell (:func:`open_app_in_shell`); the form gets long runs, three
    are queued (ctrl+n), one is run now (ctrl+r). The app's process id."""
    pid = open_app_in_shell(session, tmp_path, store)
    type_fields(session, {"epochs": LONG, "n_iter_no_change": LONG})
    for count in (1, 2, 3):
        keys(session, "C-n")
        wait_until(lambda n=count: len(statuses(store)) == n, 20, f"run {count} not queued")
    keys(session, "C-r")
    wait_until(
        lambda: sorted(statuses(store)) == ["queued", "queued", "queued", "running"],
        30,
        f"not one running and three queued: {statuses(store)}",
    )
    return pid


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


#: Epochs (and patience, with tol 0: no early stop) of the runs that end after the
#: hangup: a few seconds of training for the runner's niced workers.
SHORT = "500"


@pytest.mark.slow
def test_terminal_hangup_lets_queued_runs_finish_with_full_curves(tmp_path: Path) -> None:
    """Three runs queued from the app by keys (two of SHORT epochs, then a long one;
    two trained at once), the terminal goes away mid-training: the runner trains on,
    the two short runs end ``done`` with every epoch 1..SHORT stored, each trained
    once from its start (not restarted by a new runner), and a new app in a new tmux
    session shows the long run's epoch count rising; ``queue stop`` ends it all."""
    session = f"perceptune-hupdone-{os.getpid()}"
    again = f"{session}-again"
    store = tmp_path / "hangup-done.db"
    short = int(SHORT)
    try:
        # Paused (0 workers) while the runs are queued, so the short ones cannot end
        # before the hangup; the app is given no --workers: the pause stands.
        cli(store, "queue", "workers", "0")
        pid = open_app_in_shell(session, tmp_path, store, workers=None)
        type_fields(session, {"epochs": SHORT, "tol": "0", "n_iter_no_change": SHORT})
        for count in (1, 2):
            keys(session, "C-n")
            wait_until(lambda n=count: len(statuses(store)) == n, 20, f"run {count} not queued")
        type_fields(session, {"epochs": LONG, "n_iter_no_change": LONG})
        keys(session, "C-n")
        wait_until(lambda: len(statuses(store)) == 3, 20, "run 3 not queued")
        keys(session, "F3")  # the Queue tab: + asks for one more run at once
        wait_for_rows(session, lambda rows: len(rows) == 3, 10, "three queued rows")
        for _ in range(2):
            tmux("send-keys", "-t", session, "-l", "+")
        wait_until(
            lambda: len(done := epochs(store)) == 3 and min(done[:2]) > 0,
            30,
            f"the two short runs did not start: {statuses(store)} {epochs(store)}",
        )
        runner = runner_pid(store)
        tmux("kill-session", "-t", session)  # the terminal hangs up
        hangup = time.time()
        at_hangup, status_at_hangup = epochs(store), statuses(store)
        assert at_hangup[0] < short and at_hangup[1] < short, (
            f"the short runs were done before the hangup ({at_hangup}): nothing shown"
        )
        assert status_at_hangup == ["running", "running", "queued"]
        # (Read before the app's exit is awaited: a short run may end meanwhile.)
        wait_until(lambda: gone(pid), 30, "the app did not exit after the hangup")

        # A new app in a new terminal while they train.
        start_app(again, store, (120, 40), "TEXTUAL_ANIMATIONS=none", "TERM=xterm-256color",
                  workers=None)  # fmt: skip
        wait_for_screen(again, re.compile("Hyperparameters"), timeout=30)
        keys(again, "F3")
        wait_until(
            lambda: statuses(store)[:2] == ["done", "done"],
            60,
            f"the short runs did not finish: {statuses(store)} {epochs(store)}",
        )
        for run_id in (1, 2):
            assert curve_epochs(store, run_id) == list(range(1, short + 1))
            assert run_row(store, run_id) == ("done", short)
            # Trained once, from before the hangup to the end: a run restarted from
            # epoch 0 (its curve rewritten) would have started again after it.
            assert len(runner_log(store, f": run {run_id} started")) == 1
            with RunStore(store) as runs:
                assert runs.get_run(run_id).started_at < hangup
        assert runner_pid(store) == runner  # the same runner, never restarted

        # The long run trains now: its row's epoch count rises on the new screen.
        def long_run(rows: list[tuple[int, str, int]]) -> bool:
            return any(row[0] == 3 and row[1] == "running" and row[2] > 0 for row in rows)

        first = next(r for r in wait_for_rows(again, long_run, 30, "run 3 never ran") if r[0] == 3)
        wait_for_rows(
            again,
            lambda rows: any(r[0] == 3 and r[2] > first[2] for r in rows),
            30,  # the runner's workers run at niceness 10: slow on a busy machine
            "run 3's epoch count on screen did not rise",
        )
        stop_queue(store)
        assert run_row(store, 3)[0] == "cancelled"
        assert runner is not None and gone(runner)  # queue stop waited for it
    finally:
        tmux("kill-session", "-t", session, check=False)
        tmux("kill-session", "-t", again, check=False)
        stop_runner(store)
