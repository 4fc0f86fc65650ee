"""Dask executor benchmarks (issue 5). Run from the repository root:

    python bench/bench_dask.py            # about 2 minutes on 2 cores
    python bench/bench_dask.py --quick    # a smoke test of the script (no numbers)

1. The search issue's 36-point reference grid (digits / 16, stratified 75/25 split with
   seed 0, no further scaling; layers x lr x epochs x activation, seed 10) on a
   2-worker LocalCluster against the local ProcessExecutor(2): wall time, cold (the
   executor's start included) and warm (median of 2 alternating rounds). Through the
   search engine when it is there (epochs come free: 18 trainings), else 36 runs.
2. The per-run cost of the Dask path: many 1-epoch runs, submitted at once, through a
   Runner and store. The LocalCluster's scheduler lives in this process, so this
   process's CPU time per run is what the central side (client + scheduler + store)
   spends on one run, whatever the number of workers.
3. The per-epoch cost: one long run of tiny epochs, the same way.
4. From those, the expected wall time of the grid and of a 10,000-point random search
   on 8, 32 and 128 workers (printed; the model is explained in bench/README.md).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor, ProcessExecutor
from core.runner import Runner
from core.store import RunStore
from core.worker import RunRequest

LAYERS = [(6, 6), (32,), (64, 64)]
LRS = [0.001, 0.01, 0.1]
EPOCHS = [50, 100]
ACTIVATIONS = ["relu", "tanh"]
TINY_RUNS = 200
LONG_EPOCHS = 2000
WORKER_COUNTS = (8, 32, 128)
RANDOM_POINTS = 10_000


def digits_csv(folder: Path) -> tuple[Path, Path]:
    """The reference split as train and test CSVs, as bench/bench_grid.py writes it:
    pixels / 16 (multiples of 1/16, exact in text), stratified 75/25, seed 0."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    parts = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    header = ",".join([f"pixel{i}" for i in range(64)] + ["digit"])
    paths = (folder / "train.csv", folder / "test.csv")
    for path, rows, labels in ((paths[0], parts[0], parts[2]), (paths[1], parts[1], parts[3])):
        with path.open("w") as out:
            out.write(header + "\n")
            for row, label in zip(rows, labels):
                out.write(",".join(repr(float(v)) for v in row) + f",{int(label)}\n")
    return paths


def reference_spec(csv: tuple[Path, Path]) -> DatasetSpec:
    return DatasetSpec(name=None, train=str(csv[0]), test=str(csv[1]), scale=False)


def grid_configs() -> list[RunConfig]:
    grid = itertools.product(LAYERS, LRS, EPOCHS, ACTIVATIONS)
    return [RunConfig(layers=n, lr=lr, epochs=e, activation=a, seed=10) for n, lr, e, a in grid]


def sweep_spec(csv: tuple[Path, Path]):
    """The grid as a sweep file, or None when the search engine is not there."""
    try:
        from core.search.sweepfile import parse_sweep
    except ImportError:
        return None
    text = f"""
[dataset]
train = "{csv[0]}"
test = "{csv[1]}"
scale = false

[search]
strategy = "grid"
workers = 2

[fixed]
seed = 10

[space]
layers = {[list(n) for n in LAYERS]}
lr = {LRS}
epochs = {EPOCHS}
activation = {json.dumps(ACTIVATIONS)}
"""
    return parse_sweep(text, source="reference grid")


