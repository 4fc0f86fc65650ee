"""Killing a real ``perceptune run`` mid-training: kill -9 leaves a sound store
(integrity ok, finished epochs kept, the run reported ``interrupted``); Ctrl-C cancels
the run between epochs and records it ``cancelled``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.store import RunStore


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


def start_run(store: Path, cli_env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    """A long ``perceptune run`` in its own process group (as a shell job would be),
    returned once the store holds 3 of its epochs."""
    args = ["--dataset", "digits", "--layers", "32,32", "--epochs", "5000"]
    args += ["--tol", "0", "--n-iter-no-change", "5000", "--store", str(store), *extra]
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        cwd=store.parent,
        start_new_session=True,  # its own process group: the pool workers die with it
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


@pytest.mark.slow
def test_kill_9_mid_run_keeps_epochs_and_marks_the_run_interrupted(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    store = tmp_path / "runs.db"
    proc = start_run(store, cli_env)
    seen = stored_epochs(store)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

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
@pytest.mark.parametrize("executor", ["process", "inline"])
def test_ctrl_c_cancels_the_run_between_epochs(
    tmp_path: Path, cli_env: dict[str, str], executor: str
) -> None:
    store = tmp_path / "runs.db"
    proc = start_run(store, cli_env, "--executor", executor)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["perceptune: interrupted"]
    with RunStore(store) as runs:
        (record,) = runs.list_runs()
        curve = runs.curve(record.id)
    # Not "done": scikit-learn's fit swallows KeyboardInterrupt and returns early.
    assert record.status == "cancelled"
    assert 3 <= record.n_epochs == len(curve) < 5000
