"""The Dask executor on a real LocalCluster over loopback: same curves as the local
pool, workers killed mid-sweep, cancel and prune reaching the worker, and a clear
error for a scheduler that is not there."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import signal
import socket
import threading
import time
from collections import defaultdict

import pytest

pytest.importorskip("distributed")

from core import executors_dask
from core.cli import main
from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import InputError
from core.executors import InlineExecutor, ProcessExecutor
from core.executors_dask import DaskExecutor
from core.runner import Runner
from core.store import RunStore
from core.worker import RunRequest

pytestmark = pytest.mark.slow

DIGITS = DatasetSpec(name="digits")
#: A run long enough to be caught mid-way: ~1-2 s on this machine.
LONG = RunConfig(layers=(64, 64), lr=0.001, epochs=60, seed=10)


@pytest.fixture(scope="module")
def dask_executor():
    executor = DaskExecutor(workers=2)
    executor.start(wait=True)  # workers import scikit-learn before the timed parts
    yield executor
    executor.shutdown()


def twelve_configs() -> list[RunConfig]:
    grid = itertools.product([(6, 6), (16,), (8, 8)], [0.01, 0.1], ["relu", "tanh"])
    return [RunConfig(layers=n, lr=lr, activation=a, epochs=25) for n, lr, a in grid]


def run_all(executor, store_path, configs, dataset=DIGITS) -> tuple[RunStore, dict]:
    """Run ``configs`` through a Runner; return the store and the epochs seen per run."""
    store = RunStore(store_path)
    runner = Runner(store, executor)
    seen: dict[int, list[int]] = defaultdict(list)
    lock = threading.Lock()

    def on_epoch(run_id: int, point) -> None:
        with lock:
            seen[run_id].append(point.epoch)

    ids = [runner.enqueue(config, dataset) for config in configs]
    handles = [runner.start(run_id, on_epoch=on_epoch) for run_id in ids]
    for handle in handles:
        handle.result(timeout=120)
        handle.recorded.wait(30)
    runner.close()
    return store, seen


def curves(store: RunStore) -> list[list[dict]]:
    return [[p.to_dict() for p in store.curve(r.id)] for r in store.list_runs(order_by="id")]


def worker_pids(executor: DaskExecutor) -> dict[str, int]:
    return executor.client.run(os.getpid)


def wait_for_workers(executor: DaskExecutor, count: int = 2) -> None:
    """Until killed workers are back (their nannies restart them; slow on a busy box)."""
    wait_for(lambda: len(executor.client.nthreads()) == count, timeout=120)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_twelve_runs_equal_the_local_pool(dask_executor, tmp_path):
    configs = twelve_configs()
    data = DatasetSpec(name="digits", test_size=0.3)  # sent to the cluster by this test only
    local = ProcessExecutor(2)
    try:
        expected, _ = run_all(local, tmp_path / "local.db", configs, data)
    finally:
        local.shutdown()
    wait_for_workers(dask_executor)
    before = executor_datasets(dask_executor)
    got, seen = run_all(dask_executor, tmp_path / "dask.db", configs, data)

    assert curves(got) == curves(expected)
    for record in got.list_runs():
        assert record.status == "done"
        # every epoch reached on_epoch once, in order
        assert seen[record.id] == list(range(1, record.n_epochs + 1))
    # the data went to the cluster once (broadcast to the workers), not once per run;
    # how many workers still hold it is the scheduler's business (on a loaded machine a
    # worker that timed out during the broadcast fetches it from its peer instead)
    sent = {k: v for k, v in executor_datasets(dask_executor).items() if k not in before}
    assert len(sent) == 1
    assert [len(holders) >= 1 for holders in sent.values()] == [True]


SWEEP = """
[dataset]
name = "digits"

[search]
strategy = "grid"
workers = 2

[fixed]
seed = 10