def run_grid(
    executor, csv: tuple[Path, Path], folder: Path, tag: str
) -> tuple[float, dict, list[tuple[float, int]]]:
    """Wall time, {point: (train, test)} and (seconds, epochs) of each training."""
    store = RunStore(folder / f"{tag}.db")
    spec = sweep_spec(csv)
    started = time.perf_counter()
    if spec is not None:
        from core.search.engine import run_sweep

        sweep_id = run_sweep(store, spec, executor)
        wall = time.perf_counter() - started
        records = list(store.sweep_runs(sweep_id).values())
    else:
        runner = Runner(store, executor)
        data = reference_spec(csv)
        handles = [runner.start(runner.enqueue(c, data)) for c in grid_configs()]
        for handle in handles:
            handle.result()
            handle.recorded.wait(30)
        wall = time.perf_counter() - started
        runner.close()
        records = store.list_runs(order_by="id")
    scores = {
        (tuple(r.params["layers"]), r.params["lr"], r.params["epochs"], r.params["activation"]): (
            r.train_accuracy,
            r.test_accuracy,
        )
        for r in records
    }
    # The trainings: a sweep stores the shorter points of a group as runs read off the
    # longest one's curve, in well under a millisecond; a real training takes longer.
    trainings = [(r.duration_s, r.n_epochs) for r in records if (r.duration_s or 0) > 0.01]
    store.close()
    return wall, scores, trainings


def many_runs(executor, configs, data: DatasetSpec, folder: Path, tag: str) -> tuple[float, float]:
    """Wall time and this process's CPU time for ``configs`` run through a Runner."""
    store = RunStore(folder / f"{tag}.db")
    runner = Runner(store, executor)
    ids = [runner.enqueue(config, data) for config in configs]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    handles = [runner.start(run_id, on_epoch=lambda _r, _p: None) for run_id in ids]
    for handle in handles:
        handle.result()
        handle.recorded.wait(30)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    runner.close()
    store.close()
    return wall, cpu


def compute_time(configs, data: DatasetSpec) -> float:
    """Seconds of pure training for ``configs``, in this process."""
    inline = InlineExecutor()
    total = sum(inline.submit(RunRequest(0, c, data)).result().duration_s for c in configs)
    inline.shutdown()
    return total


def makespan(durations: list[float], workers: int, per_run_s: float) -> float:
    """Greedy list scheduling in submission order, plus the central side's serial work."""
    free = [0.0] * workers
    for duration in durations:
        slot = free.index(min(free))
        free[slot] += duration
    return max(max(free), per_run_s * len(durations))


