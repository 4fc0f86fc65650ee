"""Throughput through the background runner against the in-process pool.

    python bench/bench_runner.py [--reps 1] [--workers 2]

The 36 points of the reference grid (``bench_grid.py``: digits / 16 as train/test
CSVs, layers x lr x epochs x activation, seed 10), each queued as its own run (no
epoch sharing: that is the sweep engine's, not the queue's):

- **in-process**: one process opens the store, starts a pool of ``workers``
  processes (``ProcessExecutor`` at niceness 10, as the TUI's own queue did) and
  trains the 36 runs through ``Runner`` with ``workers`` in flight;
- **runner**: one process sets ``queue workers N``, adds the 36 runs to the stored
  queue and starts the detached runner (``ensure_runner``), then waits until the
  store says all 36 ended (the runner's workers run at niceness 10 too).

Both timed from launch of their process to the last run stored, so each includes its
pool's start (and the runner its own interpreter's start). Printed: both wall times
and the ratio runner / in-process (target <= 1.05), and whether all 36 test scores
are identical. With ``--reps N`` the sides alternate and the medians count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grid import ACTIVATIONS, EPOCHS, LAYERS, LRS, SEED, WRITE_CSV, timed

TARGET = 1.05

COMMON = """
import itertools, json, sys, time
from core.config import RunConfig
from core.datasets import DatasetSpec
from core.store import RunStore

LAYERS, LRS, EPOCHS, ACTIVATIONS, SEED = {constants}
train, test, path, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spec = DatasetSpec.from_mapping(
    {{"train": train, "test": test, "target": "digit", "scale": False}}
)
configs = [
    RunConfig.from_mapping(
        {{"layers": layers, "lr": lr, "epochs": epochs, "activation": act, "seed": SEED}}
    )
    for layers, lr, epochs, act in itertools.product(LAYERS, LRS, EPOCHS, ACTIVATIONS)
]
store = RunStore(path)
"""

IN_PROCESS = """
import queue
from core.executors import ProcessExecutor
from core.runner import Runner

executor = ProcessExecutor(workers, nice=10).start()  # as the TUI's pool (WORKER_NICE)
runner = Runner(store, executor)
ids = [runner.enqueue(config, spec) for config in configs]
done = queue.Queue()
pending, active = list(ids), 0
while pending or active:
    while pending and active < workers:
        runner.start(pending.pop(0), on_finish=done.put)
        active += 1
    done.get()
    active -= 1
executor.shutdown()
"""

THROUGH_RUNNER = """
from core.daemon import ensure_runner
from core.queue_runner import RunnerOptions
from core.queue_store import StoredQueue

queue = StoredQueue(store)
queue.set_workers(workers)
ids = [queue.add(config, spec)[0] for config in configs]
ensure_runner(queue, RunnerOptions(idle_exit_s=0))
while store.count_runs(statuses=["queued", "running"]):
    time.sleep(0.02)
"""

REPORT = """
print(json.dumps([(r.params["layers"], r.params["lr"], r.params["epochs"],
                   r.params["activation"], r.status, r.test_accuracy)
                  for r in store.list_runs()]))
"""


def script(body: str) -> str:
    constants = repr((LAYERS, LRS, EPOCHS, ACTIVATIONS, SEED))
    return COMMON.format(constants=constants) + body + REPORT


def side(tmp: str, name: str, body: str, train: str, test: str, workers: int) -> tuple:
    store = Path(tmp, f"{name}.db")
    for leftover in Path(tmp).glob(f"{name}.db*"):
        leftover.unlink(missing_ok=True)  # the runner may still be closing its WAL
    # -c: the pool's workers must not run a __main__ file again (forkserver).
    command = [sys.executable, "-c", script(body), train, test, str(store), str(workers)]
    elapsed, out = timed(command, tmp)
    rows = json.loads(out)
    if len(rows) != 36 or any(row[4] != "done" for row in rows):
        raise SystemExit(f"{name}: not 36 runs done: {rows}")
    return elapsed, sorted(tuple(map(str, row)) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1, help="alternating repetitions")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        train, test = str(Path(tmp, "train.csv")), str(Path(tmp, "test.csv"))
        Path(tmp, "write_csv.py").write_text(WRITE_CSV)
        timed([sys.executable, str(Path(tmp, "write_csv.py")), train, test], tmp)
        times: dict[str, list[float]] = {"in-process": [], "runner": []}
        identical = True
        for rep in range(args.reps):
            order = [("in-process", IN_PROCESS), ("runner", THROUGH_RUNNER)]
            if rep % 2:
                order.reverse()  # drift on a shared machine hits both sides
            scores = {}
            for name, body in order:
                elapsed, scores[name] = side(tmp, name, body, train, test, args.workers)
                times[name].append(elapsed)
                print(f"rep {rep + 1} {name}: {elapsed:.2f} s", file=sys.stderr)
            identical &= scores["in-process"] == scores["runner"]
        inside = statistics.median(times["in-process"])
        runner = statistics.median(times["runner"])
        ratio = runner / inside
        verdict = "ok" if ratio <= TARGET else "over target"
        print(f"in-process pool: {inside:.2f} s   runner: {runner:.2f} s")
        print(f"runner / in-process: {ratio:.3f} (target <= {TARGET}) {verdict}")
        print(f"36 test scores identical: {identical}")


if __name__ == "__main__":
    main()
