"""Curve cost: ``perceptune run`` (train and test accuracy every epoch, every epoch
committed to the store, worker process) against a plain script that fits the same
``MLPClassifier`` and scores once. Whole processes, wall time, digits, 300 epochs.

    python bench/bench_curve_cost.py [--reps 7] [--epochs 300] [--profile]

Both sides load digits the same way (stratified 25 % test split, seed 0; a
StandardScaler fit on the train part) and use the same hyperparameters (perceptune's
defaults: lr 0.01, seed 10, default tol, so scikit-learn may stop before 300 epochs;
the epochs actually run are printed). The order of the sides rotates every repetition
so drift on a shared machine hits them alike. Target: median ratio <= 1.15.

Two times per process: until it exits (what a shell prompt waits for) and until its
stdout/stderr close (what ``perceptune run --json | jq`` waits for: the pool's
forkserver holds them while it winds down). ``run --executor inline`` is the same
run in the CLI's own process, without the worker pool.

``--profile`` adds an in-process breakdown of where perceptune's extra time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.15
NETWORKS = ("6,6", "64,64")
TOL = "0.0001"  # both sides' tol (--tol)

PLAIN = """
import sys, warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

layers = tuple(int(n) for n in sys.argv[1].split(","))
epochs = int(sys.argv[2])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
model = MLPClassifier(hidden_layer_sizes=layers, learning_rate_init=0.01, max_iter=epochs,
                      random_state=10, tol=tol)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)
print(model.n_iter_, model.score(X_train, y_train), model.score(X_test, y_test))
"""

PERCEPTUNE = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(cmd: list[str], cwd: str) -> tuple[float, float, str]:
    """Seconds until the process exits, until its stdout/stderr close (helper processes
    such as the forkserver keep them open while they wind down), and its stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env()
    )
    exited: list[float] = []

    def wait() -> None:
        proc.wait()
        exited.append(time.perf_counter())

    waiter = threading.Thread(target=wait)
    waiter.start()
    out, err = proc.communicate()
    closed = time.perf_counter()
    waiter.join()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return exited[0] - start, closed - start, out


Result = tuple[float, float, int, float, float]  # exit s, closed s, epochs, train, test


def run_perceptune(layers: str, epochs: int, tmp: str, executor: str = "process") -> Result:
    store = os.path.join(tmp, f"bench-{executor}.db")
    args = ["run", "--dataset", "digits", "--layers", layers, "--epochs", str(epochs)]
    args += ["--store", store, "--json", "--quiet", "--executor", executor, "--tol", TOL]
    exited, closed, out = timed([sys.executable, "-c", PERCEPTUNE, *args], tmp)
    data = json.loads(out)
    return exited, closed, data["n_epochs"], data["train_accuracy"], data["test_accuracy"]


def run_inline(layers: str, epochs: int, tmp: str) -> Result:
    return run_perceptune(layers, epochs, tmp, "inline")


def run_plain(layers: str, epochs: int, tmp: str) -> Result:
    exited, closed, out = timed([sys.executable, "-c", PLAIN, layers, str(epochs), TOL], tmp)
    n_iter, train, test = out.split()
    return exited, closed, int(n_iter), float(train), float(test)


def machine() -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"  {name}={os.environ.get(name, '(unset)')}")


