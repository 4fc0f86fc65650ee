"""Two apps in two real terminals (tmux) and the CLI on one store: they see one queue,
in one order; a cancel pressed in one app reaches the run in the background runner
within an epoch and shows in the other app by itself; a move pressed in the other
app reorders the queue for everyone, and the runner keeps that order."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from tmux_helpers import (
    cli,
    cli_queue,
    keys,
    read_store,
    run_row,
    start_app,
    stop_queue,
    stop_runner,
    tmux,
    wait_for_rows,
    wait_for_screen,
    wait_until,
)

from core.store import RunStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

ENV = ("TEXTUAL_ANIMATIONS=none", "TERM=xterm-256color")
LONG = "100000"  # epochs and patience: the runs train until they are stopped
#: CLI runs whose epochs take long enough (20,000 rows in batches of 200: 0.05-0.2 s) for
#: "stopped within an epoch" to be told from "stopped a few epochs later".
SLOW = ("--dataset", "moons", "--samples", "20000", "--layers", "16", "--tol", "0",
        "--epochs", LONG, "--n-iter-no-change", LONG)  # fmt: skip
#: Epochs a cancelled run may still store after the cancel was written: the one in
#: flight, and one more for the runner's look between epochs.
GRACE = 2


def ids(rows: list[tuple[int, str, int]]) -> list[int]:
    return [row[0] for row in rows]


def cancel_seen(store: Path, run_id: int) -> tuple[bool, int]:
    """Whether a cancel of ``run_id`` is in the store (asked of the runner, or done),
    and the run's epoch count, in one read."""
    ((cancel, done),) = read_store(
        store,
        "SELECT r.status = 'cancelled' OR COALESCE(q.cancel, 0), r.n_epochs FROM runs r"
        f" LEFT JOIN run_queue q ON q.run_id = r.id WHERE r.id = {int(run_id)}",
    )
    return bool(cancel), done


@pytest.mark.slow
def test_two_apps_and_the_cli_share_one_queue_its_order_and_a_cancel(tmp_path: Path) -> None:
    """Runs 1-3 from the CLI, run 4 from app A by keys, the queue paused. Both apps'
    Queue tabs and ``queue --json`` list 1-4 in order, B's without a keypress (no
    run's progress redraws it while nothing trains: it must notice the store
    changed); B moves run 4 up (u): A and the CLI show 1, 2, 4, 3. One run at a time
    then; A cancels run 1 (c) while it trains: it stops within an epoch of the cancel
    being stored, B shows it cancelled by itself, and run 2, the next in order,
    trains while 4 and 3 wait."""
    a, b = f"perceptune-share-a-{os.getpid()}", f"perceptune-share-b-{os.getpid()}"
    store = tmp_path / "shared.db"
    try:
        cli(store, "queue", "workers", "0")  # paused: nothing trains (or costs CPU) yet
        for _ in range(3):
            cli(store, "queue", "add", *SLOW)  # runs 1, 2, 3
        # The apps get no --workers: the store's setting stands.
        start_app(a, store, (120, 40), *ENV, workers=None)
        start_app(b, store, (120, 40), *ENV, workers=None)
        for session in (a, b):
            wait_for_screen(session, re.compile(r"Hidden layers: "), timeout=30)  # has focus
        keys(b, "F3")
        wait_for_rows(b, lambda rows: ids(rows) == [1, 2, 3], 20, "B: not 1-3")
        keys(a, "C-n")  # A queues run 4 from its form (the run never trains)
        wait_until(lambda: len(cli_queue(store)) == 4, 20, "app A queued no run 4")

        # Both Queue tabs show the four runs in the stored order, as the CLI does.
        order = [1, 2, 3, 4]
        keys(a, "F3")
        for session in (a, b):
            wait_for_rows(session, lambda rows: ids(rows) == order, 40, f"{session}: not 1-4")
        assert cli_queue(store) == [(n, "queued") for n in order]

        # B moves run 4 (its last row) up: A and the CLI see the new order.
        keys(b, *["Down"] * 4, "u")
        order = [1, 2, 4, 3]
        for session in (b, a):
            wait_for_rows(session, lambda rows: ids(rows) == order, 40, f"{session}: not moved")
        assert cli_queue(store) == [(n, "queued") for n in order]

        # One at a time: run 1 trains; A cancels it (its first row, c).
        cli(store, "queue", "workers", "1")
        wait_until(
            lambda: (row := run_row(store, 1))[0] == "running" and row[1] >= 3,
            60,
            f"run 1 did not train: {run_row(store, 1)}",
        )
        keys(a, *["Up"] * 4, "c")
        deadline = time.monotonic() + 20
        while not (seen := cancel_seen(store, 1))[0]:
            assert time.monotonic() < deadline, "the cancel never reached the store"
            time.sleep(0.01)
        at_cancel = seen[1]
        wait_until(lambda: run_row(store, 1)[0] == "cancelled", 20, "run 1 was not cancelled")
        final = run_row(store, 1)[1]
        assert at_cancel <= final <= at_cancel + GRACE, (at_cancel, final)
        time.sleep(0.5)  # a run that went on training would store more epochs now
        assert run_row(store, 1) == ("cancelled", final)

        # B shows it cancelled by itself; the next in order (run 2) trains, 4 and 3 wait.
        def after_cancel(rows: list[tuple[int, str, int]]) -> bool:
            shown = [(run_id, status) for run_id, status, _ in rows]
            return shown == [(1, "cancelled"), (2, "running"), (4, "queued"), (3, "queued")]

        for session in (b, a):
            wait_for_rows(session, after_cancel, 30, f"{session}: not cancelled, 2 next")
        assert cli_queue(store) == [(2, "running"), (4, "queued"), (3, "queued")]
        with RunStore(store) as runs:
            one, two = runs.get_run(1), runs.get_run(2)
            assert two.started_at >= one.finished_at  # one at a time, in order
            assert runs.get_run(3).n_epochs == runs.get_run(4).n_epochs == 0
        stop_queue(store)
        assert [run_row(store, n)[0] for n in (2, 3, 4)] == ["cancelled"] * 3
    finally:
        tmux("kill-session", "-t", a, check=False)
        tmux("kill-session", "-t", b, check=False)
        stop_runner(store)