def main() -> None:
    from core.executors_dask import DaskExecutor

    global LAYERS, EPOCHS, TINY_RUNS, LONG_EPOCHS
    if "--quick" in sys.argv:  # a smoke test of this script, not a measurement
        LAYERS, EPOCHS, TINY_RUNS, LONG_EPOCHS = [(6, 6)], [20], 20, 200

    folder = Path(tempfile.mkdtemp(prefix="perceptune-bench-dask-"))
    csv = digits_csv(folder)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    mode = "search engine (18 trainings)" if sweep_spec(csv) is not None else "36 runs"
    print(f"reference grid through the {mode}")

    # -- 1. the reference grid, cold then warm ------------------------------------------
    t0 = time.perf_counter()
    process = ProcessExecutor(2)
    _, process_scores, _ = run_grid(process, csv, folder, "p-cold")
    process_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    dask = DaskExecutor(workers=2)
    dask_start = time.perf_counter() - t0
    _, dask_scores, _ = run_grid(dask, csv, folder, "d-cold")
    dask_cold = time.perf_counter() - t0
    walls: dict[str, list[float]] = {"process": [], "dask": []}
    for round_ in range(2):  # alternating, so a busy moment hurts both sides
        for name, executor in (("dask", dask), ("process", process)):
            wall, scores, trainings = run_grid(executor, csv, folder, f"{name}-{round_}")
            walls[name].append(wall)
            if name == "process":
                durations = [seconds for seconds, _ in trainings]  # warm, so no imports
                per_epoch = sum(durations) / sum(epochs for _, epochs in trainings)
            assert scores == process_scores, f"{name} scores differ"
    warm_p, warm_d = statistics.median(walls["process"]), statistics.median(walls["dask"])
    print(f"identical scores on both executors: {dask_scores == process_scores}")
    print(
        f"cold (start + grid): process {process_cold:.2f} s, dask {dask_cold:.2f} s "
        f"(LocalCluster start {dask_start:.2f} s) -> {dask_cold / process_cold:.2f}x"
    )
    print(
        f"warm grid (median of 2): process {warm_p:.2f} s, dask {warm_d:.2f} s "
        f"-> {warm_d / warm_p:.2f}x   (target <= 1.2x)"
    )

    # -- 2. per-run cost: tiny runs ------------------------------------------------------
    iris = DatasetSpec(name="iris")
    tiny = [RunConfig(layers=(2,), epochs=1, seed=i) for i in range(TINY_RUNS)]
    tiny_compute = compute_time(tiny[:50], iris) / 50
    results = {}
    for name, executor in (("process", process), ("dask", dask)):
        results[name] = many_runs(executor, tiny, iris, folder, f"tiny-{name}")
    print(f"tiny runs ({TINY_RUNS} x 1 epoch, iris, compute {tiny_compute * 1e3:.2f} ms each):")
    for name, (wall, cpu) in results.items():
        print(
            f"  {name:7s}: {TINY_RUNS / wall:6.1f} runs/s on 2 workers, "
            f"central CPU {cpu / TINY_RUNS * 1e3:.2f} ms/run"
        )
    per_run_s = results["dask"][1] / TINY_RUNS
    latency = []
    for config in tiny[:20]:
        t0 = time.perf_counter()
        dask.submit(RunRequest(0, config, iris)).result()
        latency.append(time.perf_counter() - t0)
    print(f"  dask round trip of one tiny run alone: {statistics.median(latency) * 1e3:.1f} ms")

    # -- 3. per-epoch cost: one long run of tiny epochs ---------------------------------
    long = [RunConfig(layers=(2,), epochs=LONG_EPOCHS, tol=0, n_iter_no_change=LONG_EPOCHS)]
    long_compute = compute_time(long, iris)
    epoch_cost = {}
    for name, executor in (("process", process), ("dask", dask)):
        wall, cpu = many_runs(executor, long, iris, folder, f"long-{name}")
        epoch_cost[name] = cpu / LONG_EPOCHS
        print(
            f"  {name:7s}: {LONG_EPOCHS} epochs in {wall:.2f} s (compute {long_compute:.2f} s), "
            f"central CPU {cpu / LONG_EPOCHS * 1e6:.0f} us/epoch"
        )
    process.shutdown()
    t0 = time.perf_counter()
    dask.shutdown()
    print(f"dask shutdown: {time.perf_counter() - t0:.2f} s")

    # -- 4. on paper: 8, 32, 128 workers -------------------------------------------------
    epochs_per_run = statistics.mean(EPOCHS)
    central = per_run_s + epoch_cost["dask"] * epochs_per_run
    mean_run = per_epoch * epochs_per_run  # a random point: epochs uniform in 50..100
    print(
        f"model: central {central * 1e3:.1f} ms per run ({per_run_s * 1e3:.2f} ms + "
        f"{epochs_per_run:.0f} epochs x {epoch_cost['dask'] * 1e6:.0f} us); "
        f"grid: {len(durations)} trainings, {per_epoch * 1e3:.1f} ms per epoch, "
        f"longest {max(durations):.2f} s, total {sum(durations):.1f} s"
    )
    ceiling = 1 / central
    print(f"central ceiling: {ceiling:.0f} runs/s")
    for workers in WORKER_COUNTS:
        grid_s = makespan(sorted(durations, reverse=True), workers, central)
        random_s = max(RANDOM_POINTS * mean_run / workers, RANDOM_POINTS * central)
        print(
            f"  {workers:4d} workers: grid {grid_s:5.2f} s, "
            f"{RANDOM_POINTS} random points {random_s:7.1f} s "
            f"({RANDOM_POINTS / random_s:5.1f} runs/s)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
