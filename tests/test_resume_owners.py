"""One owner per sweep and per queued run, as a user meets it: real ``perceptune sweep``
and ``resume`` processes on real stores, SIGSTOP to hold a live sweep, kill -9 for an
owner that dies. A live sweep is left to its process; what a dead process left is
``interrupted`` and resumed; a sweep whose data file is missing waits for it; a bad
sweep never blocks the others."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from core.executors import InlineExecutor
from core.search.engine import SweepProgress, pending_work, run_sweep
from core.search.sweepfile import parse_sweep
from core.store import RunStore

HOST = socket.gethostname()
INLINE = ("--executor", "inline", "--workers", "1", "--quiet")

#: Four points that train long enough to be caught mid-way (inline: no worker processes).
LONG = """
[dataset]
name = "moons"
n_samples = 200

[fixed]
tol = 0
n_iter_no_change = 100000

[space]
lr = [0.01, 0.1]
epochs = [{epochs}]
layers = [[8], [16]]
"""

#: A TPE sweep that asks for a network too large for memory (seed 0 does, twice).
TOO_LARGE_TPE = """
[dataset]
name = "moons"
n_samples = 100

[search]
strategy = "tpe"
trials = 3
seed = 0

[fixed]
epochs = 2

[space]
layers = [[2], [5000, 5000]]
lr = [0.01, 0.1]
"""


def epochs_stored(path: Path) -> int:
    """Epochs in the store now, read as another process would (0 before it exists)."""
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


def run_owners(path: Path) -> set[int]:
    """The pid that last trained each run (``mark_running`` claims a run for its pid)."""
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT owner_pid FROM runs")}
    finally:
        conn.close()


@contextlib.contextmanager
def sweep_process(tmp_path: Path, store: Path, cli_env: dict[str, str], text: str):
    """``perceptune sweep`` in its own process group, yielded once it trains."""
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(textwrap.dedent(text))
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "sweep", str(sweep), "--store", str(store), *INLINE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while epochs_stored(store) < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep never started training"
            time.sleep(0.02)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGCONT)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)


def test_resume_leaves_a_live_sweep_to_its_process(
    tmp_path: Path, cli_env: dict[str, str], run_cli
) -> None:
    store = tmp_path / "s.db"
    with sweep_process(tmp_path, store, cli_env, LONG.format(epochs=150)) as proc:
        os.kill(proc.pid, signal.SIGSTOP)  # alive, and holds still while we look
        resumed = run_cli("resume", "--store", str(store), *INLINE, cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stderr.splitlines() == [
            f"Skipped: sweep 1 is running in process {proc.pid} on {HOST}; left to it"
        ]
        assert resumed.stdout == f"Nothing to resume in {store}.\n"
        listed = run_cli("sweeps", "--store", str(store), "--json", cwd=tmp_path)
        assert [s["status"] for s in json.loads(listed.stdout)] == ["running"]
        with RunStore(store) as runs:  # what a second TUI asks before offering a resume
            assert pending_work(runs)[0] == []
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.startswith('Sweep 1 "sweep": grid, 4 points (4 done)')
    with RunStore(store) as runs:
        records = runs.list_runs()
        assert len(records) == 4 and {r.status for r in records} == {"done"}
        assert runs.get_sweep(1)["status"] == "done" and runs.get_sweep(1)["owner"] is None
    # Every point trained once, by the sweep's process: resume started none of them.
    assert run_owners(store) == {proc.pid}


def test_sweep_of_a_killed_process_reads_interrupted_and_resumes(
    tmp_path: Path, cli_env: dict[str, str], run_cli
) -> None:
    store = tmp_path / "s.db"
    with sweep_process(tmp_path, store, cli_env, LONG.format(epochs=15)) as proc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    listed = run_cli("sweeps", "--store", str(store), cwd=tmp_path)
    (row,) = listed.stdout.splitlines()[1:]
    assert row.split()[:2] == ["1", "interrupted"]
    assert row.endswith(f"(process {proc.pid} on {HOST} ended while it was running the sweep)")
    resumed = run_cli("resume", "--store", str(store), *INLINE, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith('Sweep 1 "sweep": done, 4 points\nBest: run ')
    with RunStore(store) as runs:
        assert {r.status for r in runs.list_runs()} == {"done"}
        assert runs.get_sweep(1)["status"] == "done"


QUEUE = """
import sys, time
from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.runner import Runner
from core.store import RunStore

