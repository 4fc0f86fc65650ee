"""Executors: the same run gives the same curve in-process and in the process pool;
progress streams every epoch in order; runs stop between epochs; the pool is parallel."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import SHUTDOWN_REASON, Executor, InlineExecutor, ProcessExecutor
from core.results import EpochPoint
from core.runner import Runner, StoreWriteError
from core.store import RunStore
from core.worker import RunRequest

MOONS = DatasetSpec(name="moons", n_samples=300)
DIGITS = DatasetSpec(name="digits")
#: Long enough to stop in the middle: no tol stop for its whole length.
LONG = RunConfig(layers=(32, 32), epochs=2000, tol=0, n_iter_no_change=2000)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExecutor]:
    executor = ProcessExecutor(workers=2).start(wait=True)
    yield executor
    executor.shutdown()


@pytest.fixture
def inline() -> Iterator[InlineExecutor]:
    executor = InlineExecutor()
    yield executor
    executor.shutdown()


@pytest.fixture(params=["inline", "pool"], ids=["inline", "process"])
def executor(request: pytest.FixtureRequest) -> Executor:
    """Each of the two local executors in turn: the same behaviour is expected of both."""
    return request.getfixturevalue(request.param)


class Recorder:
    """Collects the progress callbacks of one run (they arrive on an executor thread)."""

    def __init__(self) -> None:
        self.points: list[EpochPoint] = []
        self.threads: set[str] = set()
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.reached = threading.Event()
        self.wanted = 0

    def __call__(self, run_id: int, point: EpochPoint) -> None:
        now = time.perf_counter()
        self.first_at = self.first_at or now
        self.last_at = now
        self.points.append(point)
        self.threads.add(threading.current_thread().name)
        if self.wanted and len(self.points) >= self.wanted:
            self.reached.set()

    def wait_for(self, n: int, timeout: float = 10) -> list[EpochPoint]:
        """The progress pipe may still hold the last epochs when the result is in."""
        deadline = time.monotonic() + timeout
        while len(self.points) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.points


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(epochs=40),
        RunConfig(layers=(64,), solver="sgd", lr=0.1, early_stopping=True, epochs=40),
    ],
    ids=["adam", "sgd-early-stopping"],
)
def test_same_config_and_seed_give_identical_curves_everywhere(
    config: RunConfig, pool: ProcessExecutor, inline: InlineExecutor
) -> None:
    outcomes = []
    for executor in (inline, pool, inline):
        outcome = executor.submit(RunRequest(1, config, MOONS)).result(timeout=60)
        assert outcome.status == "done", outcome.error
        outcomes.append(outcome)
    assert outcomes[0].curve == outcomes[1].curve == outcomes[2].curve
    assert outcomes[0].verdict == outcomes[1].verdict
    assert len(outcomes[0].curve) > 5


def test_progress_gets_every_epoch_in_order_off_the_callers_thread(executor: Executor) -> None:
    recorder = Recorder()
    outcome = executor.submit(RunRequest(7, RunConfig(epochs=30), MOONS), recorder).result(60)
    assert outcome.status == "done"
    points = recorder.wait_for(outcome.n_epochs)
    assert points == outcome.curve
    assert [p.epoch for p in points] == list(range(1, outcome.n_epochs + 1))
    assert threading.current_thread().name not in recorder.threads


def test_cancel_mid_run_keeps_the_epochs_so_far(executor: Executor) -> None:
    recorder = Recorder()
    recorder.wanted = 3
    handle = executor.submit(RunRequest(11, LONG, DIGITS), recorder)
    assert recorder.reached.wait(30), "no progress"
    handle.cancel()
    outcome = handle.result(timeout=30)
    assert outcome.status == "cancelled"
    assert 3 <= outcome.n_epochs < LONG.epochs
    assert [p.epoch for p in outcome.curve] == list(range(1, outcome.n_epochs + 1))
    assert outcome.verdict is None
    assert "cancelled" in outcome.stop_reason


def test_progress_callback_can_prune_a_run(pool: ProcessExecutor) -> None:
    def prune(run_id: int, point: EpochPoint) -> str | None:
        return "test accuracy too low" if point.epoch >= 2 else None

    outcome = pool.submit(RunRequest(12, LONG, DIGITS), prune).result(timeout=30)
    assert outcome.status == "pruned"
    assert "test accuracy too low" in outcome.stop_reason
    assert 2 <= outcome.n_epochs < LONG.epochs


def test_two_runs_on_the_pool_run_at_once_and_both_finish(pool: ProcessExecutor) -> None:
    config = RunConfig(layers=(32, 32), epochs=100, tol=0, n_iter_no_change=100)
    recorders = [Recorder(), Recorder()]
    handles = [
        pool.submit(RunRequest(run_id, config, DIGITS), recorder)
        for run_id, recorder in zip((21, 22), recorders)
    ]
    outcomes = [handle.result(timeout=60) for handle in handles]
    assert [o.status for o in outcomes] == ["done", "done"]
    assert [o.n_epochs for o in outcomes] == [100, 100]
    assert outcomes[0].curve == outcomes[1].curve  # same seed, same data
    for recorder in recorders:
        recorder.wait_for(100)
    first, second = recorders
    assert first.first_at and second.first_at and first.last_at and second.last_at
    # Overlap: each run reported epochs before the other one had finished.
    assert second.first_at < first.last_at and first.first_at < second.last_at


def test_a_failing_run_is_an_outcome_not_an_exception(pool: ProcessExecutor) -> None:
    missing = DatasetSpec(name=None, train="/nonexistent/data.csv")
    outcome = pool.submit(RunRequest(31, RunConfig(epochs=5), missing)).result(timeout=30)
    assert outcome.status == "failed"
    assert "no such file" in outcome.error
    assert outcome.curve == []


@pytest.mark.parametrize("kind", ["inline", "pool"])
def test_a_stopped_run_started_again_runs_to_the_end(kind: str, request) -> None:
    executor = request.getfixturevalue(kind)
    first = executor.submit(RunRequest(77, LONG, MOONS))
    first.stop("cancelled", "by the test")
    assert first.result(timeout=60).status == "cancelled"

    again = executor.submit(RunRequest(77, RunConfig(epochs=15), MOONS))
    outcome = again.result(timeout=60)
    assert outcome.status == "done"
    assert outcome.n_epochs == 15


@pytest.mark.parametrize("kind", ["inline", "process"])
def test_shutdown_leaves_runs_in_flight_interrupted_not_cancelled(kind: str) -> None:
    """Ctrl-C, SIGTERM and quitting shut the executor down: its runs are left for
    ``resume`` (interrupted), unlike a user's cancel."""
    executor = InlineExecutor() if kind == "inline" else ProcessExecutor(1).start()
    recorder = Recorder()
    recorder.wanted = 3
    try:
        handle = executor.submit(RunRequest(41, LONG, MOONS), recorder)
        assert recorder.reached.wait(30), "no progress"
    finally:
        executor.shutdown(wait=True)
    outcome = handle.result(timeout=30)
    assert outcome.status == "interrupted"
    assert outcome.stop_reason.startswith(SHUTDOWN_REASON)
    assert 3 <= outcome.n_epochs < LONG.epochs
    assert outcome.verdict is None


