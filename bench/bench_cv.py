"""Search against scikit-learn on the same folds: k-fold grids, a fixed-epochs grid and
a random search, each ``perceptune sweep`` against its scikit-learn peer in one run.

    python bench/bench_cv.py [--reps 1] [--workers 2] [--only NAME ...]

Data: digits, stratified 75/25 split with seed 0 (perceptune's built-in split). Every
side is a whole process timed from launch to exit, 2 workers against ``n_jobs=2``:

- ``cv12``: 12 points (layers {(32,), (64, 64)} x lr {0.001, 0.01, 0.1} x activation
  {relu, tanh}, 60 epochs) x 5-fold CV: ``sweep`` with ``cv = 5`` against
  ``GridSearchCV(Pipeline([StandardScaler(), MLPClassifier()]), cv=StratifiedKFold(5),
  refit=False)`` on the train part. Every point's ``cv_accuracy`` must equal
  ``mean_test_score`` exactly. Target <= 0.9.
- ``cv12-epochs``: 12 points with an epochs axis of 2 values (layers x lr x epochs
  {30, 60}, relu), 5-fold, the same check. Target <= 0.6.
- ``grid36``: 36 points with epochs fixed at 200 (layers {(6, 6), (32,), (64, 64)} x
  lr x activation x alpha {1e-4, 1e-2}) scored on the test part:
  ``GridSearchCV(cv=PredefinedSplit)`` on the scaled split. Target <= 1.0.
- ``random30``: 30 random points of the same space with epochs drawn from 50..200,
  scored on the test part, against the very same 30 points given to
  ``GridSearchCV(cv=PredefinedSplit)`` (what ``RandomizedSearchCV`` does once it has
  drawn: it fits its draws as a list). Target <= 1.0.

With ``--reps N`` the sides alternate N times and the medians count. The load average
is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grid import timed  # noqa: E402  (the same subprocess timing as the grid bench)

SEED = 10

SPLIT = """
import json, sys, warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import (GridSearchCV, PredefinedSplit, StratifiedKFold,
                                     train_test_split)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
points = json.loads(sys.argv[1])
cv = int(sys.argv[2])
grid = [
    {f"{prefix}hidden_layer_sizes": [tuple(p["layers"])],
     f"{prefix}learning_rate_init": [p["lr"]], f"{prefix}max_iter": [p["epochs"]],
     f"{prefix}activation": [p.get("activation", "relu")],
     f"{prefix}alpha": [p.get("alpha", 0.0001)]}
    for prefix in ["mlp__" if cv else ""] for p in points
]
if cv:
    model = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(random_state=SEED))])
    search = GridSearchCV(model, grid, cv=StratifiedKFold(cv), n_jobs=2, refit=False)
    data = (X_train, y_train)
else:
    scaler = StandardScaler().fit(X_train)
    Xs = np.vstack([scaler.transform(X_train), scaler.transform(X_test)])
    fold = np.r_[np.full(len(y_train), -1), np.zeros(len(y_test))]
    search = GridSearchCV(MLPClassifier(random_state=SEED), grid, cv=PredefinedSplit(fold),
                          n_jobs=2, refit=False)
    data = (Xs, np.concatenate([y_train, y_test]))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    search.fit(*data)
