"""A CV run's mean point (its folds' mean and spread per epoch) is numpy's arithmetic
bit for bit, though it is computed in plain Python for up to 8 folds: the band and
``cv_std`` (GridSearchCV's ``std_test_score``) must not move by a rounding."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cv import PLAIN_SUM_MAX, mean_point
from core.results import EpochPoint

#: Accuracies as they are (k correct of n rows) and any finite value (the losses).
ACCURACY = st.builds(lambda k, n: min(k, n) / n, st.integers(0, 2000), st.integers(1, 2000))
VALUE = st.one_of(ACCURACY, st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False))


def numpy_mean_point(points: list[EpochPoint], epoch: int) -> tuple[EpochPoint, float, float]:
    """What mean_point computed with numpy before."""
    train = np.array([p.train_accuracy for p in points])
    test = np.array([p.test_accuracy for p in points])
    loss = np.array([p.loss for p in points])
    mean = EpochPoint(epoch, float(train.mean()), float(test.mean()), float(loss.mean()))
    return mean, float(train.std()), float(test.std())


def same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VALUE, VALUE, VALUE), min_size=1, max_size=PLAIN_SUM_MAX + 4))
def test_mean_point_is_numpys_to_the_last_bit(values: list[tuple[float, float, float]]) -> None:
    points = [EpochPoint(7, train, test, loss) for train, test, loss in values]
    (mean, train_std, test_std) = mean_point(points, 7)
    (expected, train_np, test_np) = numpy_mean_point(points, 7)
    assert mean.epoch == 7
    for got, want in (
        (mean.train_accuracy, expected.train_accuracy),
        (mean.test_accuracy, expected.test_accuracy),
        (mean.loss, expected.loss),
        (train_std, train_np),
        (test_std, test_np),
    ):
        assert same(got, want), (got, want, values)


def test_a_diverged_fold_gives_the_same_nan_and_inf_as_numpy() -> None:
    for losses in ([0.5, float("inf"), 0.2], [float("nan"), 0.1], [float("inf"), float("inf")]):
        points = [EpochPoint(3, 0.5, 0.4, loss) for loss in losses]
        assert same(mean_point(points, 3)[0].loss, numpy_mean_point(points, 3)[0].loss)
