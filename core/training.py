"""Train one ``MLPClassifier`` and record a faithful curve, epoch by epoch.

Why not a ``partial_fit`` loop: with an int seed it re-seeds its shuffling on every
call, and ``warm_start`` resets Adam's moments, so the weights drift away from what
``fit`` computes. Instead we run the real ``fit`` once and look at the model at the
end of each epoch, from inside scikit-learn's own epoch loop: ``_fit_stochastic``
calls ``_update_no_improvement_count`` exactly once per epoch, after the epoch's
weight updates and before its stopping test. At that moment the model holds what
``fit(max_iter=k)`` would return for epoch ``k`` — its current weights or, with
early stopping, the best weights so far, which ``fit`` restores at the end.

That method is private, so the hook is pinned to the scikit-learn range in
pyproject.toml and ``tests/test_faithful.py`` compares every point with a real
``fit(max_iter=k)``: a release that changes the loop fails those tests loudly.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from core.config import RunConfig, check_network_size
from core.results import EpochPoint, TrainResult
from core.scoring import SplitScorer

if TYPE_CHECKING:
    from core.datasets import Dataset

#: Called after every epoch; a returned string stops the run as ``pruned`` with that
#: string as the reason.
EpochCallback = Callable[[EpochPoint], "str | None"]
StopCheck = Callable[[], bool]
#: Called after every epoch with ``(epoch, coefs, intercepts)``: copies of the weights
#: ``fit(max_iter=epoch)`` would return (with early stopping, the best so far).
WeightsCallback = Callable[[int, list[np.ndarray], list[np.ndarray]], None]

#: A training loss above this is divergence even while it is still finite: scikit-learn
#: clips probabilities, so cross-entropy alone stays below ~37; the rest is the L2 term
#: of weights that blew up (lr=10 with sgd on unscaled digits reaches 1e9 in one epoch).
DIVERGED_LOSS = 1e6

_HOOKED_METHOD = "_update_no_improvement_count"
_HOOK_PARAMETERS = ["self", "early_stopping", "X", "y", "sample_weight"]


class _StopTraining(Exception):  # control flow, not an error
    def __init__(self, status: str, reason: str) -> None:
        self.status = status
        self.reason = reason


def check_sklearn_supported() -> None:
    """Fail loudly if scikit-learn's epoch loop no longer has the method we hook."""
    from sklearn.neural_network import MLPClassifier

    method = getattr(MLPClassifier, _HOOKED_METHOD, None)
    if method is None or list(inspect.signature(method).parameters) != _HOOK_PARAMETERS:
        import sklearn

        raise RuntimeError(
            f"scikit-learn {sklearn.__version__} changed MLPClassifier.{_HOOKED_METHOD}; "
            "perceptune's per-epoch curves are proven on scikit-learn 1.5-1.9"
        )


def _hooked_classifier_class() -> type:
    """``MLPClassifier`` with a per-epoch hook; built lazily to keep imports cheap."""
    global _HOOKED_CLASS
    if _HOOKED_CLASS is None:
        check_sklearn_supported()
        from sklearn.neural_network import MLPClassifier

        from core.sklearn_loop import fast_fit_stochastic

        class EpochHookedMLPClassifier(MLPClassifier):
            """``MLPClassifier`` that calls ``self._epoch_hook(self)`` after each epoch
            (and skips the per-batch input checks: :mod:`core.sklearn_loop`)."""

            _epoch_hook: Callable[[Any], None] | None = None
            _fit_stochastic = fast_fit_stochastic(MLPClassifier)

            def _update_no_improvement_count(self, early_stopping, X, y, sample_weight):
                super()._update_no_improvement_count(early_stopping, X, y, sample_weight)
                if self._epoch_hook is not None:
                    self._epoch_hook(self)

        _HOOKED_CLASS = EpochHookedMLPClassifier
    return _HOOKED_CLASS


_HOOKED_CLASS: type | None = None


def make_classifier(config: RunConfig) -> Any:
    """The ``MLPClassifier`` (with the epoch hook) this config describes."""
    return _hooked_classifier_class()(**config.to_sklearn_params())


