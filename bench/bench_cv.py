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
is printed: the machine is shared, so each side's CPU time is printed too (user + system
of its whole process tree: the bench makes itself a child subreaper, so the forkserver,
the workers and joblib's loky workers are all reaped and counted here), which a busy
machine disturbs far less than the wall time.

Time to best (random30): when the point with the best score (the first to reach it)
finished, counted from the launch of the process: perceptune's from the store's
``finished_at``, scikit-learn's from a scorer that notes when each point was scored.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grid import env, timed  # noqa: E402  (the grid bench's environment)

SEED = 10

SPLIT = """
import json, sys, time, warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import (GridSearchCV, PredefinedSplit, StratifiedKFold,
                                     train_test_split)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

STAMPS = sys.argv[3]


def scorer(estimator, X, y):
    # The default scorer (estimator.score), noting when and what it scored: the
    # points' times to best. One short line appended per call (O_APPEND: whole lines).
    score = estimator.score(X, y)
    params = estimator.get_params()
    prefix = "mlp__" if "mlp__max_iter" in params else ""
    key = [list(params[prefix + "hidden_layer_sizes"]), params[prefix + "learning_rate_init"],
           params[prefix + "max_iter"], params[prefix + "activation"], params[prefix + "alpha"]]
    with open(STAMPS, "a") as out:
        out.write(json.dumps([time.time(), key]) + "\\n")
    return score


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
    search = GridSearchCV(model, grid, cv=StratifiedKFold(cv), n_jobs=2, refit=False,
                          scoring=scorer)
    data = (X_train, y_train)
else:
    scaler = StandardScaler().fit(X_train)
    Xs = np.vstack([scaler.transform(X_train), scaler.transform(X_test)])
    fold = np.r_[np.full(len(y_train), -1), np.zeros(len(y_test))]
    search = GridSearchCV(MLPClassifier(random_state=SEED), grid, cv=PredefinedSplit(fold),
                          n_jobs=2, refit=False, scoring=scorer)
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


def become_subreaper() -> bool:
    """Adopt the orphans of the commands timed here (PR_SET_CHILD_SUBREAPER): a
    forkserver or a loky worker that outlives its process is then reaped by us and its
    CPU time counted in ``RUSAGE_CHILDREN``. Linux only; False elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_orphans(timeout: float = 10.0) -> None:
    """Wait for every adopted process still running (a forkserver ends once its owner
    is gone), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)


def compile_core() -> None:
    """Compile this checkout's ``core`` to ``.pyc`` files (in its ``__pycache__``
    folders, which git ignores): an installed perceptune has them, as scikit-learn has
    in site-packages, while this environment (``PYTHONDONTWRITEBYTECODE``) would
    otherwise compile every module from source in the CLI and again in the forkserver,
    on every launch. (A ``PYTHONPYCACHEPREFIX`` would not do: Python then looks for
    every module's bytecode there, and compiles numpy and scikit-learn from source.)"""
    compile_env = env()
    compile_env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "core")],
        env=compile_env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measured(cmd: list[str], cwd: str) -> tuple[float, float, float, str]:
    """Run ``cmd``: ``(wall seconds, CPU seconds of its process tree, launch time as
    time.time(), stdout)``."""
    reap_orphans()
    cpu = children_cpu()
    launched = time.time()
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env(), check=False)
    elapsed = time.perf_counter() - start
    reap_orphans()
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stderr}")
    return elapsed, children_cpu() - cpu, launched, result.stdout


def best_time(scored: list[tuple[float, float]]) -> float:
    """When the first point with the best score finished: ``scored`` holds each
    point's ``(score, finish time)``."""
    best = max(score for score, _ in scored)
    return min(when for score, when in scored if score == best)


def run_sweep(tmp: str, name: str, toml: str, cv: int) -> tuple[float, float, float, list[dict]]:
    """``(wall, CPU, time to best, runs)`` of the sweep."""
    path = Path(tmp, f"{name}.toml")
    path.write_text(toml)
    for leftover in Path(tmp).glob(f"{name}.db*"):
        leftover.unlink()
    store = str(Path(tmp, f"{name}.db"))
    cmd = [sys.executable, "-c", PERCEPTUNE, "sweep", str(path), "--store", store]
    elapsed, cpu, launched, _ = measured([*cmd, "--json", "--quiet"], tmp)
    runs = json.loads(
        timed([sys.executable, "-c", PERCEPTUNE, "runs", "--json", "--store", store], tmp)[1]
    )
    with sqlite3.connect(store) as conn:  # runs --json leaves the finish times out
        finished = dict(conn.execute("SELECT id, finished_at FROM runs"))
    key = "cv_accuracy" if cv else "test_accuracy"
    to_best = best_time([(r[key], finished[r["id"]] - launched) for r in runs])
    return elapsed, cpu, to_best, runs


