"""Stopping a real ``perceptune run`` / ``sweep`` mid-training.

kill -9 leaves a sound store (integrity ok, finished epochs kept, the run reported
``interrupted``) and no process behind: the pool's workers, the forkserver and the
resource tracker die with perceptune. Ctrl-C, SIGTERM and SIGHUP stop the runs
between epochs and leave them ``interrupted``, which ``resume`` picks up."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_tree import command, descendants, kill_all, wait_until_gone

from core.search.engine import pending_work
from core.store import RunStore

#: Two long points, trained at once by two workers.
LONG_SWEEP = """
[dataset]
name = "digits"
[search]
strategy = "grid"
workers = 2
[fixed]
tol = 0
n_iter_no_change = 5000
epochs = 5000
[space]
layers = [[32, 32], [16]]
"""


def stored_epochs(path: Path) -> int:
    """Epochs the store holds now, read the way another process would (read-only)."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM epochs").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or mid-migration
        return 0


def start_cli(store: Path, cli_env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """``perceptune ARGS --store STORE`` in its own session (as a shell job would be),
    returned once the store holds 3 epochs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", *args, "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        cwd=store.parent,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while stored_epochs(store) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never reached 3 epochs"
            time.sleep(0.05)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return proc


def start_run(store: Path, cli_env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    """A long ``perceptune run``, returned once it has stored 3 epochs."""
    args = ["--dataset", "digits", "--layers", "32,32", "--epochs", "5000"]
    return start_cli(
        store, cli_env, "run", *args, "--tol", "0", "--n-iter-no-change", "5000", *extra
    )


def start_sweep(store: Path, cli_env: dict[str, str]) -> subprocess.Popen[str]:
    """A long two-worker ``perceptune sweep``, returned once it has stored 3 epochs."""
    sweep = store.parent / "long.toml"
    sweep.write_text(LONG_SWEEP, encoding="utf-8")
    return start_cli(store, cli_env, "sweep", str(sweep))


def stop(proc: subprocess.Popen[str], signum: int, group: bool) -> tuple[set[int], str]:
    """Send ``signum`` to perceptune alone or (as a terminal does) to its process
    group; returns the processes it had started (gathered before) and its stderr."""
    below = descendants(proc.pid)
    try:
        if group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        # Output pipes stay open while any child holding them lives: no orphans is
        # also what lets this return.
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        kill_all(wait_until_gone(below, timeout=10))
    return below, err


def assert_no_orphans(below: set[int]) -> None:
    assert below, "perceptune had started no process"
    left = wait_until_gone(below, timeout=10)
    assert not left, "still running: " + "; ".join(command(pid) for pid in left)


@pytest.mark.slow
def test_kill_9_mid_run_keeps_epochs_marks_it_interrupted_and_leaves_no_worker(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    store = tmp_path / "runs.db"
    proc = start_run(store, cli_env)
    seen = stored_epochs(store)
    below, _ = stop(proc, signal.SIGKILL, group=False)  # perceptune only, not its workers
    assert proc.returncode == -signal.SIGKILL
    assert_no_orphans(below)

    conn = sqlite3.connect(store)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()

    with RunStore(store) as runs:
        (record,) = runs.list_runs()
        curve = runs.curve(record.id)
        assert runs.integrity_check() == "ok"
    assert record.status == "interrupted"
    assert "interrupted" in record.stop_reason
    assert len(curve) >= seen >= 3
    assert [p.epoch for p in curve] == list(range(1, len(curve) + 1))
    assert len(curve) < 5000
    assert record.train_accuracy == curve[-1].train_accuracy
    assert record.test_accuracy == curve[-1].test_accuracy
    assert all(0 <= p.test_accuracy <= 1 for p in curve)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "group", "executor"),
    [
        (signal.SIGINT, True, "process"),  # Ctrl-C: the terminal signals the whole group
        (signal.SIGINT, True, "inline"),
        (signal.SIGTERM, False, "process"),  # kill PID, systemd, docker stop
        (signal.SIGTERM, True, "process"),  # a shell's `kill %1`: workers get it too
        (signal.SIGHUP, True, "process"),  # the terminal or SSH session went away
    ],
    ids=["ctrl-c", "ctrl-c-inline", "sigterm", "sigterm-group", "sighup"],
)
def test_a_signal_leaves_the_run_interrupted_for_resume(
    tmp_path: Path, cli_env: dict[str, str], signum: int, group: bool, executor: str
) -> None:
    store = tmp_path / "runs.db"
    proc = start_run(store, cli_env, "--executor", executor)
    below, err = stop(proc, signum, group)
    assert proc.returncode == 128 + signum
    (line,) = err.strip().splitlines()
    assert line.startswith("perceptune: ")
    assert "run 1 is left interrupted" in line and "perceptune resume" in line
    if executor == "process":
        assert_no_orphans(below)
    with RunStore(store) as runs:
        (record,) = runs.list_runs()
        curve = runs.curve(record.id)
        # Not "done": scikit-learn's fit swallows KeyboardInterrupt and returns early;
        # not "cancelled", which resume leaves alone.
        assert record.status == "interrupted"
        assert 3 <= record.n_epochs == len(curve) < 5000
        _, resumable = pending_work(runs)
    assert [r.id for r in resumable] == [record.id]


@pytest.mark.slow
def test_kill_9_mid_sweep_leaves_no_worker_forkserver_or_tracker(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    store = tmp_path / "runs.db"
    proc = start_sweep(store, cli_env)
    below, _ = stop(proc, signal.SIGKILL, group=False)
    # The forkserver, the resource tracker and two workers below it.
    assert len(below) >= 4, [command(pid) for pid in below]
    assert_no_orphans(below)
    with RunStore(store) as runs:
        sweeps, _ = pending_work(runs)
        assert [s["id"] for s in sweeps] == [1]
        assert {r.status for r in runs.list_runs()} == {"interrupted"}


@pytest.mark.slow
def test_sigterm_mid_sweep_stops_it_cleanly_and_resumably(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    store = tmp_path / "runs.db"
    proc = start_sweep(store, cli_env)
    below, err = stop(proc, signal.SIGTERM, group=False)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == [
        f"perceptune: sweep 1 terminated (SIGTERM); `perceptune resume --store {store}` finishes it"
    ]
    assert_no_orphans(below)
    with RunStore(store) as runs:
        assert runs.get_sweep(1)["status"] == "interrupted"
        records = runs.list_runs()
        assert [r.status for r in records] == ["interrupted", "interrupted"]
        assert all(r.n_epochs < 5000 for r in records)
        assert sum(r.n_epochs for r in records) >= 3
        sweeps, _ = pending_work(runs)
    assert [s["id"] for s in sweeps] == [1]