store = RunStore(sys.argv[1])
runner = Runner(store, InlineExecutor(1))  # what the TUI's queue stores runs with
data = DatasetSpec(name="moons", n_samples=120)
ids = [runner.enqueue(RunConfig.from_mapping({"epochs": e}), data) for e in (3, 4)]
print(*ids, flush=True)
time.sleep(120)
"""


def test_queued_runs_of_a_killed_process_are_resumed(
    tmp_path: Path, cli_env: dict[str, str], run_cli
) -> None:
    store = tmp_path / "s.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", QUEUE, str(store)],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert proc.stdout is not None
        ids = [int(word) for word in proc.stdout.readline().split()]
        assert len(ids) == 2, "the queueing process failed"
        # Its owner lives: the runs wait in its queue, nothing to resume.
        listed = run_cli("runs", "--store", str(store), "--json", cwd=tmp_path)
        assert [r["status"] for r in json.loads(listed.stdout)] == ["queued", "queued"]
        idle = run_cli("resume", "--store", str(store), *INLINE, cwd=tmp_path)
        assert idle.stdout == f"Nothing to resume in {store}.\n"
    finally:
        proc.kill()  # SIGKILL: no handler runs, nothing is cleaned up
        proc.wait(10)
        proc.stdout.close()
    listed = run_cli("runs", "--store", str(store), "--json", cwd=tmp_path)
    runs = json.loads(listed.stdout)
    assert [r["status"] for r in runs] == ["interrupted", "interrupted"]
    assert {r["stop_reason"] for r in runs} == {
        f"interrupted: queued by process {proc.pid} on {HOST}, which ended before it ran"
    }
    resumed = run_cli("resume", "--store", str(store), *INLINE, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == f"Reran 2 interrupted run(s): {ids[0]}, {ids[1]}\n"
    listed = run_cli("runs", "--store", str(store), "--json", cwd=tmp_path)
    assert [(r["status"], r["n_epochs"]) for r in json.loads(listed.stdout)] == [
        ("done", 3),
        ("done", 4),
    ]


# -- a too-large network: refused up front, failed mid-sweep, never blocks resume ------


@pytest.mark.parametrize(
    ("strategy", "layers", "message"),
    [
        (
            "random",
            "{ count = [1, 3], units = [4, 4096] }",
            "[space].layers: the largest network it allows (3 layers of 4,096 neurons): "
            "network too large for memory: 33,869,834 weights; at most 20,000,000 "
            "(fewer or smaller layers)",
        ),
        (
            "tpe",
            "[[2], [5000, 5000]]",
            "[space].layers: network too large for memory: 25,380,010 weights; at most "
            "20,000,000 (fewer or smaller layers)",
        ),
    ],
)
def test_a_space_allowing_a_too_large_network_is_refused(
    tmp_path: Path, run_cli, strategy: str, layers: str, message: str
) -> None:
    sweep = tmp_path / "big.toml"
    sweep.write_text(f'[search]\nstrategy = "{strategy}"\ntrials = 2\n[space]\nlayers = {layers}\n')
    store = tmp_path / "s.db"
    result = run_cli("sweep", str(sweep), "--store", str(store), *INLINE, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"perceptune: {sweep}: {message}"]
    assert not store.exists()  # nothing stored


def stored_sweep(store: RunStore, text: str) -> int:
    """A sweep stored as the TUI's builder stores one (no CLI checks), left interrupted."""
    sweep_id = store.create_sweep(parse_sweep(textwrap.dedent(text)).to_dict())
    store.set_sweep_status(sweep_id, "interrupted")
    return sweep_id


def test_bad_points_and_bad_sweeps_never_block_resume(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "s.db"
    too_large = "network too large for memory: 25,020,001 weights; at most 20,000,000"
    with RunStore(path) as store:
        # Every point of this one too large: it stops, and the others still go on.
        # (parse_sweep refuses it now: stored as by a perceptune without the check)
        spec = parse_sweep(
            TOO_LARGE_TPE.replace("epochs = 2", "layers = [2]").replace(
                "layers = [[2], [5000, 5000]]\n", ""
            )
        ).to_dict()
        spec["fixed"]["layers"] = [5000, 5000]
        fixed = store.create_sweep(spec)
        store.set_sweep_status(fixed, "interrupted")
        tpe = stored_sweep(store, TOO_LARGE_TPE.replace("[[2], [5000, 5000]]", "[[2], [3]]"))
        tpe_bad_points = stored_sweep(store, TOO_LARGE_TPE)
        grid = stored_sweep(store, LONG.format(epochs=3))
        # A grid of a too-large network stored by a perceptune without the check.
        spec = parse_sweep("[space]\nlr = [0.1]\n").to_dict()
        spec["space"] = {"layers": [[5000, 5000]]}
        broken = store.create_sweep(spec)
        store.set_sweep_status(broken, "interrupted")
    result = run_cli("resume", "--store", str(path), *INLINE, cwd=tmp_path)
    # Both bad sweeps are named and left alone; the good ones finish (exit 0).
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "Resuming sweep 2 (tpe)",
        "Resuming sweep 3 (tpe)",
        "Resuming sweep 4 (grid)",
        f"Skipped: sweep {fixed}: layers: {too_large} (fewer or smaller layers)",
        f"Skipped: sweep {broken}: [space].layers: {too_large} (fewer or smaller layers)",
    ]
    with RunStore(path) as store:
        points = store.list_runs(sweep_id=tpe_bad_points)
        failed = [r for r in points if r.status == "failed"]
        assert len(points) == 3 and failed and any(r.status == "done" for r in points)
        for record in failed:
            assert record.params["layers"] == [5000, 5000]
            assert record.error == f"invalid point: layers: {too_large} (fewer or smaller layers)"
        for sweep_id in (tpe, grid):
            assert {r.status for r in store.list_runs(sweep_id=sweep_id)} == {"done"}
        assert [store.get_sweep(i)["status"] for i in (fixed, tpe, tpe_bad_points, grid)] == [
            "interrupted",
            "done",
            "done",
            "done",
        ]
        # Never left running: the next resume (or TUI) may try it again.
        assert store.get_sweep(broken)["status"] == "interrupted"


