"""``queue workers N`` below the runs in flight: none of them is cut (a run in flight
is never restarted because a setting or a view changed), they finish, and no new run
starts until fewer than N run; ``perceptune queue`` says so."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.queue_runner import QueueRunner
from core.queue_store import StoredQueue
from core.runner import Runner
from core.store import RunStore

SPEC = DatasetSpec.from_mapping({"name": "moons", "n_samples": 120})
#: Trains until cancelled (no early stop).
ENDLESS = RunConfig.from_mapping(
    {"epochs": 100000, "layers": "4", "tol": 0, "n_iter_no_change": 100000}
)


def wait_for(condition: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.02)


def test_fewer_workers_than_runs_in_flight_cuts_none_and_starts_none(store_path: Path) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        one, two = (queue.add(ENDLESS, SPEC)[0] for _ in range(2))
        three, _ = queue.add(RunConfig.from_mapping({"epochs": 3, "layers": "4"}), SPEC)
        queue.set_workers(2)
        executor = InlineExecutor(2)
        loop = QueueRunner(store, Runner(store, executor), logging.getLogger("test"), pool_size=2)
        queue.acquire_lease("inline")

        def epochs(run_id: int) -> int:
            return store.get_run(run_id).n_epochs

        def step() -> None:  # one look of the runner's loop at the queue
            loop._step(queue.control().workers)

        try:
            step()
            wait_for(lambda: epochs(one) >= 2 and epochs(two) >= 2)
            queue.set_workers(1)  # `queue workers 1` (or - in the app) with two in flight
            step()
            at = (epochs(one), epochs(two))
            wait_for(lambda: epochs(one) >= at[0] + 3 and epochs(two) >= at[1] + 3)
            # Both still train: lowering the workers cut neither.
            assert [store.get_run(r).status for r in (one, two, three)] == [
                "running",
                "running",
                "queued",
            ]

            queue.cancel([one])
            step()  # obeys the cancel
            wait_for(lambda: one not in [e.run_id for e in queue.entries()])  # it ended
            step()
            # One run in flight, one worker: the queued run still waits.
            assert (store.get_run(two).status, store.get_run(three).status) == (
                "running",
                "queued",
            )

            queue.cancel([two])
            step()
            wait_for(lambda: two not in [e.run_id for e in queue.entries()])
            step()  # fewer than one in flight now: the queued run starts
            wait_for(lambda: store.get_run(three).status == "done")
            assert loop.trained == [one, two, three]
            assert store.get_run(one).status == store.get_run(two).status == "cancelled"
            assert epochs(three) == 3
        finally:
            executor.shutdown()
            loop.runner.close()
            queue.release_lease()


def test_queue_shows_a_lowered_workers_setting_with_more_runs_in_flight(
    store_path: Path, cli_env: dict[str, str]
) -> None:
    with RunStore(store_path) as store:
        queue = StoredQueue(store)
        ids = [queue.add(ENDLESS, SPEC)[0] for _ in range(2)]
        for run_id in ids:  # in flight, owned by this live process (no runner starts)
            assert queue.claim(run_id)

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "core.cli", "queue", *args, "--store", str(store_path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=cli_env,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    said = cli("workers", "1")
    assert "1 run(s) at once (2 running: they finish; new runs wait until fewer than 1 run)" in said
    listing = json.loads(cli("--json"))
    assert (listing["workers"], listing["running"], listing["runner"]) == (1, 2, None)
    assert [run["status"] for run in listing["runs"]] == ["running", "running"]
    assert "1 run(s) at once (2 running: they finish; new runs wait" in cli()


def test_the_workers_line_says_what_happens_to_the_runs_in_flight() -> None:
    from core.cli.queue_commands import workers_text

    assert workers_text(2, 2) == "2 run(s) at once"
    assert workers_text(0, 0) == "0 run(s) at once (paused)"
    assert workers_text(0, 3) == "0 run(s) at once (paused: the 3 running finish, none starts)"
    assert workers_text(1, 3).endswith(
        "(3 running: they finish; new runs wait until fewer than 1 run)"
    )
