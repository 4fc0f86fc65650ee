"""The curve is the real one: point k equals ``MLPClassifier(max_iter=k).fit`` — weights,
loss and both accuracies — for every solver, schedule and stopping rule we offer."""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from packaging.requirements import Requirement
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from core.config import RunConfig
from core.datasets import Dataset, DatasetSpec, load_dataset
from core.results import EpochPoint, TrainResult
from core.scoring import FLOAT32_MIN_WIDTH, AccuracyScorer
from core.training import check_sklearn_supported, train

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"

Weights = tuple[list[np.ndarray], list[np.ndarray]]

SCHEDULES = [
    ("adam", "constant"),
    ("sgd", "constant"),
    ("sgd", "invscaling"),
    ("sgd", "adaptive"),
]
#: (6, 6) is scored in float64; (64,) takes the float32 path with its exact fallback.
NETWORKS = [(6, 6), (64,)]


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset(DatasetSpec(name="digits"))


def record(config: RunConfig, data: Dataset) -> tuple[TrainResult, dict[int, Weights]]:
    """Train through the engine, keeping a copy of the weights at every epoch."""
    weights: dict[int, Weights] = {}

    def keep(epoch: int, coefs: list[np.ndarray], intercepts: list[np.ndarray]) -> None:
        weights[epoch] = (coefs, intercepts)

    result = train(config, data, on_weights=keep)
    assert result.status == "done", result.stop_reason
    if config.solver != "lbfgs":
        assert [p.epoch for p in result.curve] == list(range(1, result.n_epochs + 1))
    assert sorted(weights) == [p.epoch for p in result.curve]
    return result, weights


def fit_reference(config: RunConfig, data: Dataset, max_iter: int) -> MLPClassifier:
    """Plain scikit-learn, no hook: what a user's own script would get."""
    params = {**config.to_sklearn_params(), "max_iter": max_iter}
    model = MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X_train, data.y_train)
    return model


def assert_point_matches_fit(
    point: EpochPoint, weights: Weights, model: MLPClassifier, data: Dataset
) -> None:
    coefs, intercepts = weights
    assert len(coefs) == len(model.coefs_)
    for ours, theirs in zip(coefs, model.coefs_):
        assert np.array_equal(ours, theirs), f"coefs differ at epoch {point.epoch}"
    for ours, theirs in zip(intercepts, model.intercepts_):
        assert np.array_equal(ours, theirs), f"intercepts differ at epoch {point.epoch}"
    assert point.loss == model.loss_
    assert point.train_accuracy == model.score(data.X_train, data.y_train)
    assert point.test_accuracy == model.score(data.X_test, data.y_test)


def assert_every_epoch_scored_like_predict(
    result: TrainResult, weights: dict[int, Weights], fitted: MLPClassifier, data: Dataset
) -> None:
    """Load each epoch's weights into a fitted model and let ``score`` judge our scorer."""
    for point in result.curve:
        fitted.coefs_, fitted.intercepts_ = weights[point.epoch]
        assert point.train_accuracy == fitted.score(data.X_train, data.y_train), point
        assert point.test_accuracy == fitted.score(data.X_test, data.y_test), point


def restored_epoch(weights: dict[int, Weights]) -> int:
    """An epoch whose weights equal the previous epoch's: early stopping's best weights
    did not change, so ``fit`` must hand back older weights than it last computed."""
    for epoch in sorted(weights)[1:]:
        if all(np.array_equal(a, b) for a, b in zip(weights[epoch][0], weights[epoch - 1][0])):
            return epoch
    raise AssertionError("no epoch kept earlier best weights; the case does not test restoring")


def lr_for(solver: str) -> float:
    return 0.01 if solver == "adam" else 0.1


@dataclass(frozen=True)
class Cell:
    """One cell of the solver x schedule x early-stopping x network grid."""

    solver: str
    schedule: str
    early_stopping: bool
    layers: tuple[int, ...]

    def config(self, **extra: Any) -> RunConfig:
        return RunConfig(
            layers=self.layers,
            lr=lr_for(self.solver),
            solver=self.solver,
            lr_schedule=self.schedule,
            early_stopping=self.early_stopping,
            **extra,
        )

    def __str__(self) -> str:
        stopping = "early_stopping" if self.early_stopping else "plain"
        return f"{self.solver}-{self.schedule}-{stopping}-{'x'.join(map(str, self.layers))}"


GRID = [
    Cell(solver, schedule, early_stopping, layers)
    for (solver, schedule), early_stopping, layers in product(SCHEDULES, (False, True), NETWORKS)
]
over_the_grid = pytest.mark.parametrize("cell", GRID, ids=str)


