"""The sweep engine: pruning, points read off curves, interrupts, kill -9 and resume."""

from __future__ import annotations

import contextlib
import os
import re
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

from core.cli import main
from core.executors import InlineExecutor, ProcessExecutor
from core.results import EpochPoint
from core.search.engine import SweepProgress, SweepStopped, resume, run_sweep
from core.search.epochs import derive
from core.search.pruning import HalvingPruner, MedianPruner
from core.search.sweepfile import parse_sweep
from core.store import RunStore

PRUNED = """
[dataset]
name = "moons"
n_samples = 200

[search]
prune = "{prune}"
prune_min_epochs = 3
prune_eta = 3

[space]
layers = [[4], [16]]
lr = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
epochs = [9, 27]
"""

HALVING_REASON = re.compile(
    r"pruned at epoch (\d+) \(rung (\d)\): test [01]\.\d{3} not in the top 1/3 of \d+ runs "
    r"at this rung \(needs >= [01]\.\d{3}\)"
)
MEDIAN_REASON = re.compile(
    r"pruned at epoch (\d+) \(rung (\d)\): test [01]\.\d{3} < median [01]\.\d{3} "
    r"of \d+ completed runs"
)


def sweep_inline(store: RunStore, text: str, workers: int = 1, **kwargs) -> int:
    executor = InlineExecutor(workers)
    try:
        return run_sweep(store, parse_sweep(textwrap.dedent(text)), executor, **kwargs)
    finally:
        executor.shutdown()


@pytest.mark.parametrize(
    ("prune", "reason"),
    [("halving", HALVING_REASON), ("median", MEDIAN_REASON)],
    ids=["halving", "median"],
)
def test_pruned_runs_say_when_and_why(tmp_path: Path, prune: str, reason: re.Pattern) -> None:
    with RunStore(tmp_path / "s.db") as store:
        sweep_id = sweep_inline(store, PRUNED.format(prune=prune))
        records = store.list_runs(sweep_id=sweep_id)
        assert len(records) == 24
        trained = [r for r in records if "read off" not in r.stop_reason]
        pruned = [r for r in trained if r.status == "pruned"]
        assert pruned, "a sweep of poor and good learning rates should prune some"
        assert any(r.status == "done" for r in trained)
        for record in pruned:
            match = reason.fullmatch(record.stop_reason)
            assert match, record.stop_reason
            epoch, rung = int(match[1]), int(match[2])
            assert (epoch, rung) in ((3, 1), (9, 2))
            # In-process the run stops right after the epoch that was judged.
            assert record.n_epochs == epoch
            assert [p.epoch for p in store.curve(record.id)] == list(range(1, epoch + 1))
            assert record.verdict is not None
        # The 9-epoch twin of a run pruned at epoch 3 shares its fate; at epoch 9 it is
        # a finished point read off the curve.
        twins = {r.label.replace("ep=9 ", "ep=27 "): r for r in records if " ep=9 " in r.label}
        for record in pruned:
            twin = twins[record.label]
            if record.n_epochs < 9:
                assert twin.status == "pruned" and twin.stop_reason.startswith(record.stop_reason)
            else:
                assert twin.status == "done" and twin.n_epochs == 9
        assert store.get_sweep(sweep_id)["status"] == "done"


def test_process_pool_sweep_prunes_and_scores_like_inline(tmp_path: Path) -> None:
    text = textwrap.dedent(PRUNED.format(prune="halving"))
    with RunStore(tmp_path / "p.db") as store:
        executor = ProcessExecutor(2).start(warm=True)
        try:
            sweep_id = run_sweep(store, parse_sweep(text), executor)
        finally:
            executor.shutdown()
        pooled = {r.point_key: r for r in store.list_runs(sweep_id=sweep_id)}
    with RunStore(tmp_path / "i.db") as store:
        sweep_id = sweep_inline(store, PRUNED.format(prune="none"))
        inline = {r.point_key: r for r in store.list_runs(sweep_id=sweep_id)}
    assert pooled.keys() == inline.keys()
    statuses = {r.status for r in pooled.values()}
    assert statuses <= {"done", "pruned"} and "done" in statuses
    for key, record in pooled.items():
        if record.status == "done":
            # Same config and seed: the same scores in a worker process as in-process.
            assert (record.train_accuracy, record.test_accuracy) == (
                inline[key].train_accuracy,
                inline[key].test_accuracy,
            )
        else:
            match = HALVING_REASON.match(record.stop_reason)
            assert match, record.stop_reason
            # The worker learns of the verdict after the epoch it is in.
            assert record.n_epochs >= int(match[1])


