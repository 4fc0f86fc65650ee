"""How fast and how cheaply the app follows a store another process writes.

    python bench/bench_follow.py [--seconds 10] [--rate 20]

A writer process (standing in for the background runner) commits one epoch of a
queued run every 1/``rate`` s for ``seconds`` s, each epoch stamped with the time of
its commit; this process follows the store with the app's :class:`BackgroundQueue`
(its follower thread, asked for a look every ``REDRAW_INTERVAL_S`` as the app's redraw
tick asks, without the screen). Printed:

- **latency**: commit -> the progress callback in this process, p50 / p95 / max. The
  app draws right after the look (``StorePolled``): the figure the issue asks for
  (epoch on screen within 200 ms, p95) is this + a frame (``bench_follow_lag.py``
  measures it on the real screen);
- **cost**: this process's CPU time while following, as a share of one core
  (target <= 5 %), and the same with nothing written (idle).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WRITER = """
import sys, time
from core.config import RunConfig
from core.datasets import DatasetSpec
from core.queue_store import StoredQueue
from core.results import EpochPoint
from core.store import RunStore

path, seconds, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
store = RunStore(path)
queue = StoredQueue(store)
run_id, _ = queue.add(RunConfig.from_mapping({"epochs": 100000}), DatasetSpec())
queue.claim(run_id)
print("ready", flush=True)
sys.stdin.readline()
epoch, end = 0, time.time() + seconds
while time.time() < end:
    epoch += 1
    # The train accuracy carries the commit time: the reader measures against it.
    store.add_epoch(run_id, EpochPoint(epoch, time.time(), 0.5, 1.0))
    time.sleep(1 / rate)
store.finish_run(run_id, "done")
"""


def cpu_share(start: tuple[float, float], wall: float) -> float:
    times = os.times()
    used = (times.user - start[0]) + (times.system - start[1])
    return used / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="epochs committed per second")
    args = parser.parse_args()

    from core.queue_runner import RunnerOptions
    from tui.background_queue import BackgroundQueue
    from tui.widgets.queue.wiring import REDRAW_INTERVAL_S

    latencies: list[float] = []
    seen: set[int] = set()
    lock = threading.Lock()

    def on_progress(_run_id: int, curve: tuple) -> None:
        now = time.time()
        with lock:
            for point in curve:
                if point.epoch not in seen:
                    seen.add(point.epoch)
                    latencies.append(now - point.train_accuracy)

    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp, "follow.db"))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, store, str(args.seconds), str(args.rate)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert writer.stdout is not None and writer.stdin is not None
        assert writer.stdout.readline().strip() == "ready"
        # No runner: the run is claimed by the writer (schedule() finds no work).
        follow = BackgroundQueue(store, RunnerOptions(), on_progress=on_progress).start()
        ticking = threading.Event()

        def tick() -> None:  # the app's redraw tick asks for a look
            while not ticking.wait(REDRAW_INTERVAL_S):
                follow.poll_soon()

        threading.Thread(target=tick, daemon=True).start()
        time.sleep(1.0)
        start = os.times()
        time.sleep(3.0)
        idle = cpu_share((start.user, start.system), 3.0)
        writer.stdin.write("go\n")
        writer.stdin.flush()
        start, began = os.times(), time.monotonic()
        writer.wait()
        busy = cpu_share((start.user, start.system), time.monotonic() - began)
        time.sleep(0.3)
        ticking.set()
        follow.close()

    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    print(f"epochs followed: {len(latencies)} of about {int(args.seconds * args.rate)}")
    print(
        f"latency commit -> app: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms (+ a frame to the screen; target 200 ms)"
    )
    print(f"CPU following {args.rate:.0f} epochs/s: {busy:.1%} of one core (target <= 5 %)")
    print(f"CPU following an idle store: {idle:.1%} of one core")


if __name__ == "__main__":
    main()
