"""The queue logic on its own: real Runner, store and in-process executor."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.runner import Runner
from core.store import RunStore
from tui.queue_model import QueueModel

SPEC = DatasetSpec(name="moons", n_samples=200)


@pytest.fixture
def model(tmp_path: Path):
    store = RunStore(tmp_path / "q.db")
    executor = InlineExecutor(2)
    finished = threading.Semaphore(0)
    queue = QueueModel(
        Runner(store, executor),
        parallel=0,
        max_parallel=2,
        on_finished=lambda outcome: finished.release(),
    )
    queue.finished = finished  # type: ignore[attr-defined]
    yield queue
    queue.interrupt_all(timeout=5)
    executor.shutdown()
    store.close()


def wait_finished(model: QueueModel, count: int) -> None:
    for _ in range(count):
        assert model.finished.acquire(timeout=30)  # type: ignore[attr-defined]
    model.schedule()


def config(epochs: int = 5, **changes) -> RunConfig:
    return RunConfig.from_mapping({"epochs": epochs, **changes})


def test_order_moves_and_run_next(model: QueueModel) -> None:
    ids = [model.add(config(), SPEC) for _ in range(4)]
    assert model.pending_ids() == ids
    assert model.move_up(ids[2]) and model.pending_ids() == [ids[0], ids[2], ids[1], ids[3]]
    assert model.move_down(ids[0]) and model.pending_ids() == [ids[2], ids[0], ids[1], ids[3]]
    assert not model.move_up(ids[2])  # already first
    assert model.to_front(ids[3]) and model.pending_ids()[0] == ids[3]
    front = model.add(config(), SPEC, front=True)
    assert model.pending_ids()[0] == front


def test_parallel_limit_and_finishing(model: QueueModel) -> None:
    ids = [model.add(config(epochs=20), SPEC) for _ in range(3)]
    assert model.schedule() == []  # paused
    assert model.set_parallel(5) == 2  # clamped to the pool
    assert model.set_parallel(1) == 1
    assert model.schedule() == [ids[0]]
    assert model.running_ids() == [ids[0]]
    wait_finished(model, 1)
    wait_finished(model, 1)
    wait_finished(model, 1)
    items = model.items()
    assert [i.status for i in items] == ["done", "done", "done"]
    assert all(i.epoch == i.epochs == 20 and i.test is not None for i in items)
    assert len(model.curve(ids[0])) == 20
    assert model.clear_finished() == ids
    assert model.items() == []
    assert model.runner.store.count_runs(statuses=["done"]) == 3


def test_remove_cancel_and_retry(model: QueueModel) -> None:
    store = model.runner.store
    waiting = model.add(config(), SPEC)
    assert model.remove(waiting)
    assert store.count_runs() == 0
    queued = model.add(config(), SPEC)
    assert model.cancel(queued)
    assert store.get_run(queued).status == "cancelled"
    assert not model.cancel(queued)  # ended
    long = model.add(config(epochs=100_000, n_iter_no_change=100_000), SPEC)
    model.set_parallel(1)
    assert model.schedule() == [long]
    assert not model.remove(long)  # running: cancel first
    while not model.curve(long):
        time.sleep(0.01)
    assert model.cancel(long)
    wait_finished(model, 1)
    assert store.get_run(long).status == "cancelled"
    again = model.retry(queued)
    assert again is not None and again != queued
    assert store.get_run(again).params == store.get_run(queued).params
    assert model.schedule() == [again]
    wait_finished(model, 1)
    assert store.get_run(again).status == "done"


def test_interrupt_all_leaves_runs_interrupted(model: QueueModel) -> None:
    store = model.runner.store
    long = model.add(config(epochs=100_000, n_iter_no_change=100_000), SPEC)
    waiting = model.add(config(), SPEC)
    model.set_parallel(1)
    model.schedule()
    while not model.curve(long):
        time.sleep(0.01)
    assert sorted(model.interrupt_all()) == sorted([long, waiting])
    assert store.get_run(long).status == "interrupted"
    assert store.get_run(waiting).status == "interrupted"
    assert model.schedule() == []  # closing: nothing starts any more
    # Resuming queues the same ids again.
    fresh = QueueModel(model.runner, parallel=1, max_parallel=2)
    assert fresh.add_existing(store.list_runs(statuses=["interrupted"])) == [long, waiting]


def test_a_run_added_while_quitting_is_stored_interrupted(model: QueueModel) -> None:
    """A queue op still in flight when the app quits must not leave a run queued that
    no one will start."""
    store = model.runner.store
    model.interrupt_all()
    late = model.add(config(), SPEC)
    assert store.get_run(late).status == "interrupted"
    assert model.pending_ids() == [] and model.schedule() == []
    assert model.add_existing([store.get_run(late)]) == []


def test_a_run_the_pool_cannot_start_is_stored_failed(tmp_path: Path) -> None:
    """The pool is gone (a worker died and broke it, say) after the run was claimed:
    the store must not keep saying running."""
    executor = InlineExecutor(1)
    with RunStore(tmp_path / "broken.db") as store:
        queue = QueueModel(Runner(store, executor), parallel=1)
        executor.shutdown()
        run_id = queue.add(config(), SPEC)
        assert queue.schedule() == []
        assert queue.status(run_id) == "failed"
        record = store.get_run(run_id)
        assert record.status == "failed"
        assert "shutdown" in record.error
