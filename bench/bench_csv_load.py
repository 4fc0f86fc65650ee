"""CSV loading: perceptune's ``load_dataset`` (read, type the columns, split, encode)
against a bare ``pandas.read_csv`` of the same file, and its peak extra memory against
the size of the final arrays.

    python bench/bench_csv_load.py [--rows 100000] [--reps 5]

Writes a generated file (27 number columns, 2 text columns, a class column) to a
temporary folder. Each measurement runs in a fresh interpreter with pandas,
scikit-learn and perceptune's CSV modules already imported, so imports are not counted
(this sandbox sets PYTHONDONTWRITEBYTECODE, so our modules compile at every import: ~60
ms that an installed copy does not pay); the two sides alternate; memory is the growth of the
peak resident set size (``ru_maxrss``) during the load. Targets: time <= 1.5x
``pandas.read_csv``; peak extra memory <= 3x the final arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIME_TARGET = 1.5
MEMORY_TARGET = 3.0

MEASURE = """
import json, resource, sys, time
import pandas, sklearn.compose, sklearn.impute, sklearn.preprocessing, sklearn.model_selection
from core.datasets import DatasetSpec, load_dataset
# imported on first use by a run:
import core.csvdata, core.encoding, core.encoding_inplace, core.stratify
path, what = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu_start = time.process_time()
start = time.perf_counter()
if what == "pandas":
    frame = pandas.read_csv(path)
    size = int(frame.memory_usage(deep=False).sum())
else:
    data = load_dataset(DatasetSpec(name=None, train=path))
    size = data.X_train.nbytes + data.X_test.nbytes
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu_start  # every thread of the process
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_extra": peak, "array_bytes": size}))
"""


def make_file(path: Path, rows: int) -> None:
    """27 float columns, 2 text columns with a few values and some NA, a 3-class label."""
    rng = np.random.default_rng(0)
    numbers = rng.normal(size=(rows, 27)).round(6)
    colours = rng.choice(np.array(["red", "green", "blue", "NA"]), size=rows)
    sizes = rng.choice(np.array(["S", "M", "L", "XL"]), size=rows)
    labels = rng.integers(0, 3, size=rows)
    header = [f"x{i}" for i in range(27)] + ["colour", "size", "label"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(header) + "\n")
        for i in range(rows):
            cells = [f"{v:.6f}" for v in numbers[i]]
            handle.write(",".join([*cells, colours[i], sizes[i], str(labels[i])]) + "\n")


def measure(path: Path, what: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), what],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        make_file(path, args.rows)
        print(f"file: {args.rows} rows x 30 columns, {path.stat().st_size / 2**20:.1f} MiB")
        # Alternate the two sides (A/B, B/A, ...) so that a shared machine's load
        # changes hit both alike; the ratio is the median of the per-round ratios.
        results: dict[str, list[dict]] = {"pandas": [], "perceptune": []}
        for rep in range(args.reps):
            order = ("pandas", "perceptune") if rep % 2 == 0 else ("perceptune", "pandas")
            for what in order:
                results[what].append(measure(path, what))
        print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    pandas_s = statistics.median(r["seconds"] for r in results["pandas"])
    ours = results["perceptune"]
    ours_s = statistics.median(r["seconds"] for r in ours)
    peak = statistics.median(r["peak_extra"] for r in ours)
    arrays = ours[0]["array_bytes"]
    memory = peak / arrays
    ratio = statistics.median(
        mine["seconds"] / theirs["seconds"]
        for mine, theirs in zip(ours, results["pandas"], strict=True)
    )
    pandas_peak = statistics.median(r["peak_extra"] for r in results["pandas"])
    pandas_cpu = statistics.median(r["cpu"] for r in results["pandas"])
    ours_cpu = statistics.median(r["cpu"] for r in ours)
    print(
        f"pandas.read_csv: {pandas_s:.3f} s (median of {args.reps}), peak extra memory "
        f"{pandas_peak / 2**20:.0f} MiB"
    )
    print(
        f"load_dataset: {ours_s:.3f} s (median); per round {ratio:.2f}x pandas (median of "
        f"{args.reps} alternating rounds; target <= {TIME_TARGET}x)"
    )
    print(
        f"CPU time (all threads; less sensitive to the machine's load): pandas "
        f"{pandas_cpu:.3f} s, load_dataset {ours_cpu:.3f} s = {ours_cpu / pandas_cpu:.2f}x"
    )
    print(
        f"peak extra memory: {peak / 2**20:.0f} MiB for {arrays / 2**20:.1f} MiB of final arrays "
        f"= {memory:.2f}x (target <= {MEMORY_TARGET}x)"
    )


if __name__ == "__main__":
    main()
