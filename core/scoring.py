"""Per-epoch accuracy of an MLP, as cheap as it can be while staying exact.

Scoring train and test every epoch with ``predict()`` nearly doubles the cost of a
run (measured 1.87x on digits). Most of that is the forward pass itself, so for wide
networks we run it in float32 (about twice as fast in BLAS) and recompute in float64,
with scikit-learn's own forward pass, every row whose float32 decision is close to a
tie. A float32 error is orders of magnitude below the margin we demand, so the
prediction of every other row is the one float64 gives; the faithfulness tests check
this against ``fit(max_iter=k).score`` on every epoch.

In float64 the output activation is skipped the same way: softmax and the logistic
keep the order of the logits and can only round two logits closer than ~1e-16 into a
tie (which ``predict`` breaks towards the first class), so a row whose top two logits
are further apart than ``FLOAT64_MARGIN`` is decided on the logits; the rest go
through the activation exactly as ``predict`` does. The two row-wise reductions of
softmax were most of the cost of scoring a narrow network.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Networks whose widest hidden layer is narrower than this are scored in float64:
#: their matrix products are too small for float32 to win back the conversions.
FLOAT32_MIN_WIDTH = 32
#: A float32 row is trusted when its top-two logit margin exceeds this share of
#: (1 + |top logit|); float32 rounding through a few layers is ~1e-5 of that.
FLOAT32_MARGIN = 1e-3
#: A float64 row is decided on its logits when its top-two margin exceeds this share
#: of (1 + |top logit|): far above the ~1e-16 within which the activation can tie them.
FLOAT64_MARGIN = 1e-9


class AccuracyScorer:
    """Accuracy of a fitted (or fitting) ``MLPClassifier`` on one fixed data set.

    ``X`` is the data as passed to ``fit``; ``y`` its labels; ``classes`` the sorted
    labels the model knows (``model.classes_``). Labels unknown to the model count as
    wrong, as ``accuracy_score`` would.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, classes: np.ndarray, widest: int) -> None:
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        index = np.searchsorted(classes, y)
        index = np.clip(index, 0, len(classes) - 1)
        known = classes[index] == y
        self.y_index = np.where(known, index, -1)
        self.n = len(y)
        self.use_float32 = widest >= FLOAT32_MIN_WIDTH and self.n > 0
        self.X32 = self.X.astype(np.float32) if self.use_float32 else None

    def accuracy(self, model: Any, coefs: list[np.ndarray], intercepts: list[np.ndarray]) -> float:
        """Accuracy of ``model`` with the given weights (its own, or its best so far)."""
        if self.n == 0:
            return float("nan")
        if self.use_float32:
            predicted = self._predict_float32(model, coefs, intercepts)
        else:
            predicted = _predict_index(model, self.X, coefs, intercepts)
        return np.count_nonzero(predicted == self.y_index) / self.n

    def _predict_float32(
        self, model: Any, coefs: list[np.ndarray], intercepts: list[np.ndarray]
    ) -> np.ndarray:
        out = _logits(model, self.X32, [c.astype(np.float32) for c in coefs], intercepts)
        predicted, unsure = _decide(out, FLOAT32_MARGIN)
        rows = np.flatnonzero(unsure)
        if rows.size:
            predicted[rows] = _predict_index(model, self.X[rows], coefs, intercepts)
        return predicted


