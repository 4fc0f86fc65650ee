"""A grid sweep gives GridSearchCV's scores exactly, points read off longer curves too.

GridSearchCV runs on the concatenated train + test rows with a PredefinedSplit (-1 for
train rows, 0 for test rows), so its one split is perceptune's train/test split.
"""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.neural_network import MLPClassifier

from core.cli import main
from core.config import RunConfig
from core.datasets import load_dataset
from core.diagnosis import VERDICTS
from core.search.sweepfile import load_sweep

# Small data and tol/n_iter_no_change that make scikit-learn stop some runs early: the
# epochs 18 and 30 then lie past a stop, 5 before it.
ADAM = """
[dataset]
name = "wine"

[fixed]
tol = 0.001
n_iter_no_change = 3

[space]
layers = [[4], [8, 8], [40]]
lr = [0.01, 0.3]
epochs = [5, 18, 30]
activation = ["relu", "tanh"]
"""

# sgd: every learning-rate schedule, with and without early stopping (best weights).
SGD = """
[dataset]
name = "iris"

[fixed]
solver = "sgd"
layers = [8]
lr = 0.1
n_iter_no_change = 4

[space]
lr_schedule = ["constant", "invscaling", "adaptive"]
early_stopping = [false, true]
epochs = [4, 15, 40]
"""

INLINE = ("--executor", "inline", "--workers", "1", "--quiet")

SKLEARN_NAME = {
    "layers": "hidden_layer_sizes",
    "lr": "learning_rate_init",
    "epochs": "max_iter",
    "lr_schedule": "learning_rate",
    "nesterov": "nesterovs_momentum",
    "seed": "random_state",
}


def sklearn_key(params: dict) -> tuple:
    """The sklearn parameters of a config, as a hashable key."""
    sk = RunConfig.from_mapping(params).to_sklearn_params()
    return tuple(sorted((name, repr(value)) for name, value in sk.items()))


@pytest.mark.parametrize("text", [ADAM, SGD], ids=["adam", "sgd"])
def test_grid_scores_equal_gridsearchcv(tmp_path: Path, capsys, text: str) -> None:
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(textwrap.dedent(text))
    store = str(tmp_path / "s.db")
    code = main(["sweep", str(sweep), "--store", store, "--json", *INLINE])
    out = capsys.readouterr().out
    assert code == 0
    points = json.loads(out)

    spec = load_sweep(sweep)
    data = load_dataset(spec.dataset)
    X = np.vstack([data.X_train, data.X_test])
    y = np.concatenate([data.y_train, data.y_test])
    fold = np.r_[np.full(len(data.y_train), -1), np.zeros(len(data.y_test))]
    grid = {
        SKLEARN_NAME.get(name, name): [tuple(v) if name == "layers" else v for v in dim.values]
        for name, dim in spec.space.items()
    }
    base = MLPClassifier(**spec.base_config().to_sklearn_params())
    search = GridSearchCV(
        base, grid, cv=PredefinedSplit(fold), return_train_score=True, refit=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    results = search.cv_results_

    reference = {}
    for params, train, test, rank in zip(
        results["params"],
        results["split0_train_score"],
        results["split0_test_score"],
        results["rank_test_score"],
    ):
        config = base.set_params(**params).get_params()
        key = tuple(sorted((name, repr(config[name])) for name in RunConfig().to_sklearn_params()))
        reference[key] = (train, test, rank)

    assert len(points) == spec.n_points() == len(reference)
    read_off = [p for p in points if "read off" in (p["stop_reason"] or "")]
    assert len(read_off) == len(points) * 2 // 3  # 2 of 3 epoch values come free
    stopped_early = [p for p in points if p["n_epochs"] < p["params"]["epochs"]]
    assert stopped_early, "the grid should include runs scikit-learn stopped on tol"
    for point in points:
        assert point["status"] == "done"
        assert point["verdict"]["verdict"] in VERDICTS and point["verdict"]["verdict"] != "diverged"
        assert set(spec.fixed) <= set(point["params"])
        train, test, _ = reference[sklearn_key(point["params"])]
        assert (point["train_accuracy"], point["test_accuracy"]) == (train, test), point

    # The best configuration is one GridSearchCV ranks first.
    best_test = max(test for _, test, _ in reference.values())
    best_keys = {key for key, (_, _, rank) in reference.items() if rank == 1}
    ours = [p for p in points if p["test_accuracy"] == best_test]
    assert ours and all(sklearn_key(p["params"]) in best_keys for p in ours)
    from core.search.results import best_run
    from core.store import RunStore

    with RunStore(tmp_path / "s.db") as store:
        best = best_run(store, points[0]["sweep_id"])
        assert best is not None and sklearn_key(best.params) in best_keys
