"""The background runner on Dask, as a lab user runs it: a real scheduler and worker
in a process of their own, a real ``perceptune queue add --executor dask --scheduler
ADDR`` that starts a detached runner on that cluster, and the run trained there to
its end with its full curve in the store."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("distributed") is None:  # (not imported here: it is slow)
    pytest.skip("distributed is not installed", allow_module_level=True)

from test_queue_cli import _runner_pid, log_lines, runs, wait_for

from core.store import RunStore, _pid_alive

pytestmark = pytest.mark.slow

SMALL = ("--dataset", "moons", "--samples", "200", "--layers", "4", "--epochs", "5")


#: A scheduler with one worker thread in one process (the cheapest real cluster: one
#: interpreter to start, not two), on loopback; its address on stdout; it ends when
#: its stdin closes.
CLUSTER = """
import sys
from distributed import LocalCluster
with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                  host="127.0.0.1", scheduler_port=0, dashboard_address=None) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def scheduler(tmp_path: Path, cli_env: dict[str, str]) -> Iterator[str]:
    """The address of a Dask scheduler with one worker, in a process of its own that
    imports this checkout (as a lab's cluster would)."""
    with (tmp_path / "cluster.log").open("w") as log:
        cluster = subprocess.Popen(
            [sys.executable, "-c", CLUSTER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=cli_env,
            text=True,
        )
    assert cluster.stdin is not None and cluster.stdout is not None
    try:
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), (tmp_path / "cluster.log").read_text()
        yield address
    finally:
        cluster.stdin.close()  # it leaves its with-block and exits
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cluster.kill()
            cluster.wait(timeout=30)


def test_queue_add_on_a_dask_scheduler_trains_the_run_there_to_its_end(
    scheduler: str, store_path: Path, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "PERCEPTUNE_RUNNER_IDLE_S": "1"}
    added = subprocess.run(
        [sys.executable, "-m", "core.cli", "queue", "add", *SMALL, "--json",
         "--executor", "dask", "--scheduler", scheduler, "--store", str(store_path)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    run_id = json.loads(added.stdout)["id"]
    pid = _runner_pid(store_path)
    try:
        assert pid is not None  # the command returned with the runner up
        wait_for(lambda: runs(store_path)[run_id].status not in ("queued", "running"), 120)
        record = runs(store_path)[run_id]
        assert (record.status, record.n_epochs) == ("done", 5), record.error
        with RunStore(store_path) as store:
            curve = store.curve(run_id)
        assert [point.epoch for point in curve] == [1, 2, 3, 4, 5]
        assert all(0.0 <= p.train_accuracy <= 1.0 and p.loss > 0 for p in curve)
        # The detached runner trained it on that scheduler, then left once idle.
        assert log_lines(store_path, f"runner started (dask {scheduler})")
        wait_for(lambda: not _pid_alive(pid), timeout=60)
        assert log_lines(store_path, "runner exited")
    finally:
        if pid is not None and _pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not _pid_alive(pid), timeout=20)
    assert _runner_pid(store_path) is None  # its lease was given back
