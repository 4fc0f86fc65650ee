"""The stratified train/test split of ``train_test_split(..., stratify=y)``, computed
from class codes.

scikit-learn's ``StratifiedShuffleSplit`` collects each class's rows in Python lists
and sorts the labels (text labels are slow to sort): a tenth of a second on 100k rows.
:func:`stratified_rows` makes the same random draws in the same order on arrays, from
the labels' ranks, so it returns the very rows ``train_test_split`` returns (checked
against it in ``tests/test_stratify.py``). An exported script, which calls
``train_test_split`` itself, gets the same split.
"""

from __future__ import annotations

from typing import Any

from core.lazy import lazy_module

np = lazy_module("numpy")


def stratified_rows(ranks: Any, n_classes: int, test_size: float, seed: int) -> tuple[Any, Any]:
    """``(train_rows, test_rows)`` as ``train_test_split(np.arange(n), y,
    test_size=test_size, random_state=seed, stratify=y)`` returns them.

    ``ranks``: each row's class as its position among the sorted distinct labels
    (0..n_classes-1), i.e. ``np.unique(y, return_inverse=True)[1]``. The caller has
    checked that the split is possible (two rows of each class, one per class in each
    part)."""
    from sklearn.model_selection._split import _validate_shuffle_split
    from sklearn.utils import check_random_state
    from sklearn.utils.extmath import _approximate_mode

    n_rows = len(ranks)
    n_train, n_test = _validate_shuffle_split(n_rows, test_size, None, default_test_size=0.25)
    # Small integer codes: the stable sort is a radix sort, and stable means the
    # same order as scikit-learn's argsort of its own codes.
    codes = np.asarray(ranks, dtype=np.int16 if n_classes < 2**15 else np.int64)
    class_counts = np.bincount(codes, minlength=n_classes)
    class_indices = np.split(np.argsort(codes, kind="stable"), np.cumsum(class_counts)[:-1])
    rng = check_random_state(seed)
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train, test = [], []
    for i in range(n_classes):
        permutation = rng.permutation(class_counts[i])
        rows = class_indices[i].take(permutation, mode="clip")
        train.append(rows[: n_i[i]])
        test.append(rows[n_i[i] : n_i[i] + t_i[i]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def label_ranks(codes: Any, y: Any) -> tuple[Any, int]:
    """Each row's class rank among the sorted distinct classes, and their number:
    ``y`` holds each row's class (ints or text), ``codes`` each row's label code (a
    few distinct values; two codes may be one class, as "1" and "01" are)."""
    n_codes = int(codes.max()) + 1 if len(codes) else 0
    per_code = np.empty(n_codes, dtype=y.dtype)
    per_code[codes] = y  # every row of a code has the same class
    classes, rank_of = np.unique(per_code, return_inverse=True)
    return rank_of[codes], len(classes)
