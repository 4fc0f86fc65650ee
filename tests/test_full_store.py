"""A full disk while training: the run (or sweep) stops at the first refused write,
says so in one line, exits 1, and stays resumable with what was stored.

The disk is made full for real as far as SQLite can tell: every connection the
perceptune process opens gets ``PRAGMA max_page_count`` a few pages above the store's
size, so SQLite itself answers SQLITE_FULL ("database or disk is full"), exactly what a
full filesystem gives. Nothing of perceptune is replaced.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.search.engine import pending_work
from core.store import RunStore

#: ``python -c`` program: the perceptune CLI with every SQLite database it opens
#: limited to ``LIMIT`` pages (the first argument).
FULL_DISK_CLI = """
import sqlite3, sys

limit = int(sys.argv.pop(1))
connect = sqlite3.connect

def limited(*args, **kwargs):
    conn = connect(*args, **kwargs)
    conn.execute(f"PRAGMA max_page_count = {limit}")
    return conn

sqlite3.connect = limited
from core.cli import main

sys.exit(main())
"""


SWEEP = """
[dataset]
name = "moons"
n_samples = 200
[search]
strategy = "grid"
workers = 2
[fixed]
tol = 0
n_iter_no_change = 200
epochs = 200
[space]
lr = [0.001, 0.002, 0.003, 0.004]
"""


def small_store(path: Path) -> int:
    """An empty store at ``path``; returns the pages it holds."""
    RunStore(path).close()
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA page_count").fetchone()[0]
    finally:
        conn.close()


def on_full_disk(
    store: Path, cli_env: dict[str, str], room: int, *args: str
) -> subprocess.CompletedProcess[str]:
    """``perceptune ARGS --store STORE`` with room for ``room`` more pages only (one
    holds about 120 epochs)."""
    limit = small_store(store) + room
    return subprocess.run(
        [sys.executable, "-c", FULL_DISK_CLI, str(limit), *args, "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env,
        cwd=store.parent,
    )


@pytest.mark.slow
def test_a_full_disk_stops_the_run_in_one_line_and_resume_finishes_it(
    tmp_path: Path, cli_env: dict[str, str], run_cli
) -> None:
    store = tmp_path / "runs.db"
    epochs = "300"
    flags = ["--samples", "200", "--epochs", epochs, "--tol", "0", "--n-iter-no-change", epochs]
    result = on_full_disk(store, cli_env, 1, "run", "--dataset", "moons", *flags)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()  # not one line per epoch, no traceback
    assert line.startswith(f"perceptune: run 1 stopped: store {store}: database or disk is full")
    assert "left interrupted" in line and f"perceptune resume --store {store}" in line

    with RunStore(store) as runs:
        record = runs.get_run(1)
        curve = runs.curve(1)
        assert record.status == "interrupted"
        assert "database or disk is full" in record.stop_reason
        assert 0 < record.n_epochs == len(curve) < int(epochs)
        assert [p.epoch for p in curve] == list(range(1, len(curve) + 1))
        _, resumable = pending_work(runs)
        assert [r.id for r in resumable] == [1]

    again = run_cli("resume", "--store", str(store), "--quiet", "--executor", "inline")
    assert again.returncode == 0, again.stderr
    with RunStore(store) as runs:
        record = runs.get_run(1)
        assert record.status == "done"
        assert record.n_epochs == len(runs.curve(1)) == int(epochs)


@pytest.mark.slow
def test_a_full_disk_stops_a_sweep_in_one_line_and_resume_finishes_it(
    tmp_path: Path, cli_env: dict[str, str], run_cli
) -> None:
    store = tmp_path / "runs.db"
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(SWEEP, encoding="utf-8")
    result = on_full_disk(store, cli_env, 2, "sweep", str(sweep), "--quiet")
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("perceptune: sweep 1 stopped at run ")
    assert "database or disk is full" in line
    assert line.endswith(f"`perceptune resume --store {store}` finishes it")

    with RunStore(store) as runs:
        statuses = [r.status for r in runs.list_runs()]
        assert "done" not in statuses and "interrupted" in statuses
        sweeps, _ = pending_work(runs)
        assert [s["id"] for s in sweeps] == [1]

    again = run_cli("resume", "--store", str(store), "--quiet", "--executor", "inline")
    assert again.returncode == 0, again.stderr
    assert 'Sweep 1 "sweep": done, 4 points' in again.stdout
    with RunStore(store) as runs:
        assert [r.status for r in runs.list_runs()] == ["done"] * 4
        assert runs.get_sweep(1)["status"] == "done"