def test_a_store_that_refuses_writes_stops_the_run_once(
    tmp_path, monkeypatch: pytest.MonkeyPatch, inline: InlineExecutor
) -> None:
    """SQLite's own SQLITE_FULL (a page cap on the connection) stops the run at the
    first refused epoch; the run is left interrupted with the epochs stored."""
    path = tmp_path / "runs.db"
    RunStore(path).close()
    conn = sqlite3.connect(path)
    limit = conn.execute("PRAGMA page_count").fetchone()[0] + 1
    conn.close()
    connect = sqlite3.connect

    def full_disk(*args, **kwargs):
        opened = connect(*args, **kwargs)
        opened.execute(f"PRAGMA max_page_count = {limit}")
        return opened

    monkeypatch.setattr(sqlite3, "connect", full_disk)
    store = RunStore(path)
    runner = Runner(store, inline)
    with pytest.raises(StoreWriteError, match="database or disk is full") as error:
        runner.run(LONG, MOONS)
    assert error.value.run_id == 1
    assert runner.store_error is error.value
    record = store.get_run(1)
    assert record.status == "interrupted"
    assert 0 < record.n_epochs == len(store.curve(1)) < LONG.epochs
    runner.close()
    store.close()


def test_a_pool_that_lost_a_worker_takes_new_runs() -> None:
    """A worker killed mid-run (out of memory, kill -9): that run fails, and the next
    one (a sweep's next point) runs on a fresh pool instead of raising."""
    executor = ProcessExecutor(1).start(wait=True)
    try:
        recorder = Recorder()
        recorder.wanted = 3
        handle = executor.submit(RunRequest(51, LONG, MOONS), recorder)
        assert recorder.reached.wait(30), "no progress"
        # This executor's own worker (the module's pool shares the forkserver).
        (worker,) = executor._pool._processes
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            handle.result(timeout=30)
        outcome = executor.submit(RunRequest(52, RunConfig(epochs=5), MOONS)).result(timeout=60)
        assert (outcome.status, outcome.n_epochs) == ("done", 5)
    finally:
        executor.shutdown()


def test_a_worker_killed_inside_a_progress_write_blocks_nothing() -> None:
    """kill -9 can land while a worker holds the progress pipe's write lock (it then
    stays taken for good): the pool's end, the next run and shutdown still go on."""
    executor = ProcessExecutor(1).start(wait=True)
    stuck = executor._progress
    try:
        recorder = Recorder()
        recorder.wanted = 2
        handle = executor.submit(RunRequest(61, LONG, MOONS), recorder)
        assert recorder.reached.wait(30), "no progress"
        # Take the lock as the dying worker would have: its next epoch write waits.
        assert stuck._wlock.acquire(timeout=10)
        (worker,) = executor._pool._processes
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            handle.result(timeout=30)
        after = Recorder()
        outcome = executor.submit(RunRequest(62, RunConfig(epochs=5), MOONS), after)
        assert (outcome.result(timeout=60).status, len(after.wait_for(5))) == ("done", 5)
    finally:
        executor.shutdown()