def point_key(params: dict) -> str:
    return json.dumps(
        [
            list(params["layers"]),
            params["lr"],
            params["epochs"],
            params.get("activation", "relu"),
            params.get("alpha", 0.0001),
        ]
    )


def run_sklearn(tmp: str, points: list[dict], cv: int) -> tuple[float, float, float, list[float]]:
    """``(wall, CPU, time to best, mean_test_score per point)`` of scikit-learn's search."""
    script = Path(tmp, "sklearn_side.py")
    script.write_text(SPLIT)
    stamps = Path(tmp, "stamps.jsonl")
    stamps.unlink(missing_ok=True)
    elapsed, cpu, launched, out = measured(
        [sys.executable, str(script), json.dumps(points), str(cv), str(stamps)], tmp
    )
    scores = json.loads(out)
    finished: dict[str, float] = {}  # a point is done when its last fold is scored
    for line in stamps.read_text().splitlines():
        when, key = json.loads(line)
        key = json.dumps(key)
        finished[key] = max(finished.get(key, 0.0), when - launched)
    to_best = best_time([(s, finished[point_key(p)]) for s, p in zip(scores, points)])
    return elapsed, cpu, to_best, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument(
        "--cold-bytecode",
        action="store_true",
        help="leave core uncompiled (every process compiles it from source; remove its "
        "__pycache__ folders first)",
    )
    args = parser.parse_args()
    if not become_subreaper():
        print("(not a subreaper: CPU times miss processes that outlive their parent)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.cold_bytecode:
            compile_core()
        for name in args.only:
            scenario = SCENARIOS[name]
            cv = scenario["cv"]
            toml = sweep_toml(scenario, args.workers)
            ours: dict[str, list[float]] = {"wall": [], "cpu": [], "best": []}
            theirs: dict[str, list[float]] = {"wall": [], "cpu": [], "best": []}
            same = True
            runs: list[dict] = []
            for rep in range(args.reps):
                order = ["ours", "theirs"] if rep % 2 == 0 else ["theirs", "ours"]
                for side in order:
                    if side == "ours" or not runs:  # scikit-learn fits perceptune's points
                        wall, cpu, best, runs = run_sweep(tmp, name, toml, cv)
                        if side == "ours":
                            for k, v in zip(("wall", "cpu", "best"), (wall, cpu, best)):
                                ours[k].append(v)
                    if side == "theirs":
                        points = [r["params"] for r in sorted(runs, key=lambda r: r["id"])]
                        wall, cpu, best, scores = run_sklearn(tmp, points, cv)
                        for k, v in zip(("wall", "cpu", "best"), (wall, cpu, best)):
                            theirs[k].append(v)
                ranked = sorted(runs, key=lambda r: r["id"])
                key = "cv_accuracy" if cv else "test_accuracy"
                mine = [r.get(key) for r in ranked]
                same &= mine == scores
                if mine != scores:
                    diffs = [(i, a, b) for i, (a, b) in enumerate(zip(mine, scores)) if a != b]
                    print(f"  {name}: {len(diffs)} scores differ, e.g. {diffs[:3]}")
            med = {k: statistics.median(v) for k, v in ours.items()}
            ref = {k: statistics.median(v) for k, v in theirs.items()}
            line = (
                f"{name:12} perceptune {med['wall']:6.2f} s  scikit-learn {ref['wall']:6.2f} s  "
                f"ratio {med['wall'] / ref['wall']:.2f} (target <= {scenario['target']})  "
                f"CPU {med['cpu']:6.2f} s / {ref['cpu']:6.2f} s = {med['cpu'] / ref['cpu']:.2f}  "
            )
            if scenario.get("strategy") == "random":
                line += (
                    f"to best {med['best']:5.2f} s / {ref['best']:5.2f} s = "
                    f"{med['best'] / ref['best']:.2f}  "
                )
            line += f"scores identical: {'yes' if same else 'NO'}  load {os.getloadavg()[0]:.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
