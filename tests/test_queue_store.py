"""The stored queue on a real SQLite store: order, cancel, claims, the runner's lease,
and the runner's loop trained in this process (inline executor: real scikit-learn)."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import InputError, NotFoundError
from core.executors import InlineExecutor
from core.queue_runner import QueueRunner
from core.queue_store import StoredQueue
from core.runner import Runner
from core.store import RunStore
from core.store_schema import latest_version

SPEC = DatasetSpec.from_mapping({"name": "moons", "n_samples": 120})
LOG = logging.getLogger("test-queue")


def config(epochs: int = 3, **values) -> RunConfig:
    return RunConfig.from_mapping({"epochs": epochs, "layers": "4", **values})


def test_migration_adds_the_queue_tables(store_path: Path) -> None:
    RunStore(store_path).close()
    conn = sqlite3.connect(store_path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"run_queue", "queue_control"} <= tables
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    assert conn.execute("SELECT id, workers, stop FROM queue_control").fetchall() == [(1, None, 0)]


def test_added_runs_keep_their_order_and_outlive_the_process_that_added_them(
    store_path: Path, cli_env: dict[str, str]
) -> None:
    # Another process adds two runs and exits: they must stay queued (no owner to die).
    code = (
        "from core.store import RunStore; from core.queue_store import StoredQueue;"
        "from core.config import RunConfig; from core.datasets import DatasetSpec;"
        f"s = RunStore({str(store_path)!r}); q = StoredQueue(s);"
        "[q.add(RunConfig.from_mapping({'epochs': e}), DatasetSpec()) for e in (7, 5)]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=cli_env, timeout=60)
    with RunStore(store_path) as store:
        entries = StoredQueue(store).entries()
        assert [(e.run_id, e.status, e.epochs) for e in entries] == [
            (1, "queued", 7),
            (2, "queued", 5),
        ]
        assert StoredQueue(store).runner() is None
        assert StoredQueue(store).has_work()


def test_cancel_checks_every_id_before_changing_anything(store_path: Path) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        first, _ = queue.add(config(), SPEC)
        done = store.create_run(config().to_dict(), SPEC.to_dict(), status="done")
        with pytest.raises(InputError, match=f"run {done} is not in the queue"):
            queue.cancel([first, done])
        with pytest.raises(NotFoundError):
            queue.cancel([first, 999])
        assert store.get_run(first).status == "queued"
        assert queue.cancel([first]) == {first: "cancelled"}
        assert store.get_run(first).status == "cancelled"
        assert queue.entries() == []


def test_a_run_is_claimed_once_and_a_running_one_is_asked_to_stop(store_path: Path) -> None:
    with RunStore(store_path) as store, RunStore(store_path) as other:
        run_id, _ = StoredQueue(store).add(config(), SPEC)
        assert StoredQueue(store).claim(run_id)
        assert not StoredQueue(other).claim(run_id)
        assert StoredQueue(other).cancel([run_id]) == {run_id: "stopping"}
        assert StoredQueue(store).cancel_requested(run_id)
        assert store.get_run(run_id).status == "running"  # the runner obeys, not the CLI


def test_move_reorders_the_waiting_runs(store_path: Path) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        ids = [queue.add(config(), SPEC)[0] for _ in range(3)]
        assert queue.move(ids[2], -1)
        assert [e.run_id for e in queue.entries()] == [ids[0], ids[2], ids[1]]
        assert not queue.move(ids[0], -1)  # first already
        assert not queue.move(999, 1)


def test_the_lease_is_held_by_a_live_process_only(store_path: Path, cli_env) -> None:
    RunStore(store_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from core.store import RunStore;"
            "from core.queue_store import StoredQueue;"
            f"q = StoredQueue(RunStore({str(store_path)!r}));"
            "assert q.acquire_lease('process') is None; print('held', flush=True);"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with RunStore(store_path) as store:
            queue = StoredQueue(store)
            live = queue.acquire_lease("process")
            assert live is not None and live.pid == holder.pid
            holder.kill()
            holder.wait()
            assert queue.runner() is None
            assert queue.acquire_lease("process") is None  # a dead holder's lease is free
            assert queue.runner() is not None
    finally:
        holder.kill()
        holder.wait()


def test_release_if_idle_keeps_the_lease_while_runs_wait(store_path: Path) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        assert queue.acquire_lease("process") is None
        _, live = queue.add(config(), SPEC)
        assert live is not None  # this process holds the lease: the run has its runner
        assert not queue.release_if_idle()
        queue.set_workers(0)  # paused: nothing will start, the runner may go
        assert queue.release_if_idle()
        assert queue.runner() is None
        assert queue.add(config(), SPEC)[1] is None  # the next add must start a runner


def _serve(store: RunStore, workers: int = 1) -> QueueRunner:
    executor = InlineExecutor(workers)
    runner = Runner(store, executor)
    loop = QueueRunner(store, runner, LOG, idle_exit_s=0)
    StoredQueue(store).acquire_lease("inline")
    try:
        loop.run()
    finally:
        executor.shutdown()
        runner.close()
    return loop


def test_the_runner_trains_in_queue_order_and_empties_the_queue(store_path: Path) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        ids = [queue.add(config(epochs), SPEC)[0] for epochs in (3, 4, 5)]
        queue.move(ids[2], -1)
        queue.set_workers(1)
        loop = _serve(store)
        assert loop.trained == [ids[0], ids[2], ids[1]]
        assert [store.get_run(i).status for i in ids] == ["done"] * 3
        assert [len(store.curve(i)) for i in ids] == [3, 4, 5]
        assert queue.entries() == []
        assert queue.runner() is None  # the lease was given up with the queue empty


def test_the_runner_queues_again_what_a_dead_runner_left(store_path: Path) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        run_id, _ = queue.add(config(4), SPEC)
        # A runner that died mid-run: its run reads interrupted, still in the queue.
        assert queue.claim(run_id)
        store.finish_run(run_id, "interrupted", stop_reason="interrupted: process 1 ended")
        assert [e.status for e in queue.entries()] == ["interrupted"]
        loop = _serve(store)
        assert loop.trained == [run_id]
        record = store.get_run(run_id)
        assert record.status == "done" and [p.epoch for p in store.curve(run_id)] == [1, 2, 3, 4]
        assert time.time() - record.finished_at < 60


def test_resume_leaves_the_stored_queue_to_its_runner(store_path: Path) -> None:
    from core.search.engine import pending_work

    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        run_id, _ = queue.add(config(), SPEC)
        queue.claim(run_id)
        store.finish_run(run_id, "interrupted")
        other = store.create_run(config().to_dict(), SPEC.to_dict(), status="interrupted")
        assert [r.id for r in pending_work(store)[1]] == [other]


def test_the_follower_reads_only_what_other_connections_changed(store_path: Path) -> None:
    from core.results import EpochPoint
    from core.store_follow import StoreFollower

    def point(epoch: int) -> EpochPoint:
        return EpochPoint(epoch, 0.5, 0.5, 1.0)

    with RunStore(store_path) as writer:
        old = writer.create_run(config().to_dict(), SPEC.to_dict(), status="done")
        running = writer.create_run(config().to_dict(), SPEC.to_dict(), status="running")
        writer.add_epochs(running, [point(1), point(2)])
        with RunStore(store_path) as reader:
            follower = StoreFollower(reader)
            first = follower.poll()  # the active run, with its curve so far; not `old`
            assert [(c.record.id, [p.epoch for p in c.epochs]) for c in first] == [
                (running, [1, 2])
            ]
            assert follower.poll() == []  # nothing committed since
            writer.add_epoch(running, point(3))
            new = StoredQueue(writer).add(config(), SPEC)[0]
            changes = {c.record.id: c for c in follower.poll()}
            assert [p.epoch for p in changes[running].epochs] == [3]  # only the new one
            assert changes[new].record.status == "queued" and old not in changes
            writer.mark_running(running)  # started over: old epochs dropped
            writer.add_epoch(running, point(1))
            (again,) = [c for c in follower.poll() if c.record.id == running]
            assert again.restarted and [p.epoch for p in again.epochs] == [1]
            writer.finish_run(running, "done")
            ended = {c.record.id: c.record.status for c in follower.poll()}
            assert ended == {running: "done"}
            writer.add_epoch(running, point(2))  # no longer watched once ended
            assert follower.poll() == []


def test_the_runner_log_rotates_and_stays_small(store_path: Path) -> None:
    from core.daemon import LOG_BACKUPS, LOG_MAX_BYTES, log_path, runner_logger

    log = runner_logger(store_path)
    line = "run 1 done after 100 epochs, test accuracy 0.880 " + "x" * 100
    for _ in range(3 * LOG_MAX_BYTES // len(line)):
        log.info(line)
    for handler in log.handlers:
        handler.close()
    files = sorted(store_path.parent.glob(f"{store_path.name}.log*"))
    assert files == [log_path(store_path), Path(f"{log_path(store_path)}.1")][: 1 + LOG_BACKUPS]
    assert all(path.stat().st_size <= LOG_MAX_BYTES for path in files)