@over_the_grid
def test_curve_point_k_equals_fit_with_max_iter_k(digits: Dataset, cell: Cell) -> None:
    config = cell.config(epochs=20)
    result, weights = record(config, digits)
    last = result.n_epochs
    ks = {1, 2, last // 2, last}
    if cell.early_stopping:
        k = restored_epoch(weights)
        ks.add(k)
        model = fit_reference(config, digits, k)
        # fit itself fell back to an earlier epoch's weights at k: the case is real.
        assert int(np.argmax(model.validation_scores_)) < k - 1
    for k in sorted(ks):
        model = fit_reference(config, digits, k)
        assert model.n_iter_ == k
        assert_point_matches_fit(result.curve[k - 1], weights[k], model, digits)
    assert_every_epoch_scored_like_predict(result, weights, model, digits)


@over_the_grid
def test_curve_ends_where_sklearn_stops_on_tol(digits: Dataset, cell: Cell) -> None:
    # A coarse tol and short patience make scikit-learn stop (or, with the adaptive
    # schedule, divide the rate by 5 until it is tiny) well before max_iter.
    epochs = 60
    config = cell.config(epochs=epochs, tol=0.05, n_iter_no_change=2)
    result, weights = record(config, digits)
    stopped = result.n_epochs
    assert stopped < epochs, "scikit-learn should have stopped on tol by itself"
    assert "did not improve" in result.stop_reason
    full = fit_reference(config, digits, epochs)  # the user's own fit: stops at the same epoch
    assert full.n_iter_ == stopped
    assert_point_matches_fit(result.curve[-1], weights[stopped], full, digits)
    before = fit_reference(config, digits, stopped - 1)
    assert_point_matches_fit(result.curve[-2], weights[stopped - 1], before, digits)


@pytest.mark.parametrize("layers", NETWORKS, ids=lambda v: "x".join(map(str, v)))
@pytest.mark.parametrize(
    "spec",
    [
        DatasetSpec(name="moons", n_samples=300),
        DatasetSpec(name=None, train=str(DATA_DIR / "heart_small.csv")),
    ],
    ids=["moons", "csv-text-labels"],
)
def test_binary_and_text_labels_are_faithful(spec: DatasetSpec, layers: tuple[int, ...]) -> None:
    data = load_dataset(spec)
    config = RunConfig(layers=layers, lr=0.05, epochs=15)
    result, weights = record(config, data)
    for k in (1, 7, result.n_epochs):
        model = fit_reference(config, data, k)
        assert_point_matches_fit(result.curve[k - 1], weights[k], model, data)
    assert_every_epoch_scored_like_predict(result, weights, model, data)


def tie_model(data: Dataset, width: int, low: float, high: float) -> MLPClassifier:
    """A fitted model whose every row gets logit ``low`` for class 0 and ``high`` for
    class 1 (binary: the single logit is ``high - low``)."""
    model = fit_reference(RunConfig(layers=(width,), epochs=1), data, 1)
    model.coefs_ = [np.zeros_like(c) for c in model.coefs_]
    model.intercepts_ = [np.zeros_like(b) for b in model.intercepts_]
    model.intercepts_[0][0] = 1.0  # one hidden unit outputs 1.0 on every row
    out_coef, out = model.coefs_[-1], model.intercepts_[-1]
    if out.size == 1:  # logit = 1.0 * low_or_high_part + bias
        out_coef[0, 0] = high
        out[0] = -low
    else:
        out[:] = min(low, high) - 1.0
        out[0], out[1] = low, high
    return model


@pytest.mark.parametrize("dataset", ["digits", "breast_cancer"])
@pytest.mark.parametrize(
    ("width", "low", "high", "winner"),
    [
        # float32 rounds 1.0 and 1.0 + 1e-9 into a tie; float64 and predict() do not.
        pytest.param(FLOAT32_MIN_WIDTH, 1.0, 1.0 + 1e-9, 1, id="float32-rounding"),
        # 0 < 5e-324, but softmax (and the logistic) round them into a tie, which
        # predict() breaks towards class 0: deciding on raw logits would say 1.
        pytest.param(6, 0.0, 5e-324, 0, id="float64-activation-tie"),
        pytest.param(FLOAT32_MIN_WIDTH, 0.0, 5e-324, 0, id="float32-activation-tie"),
    ],
)
def test_scorer_matches_predict_on_near_ties(
    dataset: str, width: int, low: float, high: float, winner: int
) -> None:
    data = load_dataset(DatasetSpec(name=dataset))
    model = tie_model(data, width, low, high)
    for X, y in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
        assert np.all(model.predict(X) == model.classes_[winner])  # the case is real
        scorer = AccuracyScorer(X, y, model.classes_, width)
        assert scorer.use_float32 == (width >= FLOAT32_MIN_WIDTH)
        got = scorer.accuracy(model, model.coefs_, model.intercepts_)
        assert got == model.score(X, y)


def test_lbfgs_records_one_final_point_and_says_so(digits: Dataset) -> None:
    config = RunConfig(solver="lbfgs", epochs=30)
    result, weights = record(config, digits)
    model = fit_reference(config, digits, 30)
    assert len(result.curve) == 1
    assert result.curve[0].epoch == model.n_iter_
    assert_point_matches_fit(result.curve[0], weights[model.n_iter_], model, digits)
    assert any("lbfgs has no epochs" in note for note in result.notes)
    assert "lbfgs" in result.stop_reason


def test_exploding_sgd_on_unscaled_data_ends_diverged_with_a_reason() -> None:
    data = load_dataset(DatasetSpec(name="digits", scale=False))
    config = RunConfig(lr=10, solver="sgd", momentum=0.9, epochs=50)
    result = train(config, data)  # no exception
    assert result.status == "diverged"
    assert result.stop_reason.startswith("diverged at epoch ")
    assert "learning rate" in result.stop_reason
    assert result.n_epochs < 50


def test_weights_blowing_up_in_the_first_epoch_end_diverged_with_no_points() -> None:
    data = load_dataset(DatasetSpec(name="iris"))
    # Left alone, scikit-learn raises "non-finite parameter weights" a few epochs later.
    config = RunConfig(layers=(256, 256), lr=1, solver="sgd", batch_size=8, epochs=6)
    result = train(config, data)
    assert result.status == "diverged"
    assert result.stop_reason.startswith("diverged at epoch 1: loss became ")
    assert result.curve == []


def test_should_stop_cancels_between_epochs(digits: Dataset) -> None:
    calls: list[int] = []
    seen: list[int] = []

    def should_stop() -> bool:
        calls.append(len(seen))
        return len(seen) >= 3

    result = train(
        RunConfig(epochs=100, tol=0, n_iter_no_change=100),
        digits,
        on_epoch=lambda p: seen.append(p.epoch),
        should_stop=should_stop,
    )
    assert result.status == "cancelled"
    assert [p.epoch for p in result.curve] == [1, 2, 3] == seen
    assert calls == [1, 2, 3]
    assert "after epoch 3" in result.stop_reason


def test_on_epoch_string_prunes_the_run(digits: Dataset) -> None:
    result = train(
        RunConfig(epochs=50),
        digits,
        on_epoch=lambda p: "not promising" if p.epoch == 4 else None,
    )
    assert result.status == "pruned"
    assert result.stop_reason == "not promising"
    assert result.n_epochs == 4


def test_check_sklearn_supported_passes_on_the_installed_version() -> None:
    check_sklearn_supported()  # raises RuntimeError if the hooked loop changed


def test_pyproject_pins_a_scikit_learn_range_holding_the_installed_one() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [Requirement(dep) for dep in meta["project"]["dependencies"]]
    pins = [req for req in requirements if req.name == "scikit-learn"]
    assert len(pins) == 1
    specifier = pins[0].specifier
    assert specifier.contains(sklearn.__version__), (sklearn.__version__, str(specifier))
    assert any(s.operator == "<" for s in specifier), "needs an upper bound: the hook is private"


def test_training_does_not_touch_the_dataset(digits: Dataset) -> None:
    before = {name: getattr(digits, name).copy() for name in ("X_train", "X_test", "y_train")}
    train(RunConfig(layers=(64,), epochs=3), digits)
    for name, array in before.items():
        assert np.array_equal(getattr(digits, name), array)


def _changed(data: Dataset, **arrays: Any) -> Dataset:
    return replace(data, **arrays)


def test_labels_unknown_to_the_model_count_as_wrong(digits: Dataset) -> None:
    # Train on classes 0-4 only; the test part keeps 5-9, which predict() can never hit.
    keep = digits.y_train < 5
    data = _changed(digits, X_train=digits.X_train[keep], y_train=digits.y_train[keep])
    for layers in NETWORKS:
        config = RunConfig(layers=layers, epochs=3)
        result, weights = record(config, data)
        model = fit_reference(config, data, 3)
        assert_point_matches_fit(result.curve[-1], weights[3], model, data)
        assert result.test_accuracy is not None and result.test_accuracy < 0.6
