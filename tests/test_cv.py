"""k-fold cross-validation (core/folds.py, core/cv.py): every fold's curve is the real
``fit``, a point's ``cv_accuracy`` is GridSearchCV's ``mean_test_score`` bit for bit,
bad values are refused in one line, and the Dask wire carries the new fields."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core import dask_wire as wire
from core.config import RunConfig
from core.cv import REFIT, summarize, task_id, task_of
from core.datasets import DatasetSpec, load_dataset
from core.results import EpochPoint
from core.training import train
from core.worker import RunOutcome, RunRequest

IRIS_CV = DatasetSpec(name="iris", cv=3)


def iris_train_part():
    """The train part of iris as perceptune splits it, unscaled, by scikit-learn alone."""
    X, y = load_iris(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    return X_train, y_train


def sklearn_fit(config: RunConfig, epochs: int, X, y):
    model = MLPClassifier(**{**config.to_sklearn_params(), "max_iter": epochs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def test_every_fold_curve_point_k_is_fit_max_iter_k_on_that_fold():
    config = RunConfig(layers=(8,), lr=0.05, epochs=6, seed=1)
    X, y = iris_train_part()
    folds = list(StratifiedKFold(3).split(X, y))
    for fold in (0, 2):
        data = load_dataset(IRIS_CV.fold_spec(fold))
        train_rows, valid_rows = folds[fold]
        scaler = StandardScaler().fit(X[train_rows])  # fit on the fold's train rows only
        X_fit, X_valid = scaler.transform(X[train_rows]), scaler.transform(X[valid_rows])
        assert np.array_equal(data.X_train, X_fit) and np.array_equal(data.X_test, X_valid)
        curve = train(config, data).curve
        assert [p.epoch for p in curve] == list(range(1, 7))
        for k in (1, 4, 6):
            model = sklearn_fit(config, k, X_fit, y[train_rows])
            assert curve[k - 1].train_accuracy == model.score(X_fit, y[train_rows])
            assert curve[k - 1].test_accuracy == model.score(X_valid, y[valid_rows])


def test_sweep_cv_accuracy_is_gridsearchcv_mean_test_score_exactly(run_cli, tmp_path):
    sweep = tmp_path / "cv.toml"
    sweep.write_text(
        '[dataset]\nname = "iris"\n[search]\nstrategy = "grid"\nworkers = 2\ncv = 3\n'
        "[fixed]\nseed = 4\nlr = 0.05\n[space]\nlayers = [[8], [5, 5]]\nepochs = [4, 9]\n",
        encoding="utf-8",
    )
    store = tmp_path / "s.db"
    done = run_cli("sweep", str(sweep), "--json", "--store", str(store))
    assert done.returncode == 0, done.stderr
    points = json.loads(done.stdout)
    assert len(points) == 4 and {p["status"] for p in points} == {"done"}

    config = RunConfig(lr=0.05, seed=4)
    pipeline = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier())])
    pipeline.set_params(**{f"mlp__{k}": v for k, v in config.to_sklearn_params().items()})
    grid = {"mlp__hidden_layer_sizes": [(8,), (5, 5)], "mlp__max_iter": [4, 9]}
    search = GridSearchCV(pipeline, grid, cv=StratifiedKFold(3), refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(*iris_train_part())
    results = search.cv_results_
    for i, params in enumerate(results["params"]):
        key = (list(params["mlp__hidden_layer_sizes"]), params["mlp__max_iter"])
        point = next(p for p in points if (p["params"]["layers"], p["params"]["epochs"]) == key)
        assert point["cv_accuracy"] == results["mean_test_score"][i]  # exactly
        assert point["cv_std"] == pytest.approx(results["std_test_score"][i], abs=1e-15)
        folds = [results[f"split{f}_test_score"][i] for f in range(3)]
        assert point["fold_accuracies"] == folds
        assert point["train_accuracy"] is None and point["test_accuracy"] is None  # no refit

    ranked = run_cli("leaderboard", "1", "--json", "--store", str(store))
    rows = json.loads(ranked.stdout)
    assert [r["cv_accuracy"] for r in rows] == sorted(results["mean_test_score"], reverse=True)


def test_run_cv_refits_on_the_whole_train_part_and_draws_the_band(run_cli, store_path):
    done = run_cli(
        "run", "--dataset", "iris", "--cv", "3", "--layers", "8", "--epochs", "5",
        "--lr", "0.05", "--json", "--store", str(store_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["cv"] == 3 and run["refit"] is True and len(run["fold_accuracies"]) == 3
    assert run["cv_accuracy"] == np.mean(run["fold_accuracies"])
    # The refit is an ordinary run on the whole split: the same scores as fit on it.
    config = RunConfig(layers=(8,), lr=0.05, epochs=5)
    plain = load_dataset(DatasetSpec(name="iris"))
    model = sklearn_fit(config, 5, plain.X_train, plain.y_train)
    assert run["train_accuracy"] == model.score(plain.X_train, plain.y_train)
    assert run["test_accuracy"] == model.score(plain.X_test, plain.y_test)
    assert [p["epoch"] for p in run["refit_curve"]] == [1, 2, 3, 4, 5]
    # The run's curve is the folds' mean; the band adds their spread per epoch.
    assert [p["epoch"] for p in run["cv_curve"]] == [1, 2, 3, 4, 5]
    last = run["cv_curve"][-1]
    assert last["cv_accuracy"] == run["cv_accuracy"] and last["cv_std"] == run["cv_std"]
    assert run["curve"][-1]["test_accuracy"] == run["cv_accuracy"]
    assert run["diagnosis"]["fold_spread"] == round(run["cv_std"], 6)
    shown = run_cli("show", str(run["id"]), "--store", str(store_path))
    assert f"CV accuracy: {run['cv_accuracy']:.3f}" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cv", "1"], "cv: must be 0 (no cross-validation) or a number of folds from 2 to 50"),
        (["--cv", "51"], "from 2 to 50, got 51"),
        (["--cv", "x" * 5000], "cv: expected 0 (no cross-validation)"),
        (["--cv", "40"], "40 folds need at least 40 train rows of each class"),
        (["--no-refit"], "--no-refit: only applies with --cv K"),
    ],
)
def test_bad_cv_values_are_one_line_exit_2_and_store_nothing(run_cli, store_path, args, message):
    done = run_cli("run", "--dataset", "iris", *args, "--store", str(store_path))
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert len(done.stderr) < 300 and not store_path.exists()


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("cv = 1", "[search].cv: must be 0 (no cross-validation)"),
        ('cv = "5"', "[search].cv: expected a whole number"),
        ("refit = true", "[search].refit: only applies with cv = K"),
        ("cv = 3\nrefit = 1", "[search].refit: expected true or false"),
        ('cv = 3\nprune = "median"', "[search].prune: 'median' pruning reads one test curve"),
        ("cv = 45", "[search].cv: 45 folds need at least 45 train rows"),
    ],
)
def test_bad_cv_in_a_sweep_file_is_one_line_exit_2(run_cli, tmp_path, search, message):
    sweep = tmp_path / "bad.toml"
    sweep.write_text(
        f'[dataset]\nname = "iris"\n[search]\n{search}\n[space]\nlr = [0.01]\n', encoding="utf-8"
    )
    done = run_cli("sweep", str(sweep), "--store", str(tmp_path / "s.db"))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "s.db").exists()


def test_cv_in_a_sweeps_dataset_table_is_refused_in_one_line():
    from core.errors import InputError
    from core.search.sweepfile import parse_sweep

    with pytest.raises(InputError, match=r"\[dataset\]\.cv: cross-validation is set in"):
        parse_sweep('[dataset]\nname = "iris"\ncv = 3\n[space]\nlr = [0.1]\n', "s.toml")
    spec = parse_sweep('[dataset]\nname = "iris"\n[search]\ncv = 3\n[space]\nlr = [0.1]\n')
    assert spec.total_epochs() == 3 * 100  # every fold trains


def test_fold_tasks_and_cv_fields_cross_the_dask_wire_as_plain_json():
    assert task_of(task_id(41, 2)) == (41, 2) and task_of(task_id(41, REFIT)) == (41, REFIT)
    assert task_of(41) is None
    request = RunRequest(task_id(7, 1), RunConfig(epochs=3), IRIS_CV.fold_spec(1))
    message = json.loads(json.dumps(wire.request_to_wire(request), allow_nan=False))
    assert message["dataset"]["cv"] == 3 and message["dataset"]["fold"] == 1
    assert wire.request_from_wire(message) == request
    plain = RunRequest(8, RunConfig(epochs=3), DatasetSpec(name="iris"))
    assert "cv" not in wire.request_to_wire(plain)["dataset"]  # the wire of old stays
    for bad in ({"fold": 3}, {"cv": 51}, {"refit": "yes"}):
        with pytest.raises(wire.WireError):
            wire.request_from_wire({**message, "dataset": {**message["dataset"], **bad}})

    scores = {
        "cv_accuracy": 0.9,
        "cv_std": 0.01,
        "fold_accuracies": [0.89, 0.9, 0.91],
        "train_accuracy": None,
        "test_accuracy": None,
    }
    outcome = RunOutcome(7, "done", curve=[EpochPoint(1, 0.5, 0.5, 1.0)], cv=scores)
    sent = json.loads(json.dumps(wire.outcome_to_wire(outcome), allow_nan=False))
    assert wire.outcome_from_wire(sent)[0].cv == scores
    with pytest.raises(wire.WireError, match=r"outcome\.cv"):
        wire.outcome_from_wire({**sent, "cv": {**scores, "cv_accuracy": "high"}})


def test_a_fold_stopped_by_tol_counts_at_its_last_epoch_for_longer_points():
    stopped = [EpochPoint(1, 0.5, 0.4, 1.0), EpochPoint(2, 0.6, 0.5, 0.9)]  # tol at 2
    full = [EpochPoint(e, 0.5 + e / 10, 0.5, 1.0) for e in range(1, 5)]
    ends = {0: ("done", "", ""), 1: ("done", "", "")}
    summary = summarize(2, 4, {0: stopped, 1: full}, ends)
    assert [p.epoch for p in summary.curve] == [1, 2, 3, 4]
    assert summary.fold_accuracies == [0.5, 0.5] and summary.cv_accuracy == 0.5
    assert summary.curve[-1].train_accuracy == pytest.approx((0.6 + 0.9) / 2)
    # A fold cut short by a cancel says nothing past its last epoch.
    ends[0] = ("cancelled", "cancelled after epoch 2", "")
    summary = summarize(2, 4, {0: stopped, 1: full}, ends)
    assert summary.status == "cancelled" and [p.epoch for p in summary.curve] == [1, 2]
    assert summary.cv_accuracy is None


RESUMED_SWEEP = """
[dataset]
name = "iris"
[search]
strategy = "grid"
workers = 2
cv = 3
refit = true
[fixed]
tol = 0
epochs = 150
lr = 0.01
[space]
layers = [[8], [16]]
seed = [1, 2]
"""


def _done_folds(path) -> dict[tuple[int, int], float]:
    """(run, fold) -> when it ended, for the folds a resume keeps (read-only)."""
    import sqlite3

    if not path.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            rows = conn.execute(
                "SELECT run_id, fold, finished_at FROM folds WHERE status = 'done'"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or mid-migration
        return {}
    return {(run, fold): at for run, fold, at in rows}


def test_a_cv_sweep_killed_9_resumes_with_every_fold_trained_exactly_once(
    run_cli, cli_env, tmp_path
):
    import os
    import signal
    import subprocess
    import sys
    import time

    from process_tree import descendants, kill_all, wait_until_gone

    from core import fold_store
    from core.store import RunStore

    sweep, store_path = tmp_path / "cv.toml", tmp_path / "s.db"
    sweep.write_text(RESUMED_SWEEP, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "sweep", str(sweep), "--store", str(store_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_done_folds(store_path)) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no fold ended"
            time.sleep(0.02)
        below = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    kill_all(wait_until_gone(below, timeout=10))
    before = _done_folds(store_path)
    assert 3 <= len(before) < 4 * 4, "the kill came after the sweep ended"

    resumed = run_cli("resume", "--store", str(store_path), timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    after = _done_folds(store_path)
    assert set(after) == {(run, fold) for run in range(1, 5) for fold in (REFIT, 0, 1, 2)}
    # A fold that ended before the kill was not trained again: it ended when it did.
    assert {key: after[key] for key in before} == before
    with RunStore(store_path) as store:
        for record in store.list_runs(sweep_id=1):
            assert record.status == "done" and len(record.fold_accuracies) == 3
            curves = fold_store.fold_curves(store, record.id)
            assert all([p.epoch for p in curves[f]] == list(range(1, 151)) for f in curves)
            assert record.cv_accuracy == float(np.mean(record.fold_accuracies))
            assert record.test_accuracy == curves[REFIT][-1].test_accuracy


@pytest.mark.parametrize("test_file", [False, True], ids=["split", "test-file"])
def test_a_csv_fold_is_encoded_on_its_own_train_rows(test_file: bool) -> None:
    """A CSV with text columns and gaps: each fold holds the base train part's rows
    (validation rows = StratifiedKFold's), its encoding is fit on the fold's train
    rows only (the scaled columns have mean 0 there, not on the whole train part),
    and the held-out test part is never in a fold."""
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "data"
    mapping = {"name": None, "train": str(data / "survey_text.csv"), "cv": 3}
    if test_file:
        mapping = {"name": None, "train": str(data / "moons_train.csv"), "cv": 3}
        mapping["test"] = str(data / "moons_test.csv")
    spec = DatasetSpec.from_mapping(mapping)
    whole = load_dataset(spec.base())
    folds = list(StratifiedKFold(3).split(np.zeros((whole.y_train.size, 1)), whole.y_train))
    for f, (train_rows, valid_rows) in enumerate(folds):
        fold = load_dataset(spec.fold_spec(f))
        assert np.array_equal(fold.y_train, whole.y_train[train_rows])
        assert np.array_equal(fold.y_test, whole.y_train[valid_rows])
        scaled = np.isclose(fold.X_train.std(axis=0), 1.0)
        assert scaled.any()
        assert np.allclose(fold.X_train[:, scaled].mean(axis=0), 0.0, atol=1e-9)
        assert not np.allclose(fold.X_test[:, scaled].mean(axis=0), 0.0, atol=1e-9)


def test_folds_take_the_stored_reference_and_fit_no_reference_models(tmp_path) -> None:
    from core import reference
    from core.executors import InlineExecutor
    from core.runner import Runner
    from core.store import RunStore

    spec = DatasetSpec(name="iris", cv=3, refit=False)
    store = RunStore(str(tmp_path / "runs.db"))
    reference.store_reference(store, spec, reference.Reference(0.5, {"knn": 0.5}))
    reference._CACHE.clear()  # this process has computed no reference yet
    executor = InlineExecutor()
    try:
        config = RunConfig.from_mapping({"layers": [4], "epochs": 3, "seed": 0})
        outcome = Runner(store, executor).run(config, spec)
    finally:
        executor.shutdown()
    assert outcome.status == "done"
    assert outcome.facts["reference"] == 0.5  # the verdict is judged on the stored one
    assert not reference._CACHE  # and no fold fit the reference models again