# -- a data file missing at resume time ---------------------------------------------------


def write_csv(path: Path) -> None:
    rows = ["x1,x2,label"]
    rows += [f"{i % 7},{(i * 3) % 11},{'a' if i % 2 else 'b'}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")


def test_missing_csv_keeps_the_sweep_resumable_until_it_is_back(tmp_path: Path, run_cli) -> None:
    csv = tmp_path / "points.csv"
    write_csv(csv)
    text = f'[dataset]\ntrain = "{csv}"\n[space]\nlr = [0.01, 0.03, 0.1]\nepochs = [3]\n'
    path = tmp_path / "s.db"

    def interrupt(progress: SweepProgress) -> None:
        if progress.done >= 1 and threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt

    executor = InlineExecutor(1)
    with RunStore(path) as store, pytest.raises(KeyboardInterrupt):
        run_sweep(store, parse_sweep(text), executor, on_progress=interrupt)
    with RunStore(path) as store:
        run = store.create_run({"epochs": 3}, {"train": str(csv)}, status="interrupted")
    executor.shutdown()
    csv.unlink()

    result = run_cli("resume", "--store", str(path), *INLINE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    missing = f"data file {csv} is missing; resume it once it is back"
    assert result.stderr.splitlines() == [
        f"Skipped: sweep 1: {missing}",
        f"Skipped: run {run}: {missing}",
    ]
    listed = json.loads(run_cli("sweeps", "--store", str(path), "--json").stdout)
    assert [(s["status"], s["reason"]) for s in listed] == [
        ("interrupted", f"data file {csv} is missing")
    ]
    with RunStore(path) as store:
        assert "failed" not in {r.status for r in store.list_runs()}

    write_csv(csv)
    result = run_cli("resume", "--store", str(path), *INLINE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("Sweep 1: done, 3 points")
    assert result.stdout.splitlines()[1].startswith("Best: run ")
    assert result.stdout.splitlines()[2] == f"Reran 1 interrupted run(s): {run}"
    with RunStore(path) as store:
        assert {r.status for r in store.list_runs()} == {"done"}
        assert store.get_sweep(1)["reason"] == ""


def test_data_file_gone_mid_sweep_interrupts_it(tmp_path: Path) -> None:
    from core import worker
    from core.search.engine import DataUnavailable, resume

    csv = tmp_path / "points.csv"
    write_csv(csv)
    text = f'[dataset]\ntrain = "{csv}"\n[space]\nlr = [0.01, 0.03, 0.1]\nepochs = [3]\n'
    moved = tmp_path / "moved.csv"

    def take_the_file(progress: SweepProgress) -> None:
        if progress.done == 1 and csv.exists():
            csv.rename(moved)
            worker._DATASET_CACHE.clear()  # as a worker process that never loaded it

    executor = InlineExecutor(1)
    try:
        with RunStore(tmp_path / "s.db") as store:
            with pytest.raises(DataUnavailable, match=f"data file {csv} is missing"):
                run_sweep(store, parse_sweep(text), executor, on_progress=take_the_file)
            sweep = store.get_sweep(1)
            assert (sweep["status"], sweep["reason"]) == (
                "interrupted",
                f"data file {csv} is missing",
            )
            statuses = sorted(r.status for r in store.list_runs())
            assert statuses == ["done", "interrupted", "queued"]  # the failed one is redone
            moved.rename(csv)
            assert resume(store, executor).sweeps == [1]
            assert {r.status for r in store.list_runs()} == {"done"}
    finally:
        executor.shutdown()