print(json.dumps([float(s) for s in search.cv_results_["mean_test_score"]]))
""".replace("SEED", str(SEED))

PERCEPTUNE = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"

SCENARIOS = {
    "cv12": {
        "cv": 5,
        "space": (
            'layers = [[32], [64, 64]]\nlr = [0.001, 0.01, 0.1]\nactivation = ["relu", "tanh"]'
        ),
        "fixed": "epochs = 60",
        "target": 0.9,
    },
    "cv12-epochs": {
        "cv": 5,
        "space": "layers = [[32], [64, 64]]\nlr = [0.001, 0.01, 0.1]\nepochs = [30, 60]",
        "fixed": "",
        "target": 0.6,
    },
    "grid36": {
        "cv": 0,
        "space": (
            "layers = [[6, 6], [32], [64, 64]]\nlr = [0.001, 0.01, 0.1]\n"
            'activation = ["relu", "tanh"]\nalpha = [0.0001, 0.01]'
        ),
        "fixed": "epochs = 200",
        "target": 1.0,
    },
    "random30": {
        "cv": 0,
        "strategy": "random",
        "space": (
            "layers = [[6, 6], [32], [64, 64]]\nlr = { log_uniform = [0.001, 0.1] }\n"
            'activation = ["relu", "tanh"]\nepochs = { int = [50, 200] }'
        ),
        "fixed": "",
        "target": 1.0,
    },
}


def sweep_toml(scenario: dict, workers: int) -> str:
    strategy = scenario.get("strategy", "grid")
    search = f'strategy = "{strategy}"\nworkers = {workers}\nseed = 0\n'
    if strategy == "random":
        search += "trials = 30\n"
    if scenario["cv"]:
        search += f"cv = {scenario['cv']}\n"
    return (
        f'[dataset]\nname = "digits"\n\n[search]\n{search}\n[fixed]\nseed = {SEED}\n'
        f"{scenario['fixed']}\n\n[space]\n{scenario['space']}\n"
    )


def run_sweep(tmp: str, name: str, toml: str) -> tuple[float, list[dict]]:
    path = Path(tmp, f"{name}.toml")
    path.write_text(toml)
    for leftover in Path(tmp).glob(f"{name}.db*"):
        leftover.unlink()
    store = str(Path(tmp, f"{name}.db"))
    cmd = [sys.executable, "-c", PERCEPTUNE, "sweep", str(path), "--store", store]
    return timed([*cmd, "--json", "--quiet"], tmp)[0], json.loads(
        timed([sys.executable, "-c", PERCEPTUNE, "runs", "--json", "--store", store], tmp)[1]
    )


def run_sklearn(tmp: str, points: list[dict], cv: int) -> tuple[float, list[float]]:
    script = Path(tmp, "sklearn_side.py")
    script.write_text(SPLIT)
    elapsed, out = timed([sys.executable, str(script), json.dumps(points), str(cv)], tmp)
    return elapsed, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), default=list(SCENARIOS))
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only:
            scenario = SCENARIOS[name]
            toml = sweep_toml(scenario, args.workers)
            ours_t: list[float] = []
            theirs_t: list[float] = []
            same = True
            for rep in range(args.reps):
                order = ["ours", "theirs"] if rep % 2 == 0 else ["theirs", "ours"]
                for side in order:
                    if side == "ours":
                        elapsed, runs = run_sweep(tmp, name, toml)
                        ours_t.append(elapsed)
                    else:
                        points = (
                            [r["params"] for r in sorted(runs, key=lambda r: r["id"])]
                            if (ours_t)
                            else None
                        )
                        if points is None:  # sklearn first: the points are the grid's
                            elapsed, runs = run_sweep(tmp, name, toml)
                            points = [r["params"] for r in sorted(runs, key=lambda r: r["id"])]
                        elapsed, scores = run_sklearn(tmp, points, scenario["cv"])
                        theirs_t.append(elapsed)
                ranked = sorted(runs, key=lambda r: r["id"])
                key = "cv_accuracy" if scenario["cv"] else "test_accuracy"
                mine = [r.get(key) for r in ranked]
                same &= mine == scores
                if mine != scores:
                    diffs = [(i, a, b) for i, (a, b) in enumerate(zip(mine, scores)) if a != b]
                    print(f"  {name}: {len(diffs)} scores differ, e.g. {diffs[:3]}")
            ours, theirs = statistics.median(ours_t), statistics.median(theirs_t)
            print(
                f"{name:12} perceptune {ours:6.2f} s  scikit-learn {theirs:6.2f} s  "
                f"ratio {ours / theirs:.2f} (target <= {scenario['target']})  "
                f"scores identical: {'yes' if same else 'NO'}  "
                f"load {os.getloadavg()[0]:.2f}"
            )


if __name__ == "__main__":
    main()