def profile(epochs: int) -> None:
    """Where the extra time goes, measured in this process (warm imports)."""
    sys.path.insert(0, str(ROOT))
    import warnings

    from sklearn.neural_network import MLPClassifier

    from core.config import RunConfig
    from core.datasets import DatasetSpec, load_dataset
    from core.results import EpochPoint
    from core.store import RunStore
    from core.training import train

    data = load_dataset(DatasetSpec(name="digits"))
    print("\nin-process breakdown (median of 5, seconds):")
    for layers in NETWORKS:
        config = RunConfig(layers=tuple(int(n) for n in layers.split(",")), epochs=epochs)
        fit_times, train_times = [], []
        n_epochs = 0
        for _ in range(5):
            model = MLPClassifier(**config.to_sklearn_params())
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(data.X_train, data.y_train)
                model.score(data.X_train, data.y_train)
                model.score(data.X_test, data.y_test)
            fit_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = train(config, data)
            train_times.append(time.perf_counter() - start)
            n_epochs = result.n_epochs
        fit, trained = statistics.median(fit_times), statistics.median(train_times)
        print(
            f"  {layers:>6}: fit+score once {fit:.3f}  train() with per-epoch scoring "
            f"{trained:.3f}  (x{trained / fit:.2f}, {n_epochs} epochs, "
            f"{(trained - fit) / n_epochs * 1e3:.2f} ms/epoch extra)"
        )
    with tempfile.TemporaryDirectory() as tmp, RunStore(os.path.join(tmp, "p.db")) as store:
        run_id = store.create_run({}, {})
        start = time.perf_counter()
        for epoch in range(1, 301):
            store.add_epoch(run_id, EpochPoint(epoch, 0.5, 0.5, 1.0))
        per_commit = (time.perf_counter() - start) / 300
    print(f"  store: one committed epoch {per_commit * 1e3:.3f} ms")
    for label, code in (
        ("python -c pass", "pass"),
        ("import core.cli", "import core.cli"),
        ("import sklearn.neural_network", "import sklearn.neural_network"),
        (
            "process pool start (forkserver + preload)",
            "from core.executors import ProcessExecutor as P; P(1).start(wait=True).shutdown()",
        ),
    ):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env(), check=True)
            times.append(time.perf_counter() - start)
        print(f"  process: {label:<42} {statistics.median(times):.3f}")


def main() -> None:
    global TOL, NETWORKS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--tol", default="0.0001", help="both sides' tol (0: all epochs)")
    parser.add_argument("--networks", nargs="*", default=list(NETWORKS), help="e.g. 64,64")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    TOL, NETWORKS = args.tol, tuple(args.networks)
    machine()
    sides = {
        "plain": run_plain,
        "perceptune run": run_perceptune,
        "run --executor inline": run_inline,
    }
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for layers in NETWORKS:
            exits: dict[str, list[float]] = {name: [] for name in sides}
            closes: dict[str, list[float]] = {name: [] for name in sides}
            results: dict[str, tuple[int, float, float]] = {}
            for fn in sides.values():
                fn(layers, args.epochs, tmp)  # warm the page cache, untimed
            names = list(sides)
            for rep in range(args.reps):
                # Rotate the order so drift on a shared machine hits every side alike.
                for name in names[rep % len(names) :] + names[: rep % len(names)]:
                    exited, closed, n_epochs, train, test = sides[name](layers, args.epochs, tmp)
                    exits[name].append(exited)
                    closes[name].append(closed)
                    results[name] = (n_epochs, round(train, 12), round(test, 12))
            base_exit = statistics.median(exits["plain"])
            base_close = statistics.median(closes["plain"])
            print(
                f"layers {layers}: {results['plain'][0]} epochs run of {args.epochs} "
                f"(tol {TOL}); plain fit+score {base_exit:.3f} s"
            )
            for name in names[1:]:
                exit_ratio = statistics.median(exits[name]) / base_exit
                close_ratio = statistics.median(closes[name]) / base_close
                same = "same" if results[name] == results["plain"] else "DIFFERENT"
                print(
                    f"  {name:<22} {statistics.median(exits[name]):.3f} s to exit: "
                    f"ratio {exit_ratio:.3f}; {statistics.median(closes[name]):.3f} s until "
                    f"its output closes: ratio {close_ratio:.3f}; final scores {same}"
                )
                verdicts.append(f"{layers} {name}: {exit_ratio:.3f} / {close_ratio:.3f}")
            for name in names:
                print(f"    {name:<22} exit: {' '.join(f'{t:.3f}' for t in exits[name])}")
                print(f"    {'':<22} closed: {' '.join(f'{t:.3f}' for t in closes[name])}")
    print(f"load after: {os.getloadavg()}")
    print(f"ratios (exit / output closed), target <= {TARGET}:")
    for line in verdicts:
        print(f"  {line}")
    if args.profile:
        profile(args.epochs)


if __name__ == "__main__":
    main()
