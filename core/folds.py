"""The folds of a k-fold cross-validation, as ``GridSearchCV`` makes them.

A spec with ``cv = K`` cross-validates over its train part: ``StratifiedKFold(K)``
without shuffling (scikit-learn's default for a classifier) splits the train rows,
and fold ``f`` trains on the other folds' rows and is scored on its own. Scaling (and,
for a CSV, the whole encoding pipeline) is fit on the fold's train rows only, exactly
as a ``Pipeline([StandardScaler(), MLPClassifier()])`` inside ``GridSearchCV`` does.
The held-out test part is never touched; a refit trains on the whole train part.

The data is read and split once per process (:func:`train_part`); each fold is then a
cheap index and a scaler fit.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from core.errors import DataError

if TYPE_CHECKING:
    from core.datasets import Dataset, DatasetSpec

#: Splits kept per process (a sweep uses one; the TUI a few).
_KEPT = 4
_PARTS: OrderedDict[Any, tuple[Any, tuple[Any, ...]]] = OrderedDict()


def train_part(spec: DatasetSpec) -> tuple[Any, tuple[Any, ...]]:
    """The raw data of ``spec`` (without cross-validation) and its unscaled
    ``(X_train, X_test, y_train, y_test)``, read once per process."""
    from core.datasets import split_parts
    from core.worker import file_stamp

    base = spec.base()
    key = (base, file_stamp(base.train), file_stamp(base.test))
    found = _PARTS.get(key)
    if found is None:
        found = split_parts(base)
        _PARTS[key] = found
        while len(_PARTS) > _KEPT:
            _PARTS.popitem(last=False)
    return found


def fold_indices(y: Any, cv: int) -> list[tuple[Any, Any]]:
    """``(train rows, validation rows)`` of each of the ``cv`` stratified folds of
    labels ``y``; raises :class:`DataError` when a class has fewer rows than folds."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < cv:
        rare = labels[int(np.argmin(counts))].item()
        raise DataError(
            f"cv={cv} needs at least {cv} train rows of each class; class {rare!r} has "
            f"{counts.min()} (use fewer folds, a smaller test_size or more rows)"
        )
    # StratifiedKFold's folds depend on y only (no shuffle): X is a placeholder.
    return list(StratifiedKFold(cv).split(np.zeros((len(y), 1)), y))


def load_fold(spec: DatasetSpec) -> Dataset:
    """Fold ``spec.fold`` of ``spec.cv``: train rows and validation rows as the train
    and test part of a :class:`Dataset`, scaled (or encoded) on the train rows."""
    from core.datasets import prepared

    assert spec.fold is not None and spec.cv >= 2
    raw, (X_train, _X_test, y_train, _y_test) = train_part(spec)
    train_rows, valid_rows = fold_indices(y_train, spec.cv)[spec.fold]
    return prepared(
        spec,
        raw,
        _take(X_train, train_rows),
        _take(X_train, valid_rows),
        y_train[train_rows],
        y_train[valid_rows],
        release=False,
    )


def _take(X: Any, rows: Any) -> Any:
    """Rows of an array, by position; for a CSV ``X`` is its train rows' numbers in
    the table (None: every row), so this gives table row numbers."""
    return rows if X is None else X[rows]


def check_folds(class_counts: Any, test_size: float | None, cv: int) -> None:
    """Refuse ``cv`` folds when a class would have fewer train rows than folds.

    ``class_counts``: rows per class of the whole data; ``test_size``: the share held
    out for testing (None: a separate test file, the counts are the train part's)."""
    if not cv:
        return
    import math

    n = sum(class_counts)
    n_train = n if test_size is None else n - math.ceil(test_size * n)
    # Each class has at least its rounded-down share of the train part.
    smallest = min(count * n_train // n for count in class_counts)
    if smallest < cv:
        from core.errors import ConfigError

        raise ConfigError(
            "cv",
            f"{cv} folds need at least {cv} train rows of each class; the smallest class "
            f"has about {smallest} (allowed for this data: 2 to {max(2, smallest)})",
        )