def flat(accuracy: float, epochs: int) -> list[EpochPoint]:
    return [EpochPoint(e, accuracy, accuracy, 1.0) for e in range(1, epochs + 1)]


def test_halving_keeps_the_top_third_and_remembers_earlier_runs() -> None:
    pruner = HalvingPruner(min_epochs=2, eta=3)  # rungs 2, 6, 18 for 20 epochs
    for accuracy in (0.9, 0.8, 0.7):  # runs of an earlier process, pruned at epoch 6
        pruner.seed(flat(accuracy, 6), 20, "pruned")
    pruner.start(1, 20)
    assert pruner.report(1, EpochPoint(1, 0.1, 0.1, 1.0)) is None  # not a rung
    assert pruner.report(1, EpochPoint(2, 0.85, 0.85, 1.0)) == (
        "pruned at epoch 2 (rung 1): test 0.850 not in the top 1/3 of 4 runs at this "
        "rung (needs >= 0.900)"
    )
    pruner.start(2, 20)
    assert pruner.report(2, EpochPoint(2, 0.95, 0.95, 1.0)) is None  # the new best


def test_median_compares_with_completed_runs_at_the_same_epoch() -> None:
    pruner = MedianPruner(min_epochs=2, eta=3)  # rungs 2, 6 for 10 epochs
    pruner.seed(flat(0.6, 10), 10, "done")
    pruner.seed(flat(0.7, 4), 10, "done")  # scikit-learn stopped it at 4: 0.7 at 6 too
    pruner.start(1, 10)
    assert pruner.report(1, EpochPoint(6, 0.1, 0.1, 1.0)) is None  # 2 completed: too few
    pruner.seed(flat(0.8, 10), 10, "done")
    pruner.seed(flat(0.99, 10), 10, "pruned")  # not completed: no say
    assert pruner.report(1, EpochPoint(6, 0.65, 0.65, 1.0)) == (
        "pruned at epoch 6 (rung 2): test 0.650 < median 0.700 of 3 completed runs"
    )
    assert pruner.report(1, EpochPoint(2, 0.75, 0.75, 1.0)) is None


def test_derive_follows_fit() -> None:
    curve = [EpochPoint(e, e / 10, e / 20, 1.0 / e) for e in range(1, 8)]
    # Went past the point: the point's epoch is its end.
    cut = derive(curve, 5, status="pruned", stop_reason="pruned at epoch 7")
    assert (cut.status, [p.epoch for p in cut.curve]) == ("done", [1, 2, 3, 4, 5])
    # scikit-learn stopped at 7 (tol): fit(max_iter=10) stops there too.
    tol = derive(curve, 10, status="done", stop_reason="stopped at epoch 7: ...")
    assert (tol.status, len(tol.curve)) == ("done", 7)
    assert tol.stop_reason.startswith("stopped at epoch 7")
    # Diverged at 8 (not in the curve): point 10 diverged too, point 7 did not.
    assert derive(curve, 10, status="diverged", stop_reason="diverged").status == "diverged"
    assert derive(curve, 7, status="diverged", stop_reason="diverged").status == "done"


def test_progress_reports_points_best_and_eta(tmp_path: Path) -> None:
    reports: list[SweepProgress] = []
    with RunStore(tmp_path / "s.db") as store:
        sweep_inline(store, PRUNED.format(prune="none"), on_progress=reports.append)
    last = reports[-1]
    assert (last.done, last.total, last.running) == (24, 24, 0)
    assert last.best_test_accuracy is not None and last.best_run_id is not None
    assert [r.done for r in reports] == sorted(r.done for r in reports)
    assert any(r.eta_s is not None for r in reports)


GRID = """
[dataset]
name = "moons"
n_samples = 300

[space]
layers = [[16], [32, 32]]
lr = [0.001, 0.003, 0.01, 0.03]
activation = ["relu", "tanh"]
epochs = [{short}, {long}]
"""


WORKERS = ("--workers", "2", "--quiet")


def finished_runs(path: Path) -> dict[int, tuple[str, float, int]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT id, status, finished_at, n_epochs FROM runs WHERE status IN"
            " ('done', 'pruned', 'diverged', 'failed')"
        ).fetchall()
    finally:
        conn.close()
    return {row[0]: tuple(row[1:]) for row in rows}


