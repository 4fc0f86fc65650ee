"""Grid search: ``perceptune sweep`` against scikit-learn's GridSearchCV on the same job.

    python bench/bench_grid.py [--reps 1] [--workers 2]

The reference grid: digits (pixels / 16, stratified 75/25 split, seed 0, no further
scaling), layers {(6,6), (32,), (64,64)} x lr {0.001, 0.01, 0.1} x epochs {50, 100} x
activation {relu, tanh} = 36 points, seed 10.

- GridSearchCV(n_jobs=2, cv=PredefinedSplit, return_train_score=True, refit=False) in
  its own process, loading digits itself.
- ``perceptune sweep`` with 2 workers in its own process, on train/test CSV files this
  script writes from the very same split (the values are multiples of 1/16, which a
  CSV holds exactly), with ``scale = false``.
- ``perceptune sweep`` with successive halving on the same grid.

Both are whole processes timed from launch to exit. Printed: both wall times, the
ratio (target <= 0.75), whether all 36 train and test scores are identical, and for
halving its wall time ratio (target <= 0.4) and whether its best configuration is
within 1 point of the grid's best test accuracy. With ``--reps N`` the sides
alternate N times and the medians count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_GRID = 0.75
TARGET_HALVING = 0.4

LAYERS = [[6, 6], [32], [64, 64]]
LRS = [0.001, 0.01, 0.1]
EPOCHS = [50, 100]
ACTIVATIONS = ["relu", "tanh"]
SEED = 10

DATA = """
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def split():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
"""

GRIDSEARCH = (
    DATA
    + """
import json, sys, warnings
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.neural_network import MLPClassifier

