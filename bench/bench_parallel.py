"""Parallel throughput: 4 runs through the ProcessExecutor with 2 workers vs 1 worker.

    python bench/bench_parallel.py [--reps 3] [--runs 4]

Each pool is started and warmed (scikit-learn imported in its workers) before the
clock starts, so this measures training throughput, not start-up. The runs are
digits, layers 64,64, 80 epochs with tol=0 (no early stop: every run does the same
work). Pools alternate 1, 2, 2, 1, ... Target: 2 workers >= 1.8x the throughput of 1
on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import RunConfig  # noqa: E402
from core.datasets import DatasetSpec  # noqa: E402
from core.executors import ProcessExecutor  # noqa: E402
from core.worker import RunRequest  # noqa: E402

TARGET = 1.8
CONFIG = RunConfig(layers=(64, 64), epochs=80, tol=0, n_iter_no_change=80)
DATA = DatasetSpec(name="digits")


def batch(workers: int, runs: int) -> float:
    """Seconds for ``runs`` runs on a warm pool of ``workers`` processes."""
    executor = ProcessExecutor(workers).start(wait=True)
    try:
        # One untimed run per worker loads digits into each worker's cache.
        for handle in [executor.submit(RunRequest(i, CONFIG, DATA)) for i in range(workers)]:
            handle.result()
        start = time.perf_counter()
        handles = [executor.submit(RunRequest(100 + i, CONFIG, DATA)) for i in range(runs)]
        outcomes = [handle.result() for handle in handles]
        elapsed = time.perf_counter() - start
    finally:
        executor.shutdown()
    assert all(o.status == "done" and o.n_epochs == CONFIG.epochs for o in outcomes), outcomes
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()}")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"  {name}={os.environ.get(name, '(unset)')}")
    times: dict[int, list[float]] = {1: [], 2: []}
    for rep in range(args.reps):
        for workers in (1, 2) if rep % 2 == 0 else (2, 1):
            times[workers].append(batch(workers, args.runs))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    ratio = one / two
    print(
        f"{args.runs} runs: 1 worker {one:.3f} s, 2 workers {two:.3f} s; "
        f"throughput ratio {ratio:.2f}x (target >= {TARGET})"
    )
    for workers, values in times.items():
        print(f"    {workers} worker(s): {' '.join(f'{t:.3f}' for t in values)}")
    print(f"load after: {os.getloadavg()}")
    print(f"{'OK' if ratio >= TARGET else 'MISSES'} target {TARGET}")


if __name__ == "__main__":
    main()