def check_complete(store: RunStore, sweep_id: int, n_points: int) -> None:
    records = store.list_runs(sweep_id=sweep_id)
    assert len(records) == n_points
    assert len({r.point_key for r in records}) == n_points
    assert {r.status for r in records} == {"done"}
    for record in records:
        assert [p.epoch for p in store.curve(record.id)] == list(range(1, record.n_epochs + 1))
    assert store.get_sweep(sweep_id)["status"] == "done"
    assert store.integrity_check() == "ok"


def test_interrupted_sweep_resumes_without_redoing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    text = GRID.format(short=5, long=15)

    def interrupt(progress: SweepProgress) -> None:
        if progress.done >= 6 and threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt

    with RunStore(path) as store, pytest.raises(KeyboardInterrupt):
        sweep_inline(store, text, on_progress=interrupt)
    before = finished_runs(path)
    assert 6 <= len(before) < 32
    with RunStore(path) as store:
        (sweep,) = store.list_sweeps()
        assert sweep["status"] == "interrupted"
        executor = InlineExecutor(1)
        try:
            report = resume(store, executor)
        finally:
            executor.shutdown()
        assert report.sweeps == [sweep["id"]]
        check_complete(store, sweep["id"], 32)
    after = finished_runs(path)
    assert {run_id: after[run_id] for run_id in before} == before  # nothing done twice


def test_kill_9_then_resume_completes_each_point_once(tmp_path: Path, cli_env) -> None:
    path = tmp_path / "s.db"
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(textwrap.dedent(GRID.format(short=100, long=200)))
    code = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"
    child = subprocess.Popen(
        [sys.executable, "-c", code, "sweep", str(sweep), "--store", str(path), *WORKERS],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: its workers go with it
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            if path.exists() and len(_safe_finished(path)) >= 3:
                break
            time.sleep(0.05)
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        # The workers and the forkserver of the killed sweep: ours to end.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
        if child.stderr:
            child.stderr.close()
    before = finished_runs(path)
    assert 3 <= len(before) < 32, "the sweep should be killed half way"

    with RunStore(path) as store:
        (sweep_row,) = store.list_sweeps()
        # The killed process owned it: reconciled on open, with who ended.
        assert sweep_row["status"] == "interrupted"
        assert sweep_row["reason"] == (
            f"process {child.pid} on {socket.gethostname()} ended while it was running the sweep"
        )
        assert sweep_row["owner"] is None
        assert store.count_runs(statuses=["running"]) == 0  # reconciled on open
        assert store.count_runs(statuses=["interrupted"]) >= 1  # the runs in flight
    code = main(["resume", "--store", str(path), "--executor", "inline", "--quiet"])
    assert code == 0
    with RunStore(path) as store:
        check_complete(store, sweep_row["id"], 32)
    after = finished_runs(path)
    assert {run_id: after[run_id] for run_id in before} == before  # nothing done twice


def _safe_finished(path: Path) -> dict:
    try:
        return finished_runs(path)
    except sqlite3.Error:  # the schema is being created
        return {}


TINY = """
[dataset]
name = "moons"
n_samples = 120

[space]
lr = [0.01, 0.1]
epochs = [3]
"""


def test_resume_runs_flag_is_obeyed_whatever_the_sweeps(tmp_path: Path) -> None:
    spec = parse_sweep(textwrap.dedent(TINY))
    executor = InlineExecutor(1)
    try:
        with RunStore(tmp_path / "s.db") as store:
            alone = store.create_run({"epochs": 3}, {"name": "moons", "n_samples": 120})
            store.set_status(alone, "interrupted")
            # A sweep with stored points, stopped before any trained.
            with contextlib.suppress(SweepStopped):
                run_sweep(store, spec, executor, should_stop=lambda: "interrupted")
            report = resume(store, executor, runs=False)  # the TUI queues runs itself
            assert (report.sweeps, report.runs) == ([1], [])
            assert store.get_run(alone).status == "interrupted"
            # A sweep stopped before it stored a point: the runs still come after it.
            empty = store.create_sweep(spec.to_dict())
            store.set_sweep_status(empty, "interrupted")
            report = resume(store, executor)
            assert (report.sweeps, report.runs) == ([empty], [alone])
            assert store.get_run(alone).status == "done"
    finally:
        executor.shutdown()