def train(
    config: RunConfig,
    data: Dataset,
    *,
    on_epoch: EpochCallback | None = None,
    should_stop: StopCheck | None = None,
    keep_model: bool = False,
    on_weights: WeightsCallback | None = None,
    metrics: bool = True,
) -> TrainResult:
    """Fit ``config`` on ``data`` and record train/test accuracy and loss per epoch.

    ``on_epoch`` gets each :class:`EpochPoint` as soon as it exists; returning a
    string stops the run as ``pruned``. ``should_stop`` is checked after every epoch;
    when it returns True the run ends as ``cancelled`` with the epochs done so far.
    Divergence (a non-finite loss or weights) ends the run as ``diverged``.
    With ``keep_model`` the fitted estimator is returned in ``result.model``.
    ``on_weights`` (tests, debugging) gets copies of each epoch's weights.
    ``metrics``: per-class results and decision regions of the final model (a fold of
    a cross-validation does without them).
    """
    classes = np.unique(data.y_train)
    check_network_size(config.layers, data.X_train.shape[1], len(classes))
    model = make_classifier(config)
    widest = max(config.layers)
    scorer = SplitScorer(data.X_train, data.y_train, data.X_test, data.y_test, classes, widest)
    result = TrainResult(status="done")
    curve = result.curve

    def score(weights_owner: Any) -> tuple[float, float]:
        coefs, intercepts = _final_weights(weights_owner)
        return scorer.accuracies(weights_owner, coefs, intercepts)

    last_best: list[Any] = [None, None]  # early stopping: best weights seen, their scores

    def after_epoch(fitting: Any) -> None:
        epoch = fitting.n_iter_
        loss = float(fitting.loss_)
        if not math.isfinite(loss) or loss > DIVERGED_LOSS or not _weights_finite(fitting):
            raise _StopTraining(
                "diverged",
                f"diverged at epoch {epoch}: loss became {loss:.3g} ({_divergence_cause(config)})",
            )
        if config.early_stopping and fitting._best_coefs is last_best[0]:
            train_acc, test_acc = last_best[1]  # best weights unchanged: same scores
        else:
            train_acc, test_acc = score(fitting)
            last_best[0], last_best[1] = fitting._best_coefs, (train_acc, test_acc)
        point = EpochPoint(epoch, train_acc, test_acc, loss)
        curve.append(point)
        if on_weights is not None:
            _send_weights(on_weights, epoch, fitting)
        if on_epoch is not None:
            verdict = on_epoch(point)
            if verdict:
                raise _StopTraining("pruned", str(verdict))
        if should_stop is not None and should_stop():
            raise _StopTraining("cancelled", f"cancelled after epoch {epoch}")

    model._epoch_hook = after_epoch
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # ConvergenceWarning, overflow: we report our own
            model.fit(data.X_train, data.y_train)
        result.stop_reason = _stop_reason(model, config)
    except _StopTraining as stop:
        result.status = stop.status
        result.stop_reason = stop.reason
    except ValueError as error:
        if "non-finite" not in str(error):
            raise
        result.status = "diverged"  # lbfgs, or weights that went inf inside fit
        result.stop_reason = f"diverged: {error}"
    finally:
        model._epoch_hook = None
    result.duration_s = time.perf_counter() - started

    if config.solver == "lbfgs" and result.status == "done":
        train_acc, test_acc = score(model)
        loss = float(getattr(model, "loss_", float("nan")))
        point = EpochPoint(int(model.n_iter_), train_acc, test_acc, loss)
        curve.append(point)
        result.notes.append("lbfgs has no epochs: the curve holds its final point only")
        if on_weights is not None:
            _send_weights(on_weights, point.epoch, model)
        if on_epoch is not None:
            on_epoch(point)
    if result.status == "done" and metrics:
        from core.metrics import class_metrics

        # Per-class results of the final model (with early stopping: its best weights).
        result.metrics = class_metrics(data.y_test, model.predict(data.X_test), data.classes)
    if metrics and data.is_2d and result.status in ("done", "pruned"):
        from core.regions import regions_of

        # Predicted here, where the model is: showing them later is a store read.
        result.regions = regions_of(model, data).to_dict()
    if keep_model and result.status != "diverged":
        result.model = model
    return result


def _divergence_cause(config: RunConfig) -> str:
    """The likely cause, as core.diagnosis names it: a huge alpha, else the steps."""
    from core.diagnosis import ALPHA_OVERFLOW

    if config.alpha >= ALPHA_OVERFLOW:
        return f"alpha {config.alpha:g} too high"
    return "learning rate too high, or unscaled features"


def _final_weights(model: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The weights ``fit`` would leave now: with early stopping, the best so far."""
    if model.early_stopping and getattr(model, "_best_coefs", None) is not None:
        return model._best_coefs, model._best_intercepts
    return model.coefs_, model.intercepts_


def _send_weights(on_weights: WeightsCallback, epoch: int, model: Any) -> None:
    coefs, intercepts = _final_weights(model)
    on_weights(epoch, [c.copy() for c in coefs], [b.copy() for b in intercepts])


def _weights_finite(model: Any) -> bool:
    # The last layer is enough: a non-finite weight anywhere reaches it through the
    # backward pass of the same epoch, and checking it is cheap.
    return bool(np.isfinite(model.coefs_[-1]).all() and np.isfinite(model.intercepts_[-1]).all())


def _stop_reason(model: Any, config: RunConfig) -> str:
    if config.solver == "lbfgs":
        return f"lbfgs finished after {model.n_iter_} iterations"
    if model.n_iter_ >= config.epochs:
        return f"reached the maximum of {config.epochs} epochs"
    watched = "validation score" if config.early_stopping else "loss"
    return (
        f"stopped at epoch {model.n_iter_} of {config.epochs}: {watched} did not improve by "
        f"tol={config.tol:g} for {config.n_iter_no_change} epochs (patience)"
    )