X_train, X_test, y_train, y_test = split()
X = np.vstack([X_train, X_test])
y = np.concatenate([y_train, y_test])
fold = np.r_[np.full(len(y_train), -1), np.zeros(len(y_test))]
grid = {
    "hidden_layer_sizes": [tuple(layers) for layers in LAYERS],
    "learning_rate_init": LRS,
    "max_iter": EPOCHS,
    "activation": ACTIVATIONS,
}
search = GridSearchCV(
    MLPClassifier(random_state=SEED), grid, cv=PredefinedSplit(fold), n_jobs=2,
    return_train_score=True, refit=False,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    search.fit(X, y)
r = search.cv_results_
print(json.dumps([
    {"layers": list(p["hidden_layer_sizes"]), "lr": p["learning_rate_init"],
     "epochs": p["max_iter"], "activation": p["activation"],
     "train": float(tr), "test": float(te)}
    for p, tr, te in zip(r["params"], r["split0_train_score"], r["split0_test_score"])
]))
"""
)

WRITE_CSV = (
    DATA
    + """
import sys

X_train, X_test, y_train, y_test = split()
header = ",".join([f"pixel{i}" for i in range(64)] + ["digit"])
for path, X, y in ((sys.argv[1], X_train, y_train), (sys.argv[2], X_test, y_test)):
    with open(path, "w") as out:
        out.write(header + "\\n")
        for row, label in zip(X, y):
            # repr is the shortest text that reads back as the same float
            out.write(",".join(repr(float(v)) for v in row) + f",{int(label)}\\n")
"""
)

PERCEPTUNE = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"


def constants() -> str:
    return (
        f"LAYERS = {LAYERS!r}\nLRS = {LRS!r}\nEPOCHS = {EPOCHS!r}\n"
        f"ACTIVATIONS = {ACTIVATIONS!r}\nSEED = {SEED}\n"
    )


def sweep_toml(train: str, test: str, workers: int, prune: str = "none") -> str:
    search = f'strategy = "grid"\nworkers = {workers}\nprune = "{prune}"\n'
    if prune == "halving":
        search += "prune_min_epochs = 5\nprune_eta = 3\n"
    return (
        f"[dataset]\ntrain = {json.dumps(train)}\ntest = {json.dumps(test)}\n"
        'target = "digit"\nscale = false\n\n'
        f"[search]\n{search}\n[fixed]\nseed = {SEED}\n\n[space]\n"
        f"layers = {LAYERS!r}\nlr = {LRS!r}\nepochs = {EPOCHS!r}\n"
        f"activation = {json.dumps(ACTIVATIONS)}\n"
    )


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(cmd: list[str], cwd: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env(), check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stderr}")
    return elapsed, result.stdout


def key(layers: list[int], lr: float, epochs: int, activation: str) -> tuple:
    return (tuple(layers), lr, epochs, activation)


def run_gridsearch(tmp: str) -> tuple[float, dict[tuple, tuple[float, float]]]:
    script = Path(tmp, "gridsearch.py")
    script.write_text(constants() + GRIDSEARCH)
    elapsed, out = timed([sys.executable, str(script)], tmp)
    scores = {
        key(p["layers"], p["lr"], p["epochs"], p["activation"]): (p["train"], p["test"])
        for p in json.loads(out)
    }
    return elapsed, scores


def run_sweep(tmp: str, toml: str, name: str) -> tuple[float, list[dict]]:
    path = Path(tmp, f"{name}.toml")
    path.write_text(toml)
    store = Path(tmp, f"{name}.db")
    for leftover in Path(tmp).glob(f"{name}.db*"):
        leftover.unlink()
    cmd = [sys.executable, "-c", PERCEPTUNE, "sweep", str(path), "--store", str(store)]
    elapsed, out = timed([*cmd, "--json", "--quiet"], tmp)
    return elapsed, json.loads(out)


def sweep_scores(points: list[dict]) -> dict[tuple, tuple[float, float, str]]:
    return {
        key(p["params"]["layers"], p["params"]["lr"], p["params"]["epochs"],
            p["params"]["activation"]): (p["train_accuracy"], p["test_accuracy"], p["status"])
        for p in points
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1, help="alternating repetitions")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        train, test = str(Path(tmp, "train.csv")), str(Path(tmp, "test.csv"))
        Path(tmp, "write_csv.py").write_text(WRITE_CSV)
        timed([sys.executable, str(Path(tmp, "write_csv.py")), train, test], tmp)
        grid_toml = sweep_toml(train, test, args.workers)
        halving_toml = sweep_toml(train, test, args.workers, prune="halving")

        times: dict[str, list[float]] = {"gridsearch": [], "sweep": [], "halving": []}
        identical = True
        halving_ok = True
        for rep in range(args.reps):
            order = ["gridsearch", "sweep", "halving"]
            if rep % 2:
                order.reverse()  # drift on a shared machine hits both sides
            results: dict[str, object] = {}
            for side in order:
                if side == "gridsearch":
                    elapsed, results[side] = run_gridsearch(tmp)
                else:
                    elapsed, results[side] = run_sweep(
                        tmp, grid_toml if side == "sweep" else halving_toml, side
                    )
                times[side].append(elapsed)
            reference: dict = results["gridsearch"]  # type: ignore[assignment]
            ours = sweep_scores(results["sweep"])  # type: ignore[arg-type]
            mismatches = [
                (k, reference[k], ours.get(k))
                for k in reference
                if ours.get(k) is None or ours[k][:2] != reference[k]
            ]
            if mismatches or len(ours) != len(reference):
                identical = False
                for mismatch in mismatches[:5]:
                    print("  differs:", mismatch)
            grid_best = max(test for _, test in reference.values())
            halving = sweep_scores(results["halving"])  # type: ignore[arg-type]
            done = [(test, k) for k, (_, test, status) in halving.items() if status == "done"]
            best_test, best_key = max(done)
            pruned = sum(1 for *_, status in halving.values() if status == "pruned")
            ok = best_test >= grid_best - 0.01
            halving_ok &= ok
            print(
                f"rep {rep + 1}: GridSearchCV {times['gridsearch'][-1]:.2f} s, sweep "
                f"{times['sweep'][-1]:.2f} s, halving {times['halving'][-1]:.2f} s "
                f"(best {best_test:.4f} {best_key} vs grid best {grid_best:.4f}; "
                f"{pruned} of {len(halving)} points pruned)"
            )

    gs = statistics.median(times["gridsearch"])
    sweep = statistics.median(times["sweep"])
    halving = statistics.median(times["halving"])
    print()
    print(f"GridSearchCV(n_jobs={2}):       {gs:.2f} s")
    print(f"perceptune sweep ({args.workers} workers): {sweep:.2f} s")
    print(f"ratio sweep / GridSearchCV:     {sweep / gs:.2f}  (target <= {TARGET_GRID})")
    print(f"all 36 scores identical:        {'yes' if identical else 'NO'}")
    print(f"perceptune sweep, halving:      {halving:.2f} s")
    print(f"ratio halving / GridSearchCV:   {halving / gs:.2f}  (target <= {TARGET_HALVING})")
    print(f"halving best within 1 point:    {'yes' if halving_ok else 'NO'}")


if __name__ == "__main__":
    main()