class SplitScorer:
    """Train and test accuracy of a model in one go: the float32 forward pass runs
    over both parts at once, with the weights converted once, which is most of what
    scoring an epoch costs beyond the bare forward pass. Narrow networks (float64)
    score each part as :class:`AccuracyScorer` does, without copying the data.
    """

    def __init__(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        X_test: np.ndarray,
        y_test: np.ndarray,
        classes: np.ndarray,
        widest: int,
    ) -> None:
        self.train = AccuracyScorer(X_train, y_train, classes, 0)  # float64 parts, no copy
        self.test = AccuracyScorer(X_test, y_test, classes, 0)
        self.n_train = self.train.n
        self.use_float32 = widest >= FLOAT32_MIN_WIDTH and self.train.n + self.test.n > 0
        if self.use_float32:
            self.X32 = np.concatenate([self.train.X, self.test.X]).astype(np.float32)
            self.y_index = np.concatenate([self.train.y_index, self.test.y_index])

    def accuracies(
        self, model: Any, coefs: list[np.ndarray], intercepts: list[np.ndarray]
    ) -> tuple[float, float]:
        """``(train accuracy, test accuracy)`` of ``model`` with the given weights (NaN
        for an empty part)."""
        if not self.use_float32:
            return (
                self.train.accuracy(model, coefs, intercepts),
                self.test.accuracy(model, coefs, intercepts),
            )
        out = _logits(model, self.X32, [c.astype(np.float32) for c in coefs], intercepts)
        predicted, unsure = _decide(out, FLOAT32_MARGIN)
        rows = np.flatnonzero(unsure)
        if rows.size:  # near ties: decided in float64, as predict decides them
            split = np.searchsorted(rows, self.n_train)
            for part, part_rows, offset in (
                (self.train, rows[:split], 0),
                (self.test, rows[split:], self.n_train),
            ):
                if part_rows.size:
                    predicted[part_rows] = _predict_index(
                        model, part.X[part_rows - offset], coefs, intercepts
                    )
        correct = predicted == self.y_index
        n = self.n_train
        train = np.count_nonzero(correct[:n]) / n if n else float("nan")
        n_test = correct.size - n
        test = np.count_nonzero(correct[n:]) / n_test if n_test else float("nan")
        return train, test


def _logits(
    model: Any, X: np.ndarray, coefs: list[np.ndarray], intercepts: list[np.ndarray]
) -> np.ndarray:
    """The output layer before its activation, computed as ``predict`` computes it
    (in the dtype of ``X`` and ``coefs``)."""
    from sklearn.neural_network._base import ACTIVATIONS

    hidden = ACTIVATIONS[model.activation]
    out = X
    last = len(coefs) - 1
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        out = out @ coef
        out += intercept.astype(out.dtype, copy=False)
        if i != last:
            hidden(out)
    return out


def _decide(out: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Class index per row from the logits, and which rows are too close to call: their
    top two logits (binary: the logit and 0) are within ``margin * (1 + |top|)``."""
    if out.shape[1] == 1:  # binary: logistic(z) > 0.5 <=> z > 0
        logits = out[:, 0]
        return (logits > 0).astype(np.intp), np.abs(logits) < margin
    n, k = out.shape
    predicted = out.argmax(axis=1)  # argmax along rows is fast; max(axis=1) is not
    # The runner-up: the top masked out in place (no copy of the logits), then put back
    # (the near-tie rows are decided again from these logits). Flat positions: one
    # index array is about half the cost of indexing by (row, column) pairs.
    flat = out.reshape(-1)  # a view: the logits are C-contiguous
    row_start = np.arange(0, n * k, k)
    at = row_start + predicted
    top = flat.take(at)
    flat[at] = -np.inf
    row_start += out.argmax(axis=1)
    second = flat.take(row_start)
    flat[at] = top
    bound = np.abs(top)
    bound += 1.0
    bound *= margin
    return predicted, (top - second) < bound


def _predict_index(
    model: Any, X: np.ndarray, coefs: list[np.ndarray], intercepts: list[np.ndarray]
) -> np.ndarray:
    """Class index per row, exactly what ``MLPClassifier.predict`` gives."""
    out = _logits(model, X, coefs, intercepts)
    predicted, unsure = _decide(out, FLOAT64_MARGIN)
    rows = np.flatnonzero(unsure)
    if rows.size:
        predicted[rows] = _predict_activated(model, out[rows])
    return predicted


def _predict_activated(model: Any, logits: np.ndarray) -> np.ndarray:
    """``predict``'s own decision: the output activation, then its threshold or argmax."""
    from sklearn.neural_network._base import ACTIVATIONS

    out = logits.copy()
    ACTIVATIONS[model.out_activation_](out)
    if out.shape[1] == 1:  # LabelBinarizer's threshold for two classes
        return (out[:, 0] > 0.5).astype(np.intp)
    return out.argmax(axis=1)
