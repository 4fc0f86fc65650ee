"""The hooked classifier's epoch loop (core/sklearn_loop.py) fits exactly what a plain
MLPClassifier fits: the same weights bit for bit, the same epochs and losses, on
dense and sparse input, with each solver and with early stopping."""

from __future__ import annotations

import warnings

import pytest
from scipy import sparse
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier

from core import sklearn_loop
from core.training import _hooked_classifier_class


def fit_both(X, y, **params):
    models = []
    for cls in (MLPClassifier, _hooked_classifier_class()):
        model = cls(random_state=3, max_iter=15, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning
            model.fit(X, y)
        models.append(model)
    return models


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_layer_sizes": (16,)},
        {"hidden_layer_sizes": (8, 8), "solver": "sgd", "batch_size": 37},
        {"hidden_layer_sizes": (8,), "early_stopping": True},
        {"hidden_layer_sizes": (8,), "shuffle": False},
    ],
)
@pytest.mark.parametrize("as_sparse", [False, True])
def test_the_fast_loop_fits_what_scikit_learn_fits(params: dict, as_sparse: bool) -> None:
    X, y = load_digits(return_X_y=True)
    X = X[:600] / 16.0
    y = y[:600]
    plain, fast = fit_both(sparse.csr_matrix(X) if as_sparse else X, y, **params)
    assert fast.n_iter_ == plain.n_iter_
    assert fast.loss_curve_ == plain.loss_curve_
    for mine, theirs in zip(fast.coefs_ + fast.intercepts_, plain.coefs_ + plain.intercepts_):
        assert mine.tobytes() == theirs.tobytes()


def test_the_fast_paths_are_in_use() -> None:
    # A scikit-learn whose loop no longer uses these names gets its own loop back
    # (still exact, only slower): this says when that happens.
    method = _hooked_classifier_class()._fit_stochastic
    assert method is not MLPClassifier._fit_stochastic
    assert method.__code__ is MLPClassifier._fit_stochastic.__code__
    for name in sklearn_loop.REPLACED:
        assert method.__globals__[name].__module__ == "core.sklearn_loop"
