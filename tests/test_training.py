"""Training results, the worker's outcome and the Runner writing a real SQLite store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.config import RunConfig
from core.datasets import Dataset, DatasetSpec, load_dataset
from core.errors import ConfigError
from core.executors import InlineExecutor
from core.results import EpochPoint
from core.runner import Runner
from core.store import RunStore
from core.training import train
from core.worker import RunRequest, execute_run

IRIS = DatasetSpec(name="iris")


@pytest.fixture(scope="module")
def iris() -> Dataset:
    return load_dataset(IRIS)


@pytest.fixture
def runner(store_path: Path) -> Iterator[Runner]:
    store = RunStore(store_path)
    executor = InlineExecutor()
    runner = Runner(store, executor)
    yield runner
    runner.close()
    executor.shutdown()
    store.close()


# --- train() ----------------------------------------------------------------------------


def test_a_full_run_records_every_epoch_and_why_it_ended(iris: Dataset) -> None:
    seen: list[EpochPoint] = []
    result = train(
        RunConfig(epochs=25, tol=0), iris, on_epoch=lambda p: seen.append(p), keep_model=True
    )
    assert result.status == "done"
    assert result.stop_reason == "reached the maximum of 25 epochs"
    assert seen == result.curve and result.n_epochs == 25
    assert result.train_accuracy == result.curve[-1].train_accuracy
    assert result.duration_s > 0
    assert all(0 <= p.train_accuracy <= 1 and 0 <= p.test_accuracy <= 1 for p in seen)
    assert all(np.isfinite(p.loss) for p in seen)
    assert result.model is not None and result.model.n_iter_ == 25
    assert result.model.score(iris.X_test, iris.y_test) == result.test_accuracy


def test_the_model_is_kept_only_when_asked(iris: Dataset) -> None:
    assert train(RunConfig(epochs=2), iris).model is None


def test_the_loss_falls_on_an_easy_problem(iris: Dataset) -> None:
    result = train(RunConfig(layers=(16,), lr=0.05, epochs=60), iris)
    assert result.curve[-1].loss < result.curve[0].loss / 2
    assert result.test_accuracy is not None and result.test_accuracy > 0.8


def test_network_size_is_checked_against_the_datas_width(iris: Dataset) -> None:
    wide = Dataset(
        spec=iris.spec,
        X_train=np.zeros((4, 6000)),
        X_test=np.zeros((2, 6000)),
        y_train=np.array([0, 1, 0, 1]),
        y_test=np.array([0, 1]),
        feature_names=[f"f{i}" for i in range(6000)],
        classes=[0, 1],
        info=iris.info,
    )
    with pytest.raises(ConfigError, match="too large for memory"):
        train(RunConfig(layers=(4000,)), wide)


def test_early_stopping_stop_reason_names_the_validation_score(iris: Dataset) -> None:
    config = RunConfig(epochs=500, early_stopping=True, n_iter_no_change=3, tol=0.05)
    result = train(config, iris)
    assert result.n_epochs < 500
    assert "validation score did not improve by tol=0.05 for 3 epochs" in result.stop_reason


# --- execute_run -------------------------------------------------------------------------


def test_execute_run_diagnoses_a_finished_run() -> None:
    outcome = execute_run(RunRequest(5, RunConfig(epochs=30), IRIS))
    assert outcome.run_id == 5 and outcome.status == "done"
    assert outcome.verdict is not None
    assert outcome.verdict["verdict"] in ("underfitting", "overfitting", "good fit")
    assert outcome.verdict["train_accuracy"] == outcome.train_accuracy
    assert outcome.baseline == pytest.approx(1 / 3, abs=0.05)


def test_execute_run_turns_bad_data_into_a_failed_outcome(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,x\n", encoding="utf-8")
    outcome = execute_run(RunRequest(1, RunConfig(), DatasetSpec(name=None, train=str(bad))))
    assert outcome.status == "failed"
    assert str(bad) in outcome.error
    assert outcome.verdict is None and outcome.curve == []


def test_execute_run_stop_signal_carries_the_callers_status_and_reason() -> None:
    calls: list[int] = []

    def stop(run_id: int) -> tuple[str, str] | None:
        calls.append(run_id)
        return ("pruned", "below the median") if len(calls) >= 2 else None

    outcome = execute_run(RunRequest(9, RunConfig(epochs=50, tol=0), IRIS), stop_signal=stop)
    assert outcome.status == "pruned"
    assert outcome.stop_reason == "below the median (after epoch 2)"
    assert outcome.n_epochs == 2
    assert outcome.verdict is not None  # a pruned run still gets a verdict
    assert calls == [9, 9]


# --- Runner + store -----------------------------------------------------------------------


def test_runner_stores_the_run_its_curve_and_verdict(runner: Runner) -> None:
    outcome = runner.run(RunConfig(epochs=20), IRIS)
    record = runner.store.get_run(outcome.run_id)
    assert record.status == "done"
    assert runner.store.curve(outcome.run_id) == outcome.curve
    assert record.n_epochs == 20
    assert record.train_accuracy == outcome.train_accuracy
    assert record.test_accuracy == outcome.test_accuracy
    assert record.verdict == pytest.approx(outcome.verdict)
    assert record.params == RunConfig(epochs=20).to_dict()
    assert record.dataset == IRIS.to_dict()
    assert record.finished_at is not None and record.duration_s is not None


def test_runner_writes_each_epoch_as_it_happens(runner: Runner) -> None:
    stored_during: list[int] = []

    def on_epoch(run_id: int, point: EpochPoint) -> None:
        stored_during.append(len(runner.store.curve(run_id)))

    runner.run(RunConfig(epochs=8, tol=0), IRIS, on_epoch=on_epoch)
    assert stored_during == list(range(1, 9))


def test_runner_stop_ends_the_run_cancelled_with_its_epochs(runner: Runner) -> None:
    run_id = runner.enqueue(RunConfig(layers=(32, 32), epochs=5000, tol=0), IRIS)
    assert runner.store.get_run(run_id).status == "queued"
    third = threading.Event()

    def on_epoch(rid: int, point: EpochPoint) -> None:
        if point.epoch == 3:
            third.set()

    handle = runner.start(run_id, on_epoch=on_epoch)
    assert third.wait(30)
    assert runner.stop(run_id)
    handle.result(timeout=30)
    runner.wait_recorded(run_id)
    record = runner.store.get_run(run_id)
    assert record.status == "cancelled"
    assert 3 <= record.n_epochs < 5000
    assert len(runner.store.curve(run_id)) == record.n_epochs
    assert not runner.stop(run_id)  # no longer running


def test_runner_records_a_failed_run(runner: Runner, tmp_path: Path) -> None:
    missing = DatasetSpec(name=None, train=str(tmp_path / "gone.csv"))
    outcome = runner.run(RunConfig(epochs=3), missing)
    record = runner.store.get_run(outcome.run_id)
    assert record.status == "failed"
    assert "no such file" in record.error