[space]
layers = [[6, 6], [16]]
lr = [0.01, 0.1]
epochs = [10, 20, 30]
"""


def test_a_twelve_point_sweep_equals_the_local_pool(dask_executor, tmp_path):
    engine = pytest.importorskip("core.search.engine")
    from core.search.sweepfile import parse_sweep

    spec = parse_sweep(SWEEP)
    results = []
    local = ProcessExecutor(2)
    try:
        for name, executor in (("local", local), ("dask", dask_executor)):
            store = RunStore(tmp_path / f"{name}.db")
            sweep_id = engine.run_sweep(store, spec, executor)
            runs = store.sweep_runs(sweep_id)
            results.append(
                {
                    key: (r.status, r.train_accuracy, r.test_accuracy, r.n_epochs)
                    for key, r in runs.items()
                }
            )
    finally:
        local.shutdown()
    assert len(results[0]) == 12
    assert results[1] == results[0]


def executor_datasets(executor: DaskExecutor) -> dict[str, set]:
    def scattered(dask_scheduler):
        return {
            str(key): {ws.address for ws in ts.who_has or ()}
            for key, ts in dask_scheduler.tasks.items()
            if str(key).startswith("dict-")
        }

    return executor.client.run_on_scheduler(scattered)


def test_killed_worker_run_is_retried_once_and_nothing_is_lost(dask_executor, tmp_path):
    configs = [LONG, RunConfig(layers=(64, 64), lr=0.001, epochs=60, seed=11)]
    store = RunStore(tmp_path / "kill.db")
    runner = Runner(store, dask_executor)
    seen: dict[int, list[int]] = defaultdict(list)
    finished: list[int] = []
    ids = [runner.enqueue(config, DIGITS) for config in configs]
    handles = [
        runner.start(
            run_id,
            on_epoch=lambda rid, p: seen[rid].append(p.epoch),
            on_finish=lambda outcome: finished.append(outcome.run_id),
        )
        for run_id in ids
    ]
    victim = ids[0]
    wait_for(lambda: len(seen[victim]) >= 3)
    address = dask_executor.where(victim)
    os.kill(worker_pids(dask_executor)[address], signal.SIGKILL)
    for handle in handles:
        handle.result(timeout=120)
        handle.recorded.wait(30)
    runner.close()

    assert sorted(finished) == sorted(ids)  # each run finished exactly once
    for run_id, config in zip(ids, configs):
        record = store.get_run(run_id)
        assert record.status == "done", record.error
        assert record.n_epochs == config.epochs
        assert seen[run_id] == list(range(1, config.epochs + 1))  # no epoch twice
    assert "retried on" in store.get_run(victim).stop_reason
    # the retried curve is the one the run gives anywhere
    reference = InlineExecutor().submit(RunRequest(victim, LONG, DIGITS)).result()
    assert store.curve(victim) == reference.curve


def test_every_worker_dying_at_once_loses_nothing(dask_executor):
    # The scattered dataset dies with its last holder: it is sent again.
    wait_for_workers(dask_executor)
    seen: dict[int, list[int]] = defaultdict(list)
    configs = {1: LONG, 2: RunConfig(layers=(64, 64), lr=0.001, epochs=60, seed=11)}
    handles = [
        dask_executor.submit(
            RunRequest(run_id, config, DIGITS), lambda r, p: seen[r].append(p.epoch)
        )
        for run_id, config in configs.items()
    ]
    wait_for(lambda: len(seen[1]) >= 2 and len(seen[2]) >= 2)
    for pid in worker_pids(dask_executor).values():
        os.kill(pid, signal.SIGKILL)
    for run_id, handle in zip(configs, handles):
        outcome = handle.result(timeout=120)
        assert outcome.status == "done", outcome.error
        assert seen[run_id] == list(range(1, 61))
    wait_for_workers(dask_executor)


def test_run_whose_worker_dies_twice_fails_with_the_reason(dask_executor):
    wait_for_workers(dask_executor)
    seen: list[int] = []
    handle = dask_executor.submit(RunRequest(1, LONG, DIGITS), lambda _r, p: seen.append(p.epoch))
    killed = []
    for _ in range(2):
        wait_for(lambda: len(seen) >= 2 and dask_executor.where(1) not in (None, *killed))
        address = dask_executor.where(1)
        killed.append(address)
        os.kill(worker_pids(dask_executor)[address], signal.SIGKILL)
    outcome = handle.result(timeout=60)
    assert outcome.status == "failed"
    assert "worker died" in outcome.error
    assert outcome.curve  # the epochs it did are kept
    wait_for_workers(dask_executor)  # nannies restarted them


def test_cancel_and_prune_reach_the_worker(dask_executor):
    long = RunConfig(layers=(6, 6), epochs=5000, tol=0, n_iter_no_change=5000)
    seen: list[int] = []
    handle = dask_executor.submit(
        RunRequest(7, long, DatasetSpec(name="moons")), lambda _r, p: seen.append(p.epoch)
    )
    wait_for(lambda: len(seen) >= 3)
    handle.cancel()
    outcome = handle.result(timeout=30)
    assert outcome.status == "cancelled"
    assert 3 <= outcome.n_epochs < 5000

    # Both workers busy: a third run waits in the queue, and its cancel needs no worker.
    wait_for_workers(dask_executor)
    busy = [
        dask_executor.submit(RunRequest(9 + i, long, DatasetSpec(name="moons"))) for i in range(2)
    ]
    wait_for(lambda: all(dask_executor.where(9 + i) for i in range(2)))
    queued = dask_executor.submit(RunRequest(11, long, DatasetSpec(name="moons")))
    queued.cancel()
    outcome = queued.result(timeout=10)
    assert (outcome.status, outcome.n_epochs) == ("cancelled", 0)
    assert "before it started" in outcome.stop_reason
    for handle in busy:
        handle.cancel()
        assert handle.result(timeout=30).status == "cancelled"

    pruned = dask_executor.submit(
        RunRequest(8, long, DatasetSpec(name="moons")),
        lambda _r, p: "below the median at rung 5" if p.epoch == 5 else None,
    ).result(timeout=30)
    assert pruned.status == "pruned"
    assert 5 <= pruned.n_epochs < 5000
    assert pruned.stop_reason.startswith("below the median at rung 5")


def test_cli_runs_on_a_scheduler_address_like_locally(dask_executor, tmp_path, capsys):
    address = dask_executor.client.scheduler.address
    flags = ["--dataset", "iris", "--epochs", "20", "--json", "-q"]
    assert main(["run", *flags, "--executor", "inline", "--store", str(tmp_path / "a.db")]) == 0
    local = json.loads(capsys.readouterr().out)
    remote_store = str(tmp_path / "b.db")
    code = main(
        ["run", *flags, "--executor", "dask", "--scheduler", address, "--store", remote_store]
    )
    assert code == 0
    remote = json.loads(capsys.readouterr().out)
    assert remote["status"] == "done"
    assert remote["curve"] == local["curve"]


class Planted:
    """Unpickling this creates ``path``: the proof that someone unpickled it."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_events_forged_on_the_scheduler_are_refused_and_never_unpickled(
    dask_executor, tmp_path, capsys
):
    from distributed import Client

    marker = tmp_path / "unpickled"
    long = RunConfig(layers=(6, 6), epochs=5000, tol=0, n_iter_no_change=5000)
    seen: list[int] = []
    handle = dask_executor.submit(
        RunRequest(21, long, DatasetSpec(name="moons")), lambda _r, p: seen.append(p.epoch)
    )
    wait_for(lambda: len(seen) >= 3)
    before = dask_executor.rejected_events
    # Anyone who reaches an unauthenticated scheduler can do this: read every topic's
    # events (the run's task key and try), then publish on perceptune's topic.
    with Client(dask_executor.client.scheduler.address, set_as_default=False) as intruder:
        topics = intruder.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler._broker._topics)
        )
        topic = next(t for t in topics if t.startswith("perceptune-progress-"))
        events = intruder.get_events(topic)
        start = next(
            m
            for _, m in events
            if m["kind"] == "start" and m["key"].startswith("perceptune-run-21-")
        )
        key, attempt = start["key"], start["attempt"]
        planted = pickle.dumps(Planted(marker))
        forged = [
            ["outcome", key, attempt, planted],  # what perceptune used to unpickle
            {"kind": "outcome", "key": key, "attempt": attempt, "outcome": planted},
            {"kind": "epochs", "key": key, "attempt": attempt, "points": planted},
            {"kind": "outcome", "key": key, "attempt": attempt, "outcome": {"status": "done"}},
        ]
        for message in forged:
            intruder.log_event(topic, message)
        wait_for(lambda: dask_executor.rejected_events == before + len(forged))
    handle.cancel()
    outcome = handle.result(timeout=30)

    assert not marker.exists()
    assert outcome.status == "cancelled"  # the run went on, unharmed, until cancelled
    assert seen == list(range(1, outcome.n_epochs + 1))
    if before == 0:  # said once per executor, on one line
        err = capsys.readouterr().err
        assert err.count("ignored a message") == 1
        assert "\n" not in err.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_scheduler_exits_2_and_stores_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(executors_dask, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"
    store = tmp_path / "s.db"
    flags = ["--dataset", "iris", "--epochs", "5", "-q", "--store", str(store)]
    code = main(["run", "--executor", "dask", "--scheduler", address, *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert f"cannot reach Dask scheduler {address}" in err
    assert "Traceback" not in err
    if store.exists():
        assert RunStore(store).list_runs() == []


def test_a_malformed_address_is_a_one_line_input_error(tmp_path, capsys):
    store = str(tmp_path / "s.db")
    code = main(["run", "--executor", "dask", "--scheduler", "tcp://lab-node", "--store", store])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "not a Dask scheduler address: 'tcp://lab-node'" in err


def test_scheduler_flag_needs_the_dask_executor(tmp_path, capsys):
    code = main(["run", "--scheduler", "tcp://127.0.0.1:8786", "--store", str(tmp_path / "x")])
    assert code == 2
    assert "--executor dask" in capsys.readouterr().err


class VersionsClient:
    """Stands in for distributed.Client's version report (a cluster we cannot build
    here: other versions of Dask installed on the workers)."""

    def __init__(self, worker_dask: str) -> None:
        packages = {"python": "3.11.7.final.0", "dask": "2026.8.0", "scikit-learn": "1.9.1"}
        self.versions = {
            "client": {"packages": packages},
            "scheduler": {"packages": packages},
            "workers": {"tcp://w:1": {"packages": {**packages, "dask": worker_dask}}},
        }

    def get_versions(self, packages=None):
        return self.versions

    def run(self, function, on_error="raise"):
        return {"tcp://w:1": "3.11.7"}

    def run_on_scheduler(self, function):
        return "3.11.7"


def test_version_mismatch_is_a_one_line_input_error():
    executors_dask._check_cluster(VersionsClient("2026.8.0"), "tcp://s:8786")  # same: fine
    with pytest.raises(InputError) as caught:
        executors_dask._check_cluster(VersionsClient("2025.1.0"), "tcp://s:8786")
    message = str(caught.value)
    assert "\n" not in message
    assert "dask 2025.1.0 on worker tcp://w:1, 2026.8.0 here" in message
