"""core/stratify.py picks exactly the rows train_test_split(stratify=y) picks (real
scikit-learn), so in-process runs and exported scripts split alike."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from core.stratify import label_ranks, stratified_rows


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(2, 40), min_size=2, max_size=6),
    test_size=st.sampled_from([0.1, 0.25, 0.3, 0.5, 0.77]),
    seed=st.integers(0, 2**32 - 1),
    text=st.booleans(),
    order_seed=st.integers(0, 1000),
)
def test_the_same_rows_as_train_test_split(
    counts: list[int], test_size: float, seed: int, text: bool, order_seed: int
) -> None:
    labels = np.repeat(np.arange(len(counts)), counts)
    labels = np.random.default_rng(order_seed).permutation(labels)
    # Codes in order of appearance, as the CSV reader makes them; classes as a run sees
    # them: ints, or text whose sort order differs from the codes'.
    _, first = np.unique(labels, return_index=True)
    code_of = np.argsort(np.argsort(first))
    codes = code_of[labels]
    y = np.array([f"c{9 - v}" for v in labels]) if text else labels.astype(np.int64) * 7 - 3
    n_test = int(np.ceil(test_size * len(y)))
    if min(n_test, len(y) - n_test) < len(counts):
        return  # refused before splitting (core.datasets._check_split)
    ranks, n_classes = label_ranks(codes, y)
    train, test = stratified_rows(ranks, n_classes, test_size, seed)
    want_train, want_test = train_test_split(
        np.arange(len(y)), test_size=test_size, random_state=seed, stratify=y
    )
    assert train.tolist() == want_train.tolist()
    assert test.tolist() == want_test.tolist()


def test_two_codes_of_one_class_are_one_stratum() -> None:
    # "1" and "01" are both the class 1.
    codes = np.array([0, 1, 2, 0, 1, 2, 2, 0, 1, 2] * 3)
    y = np.array([1, 1, 5, 1, 1, 5, 5, 1, 1, 5] * 3, dtype=np.int64)
    ranks, n_classes = label_ranks(codes, y)
    assert n_classes == 2
    train, test = stratified_rows(ranks, n_classes, 0.25, 3)
    want = train_test_split(np.arange(30), test_size=0.25, random_state=3, stratify=y)
    assert [train.tolist(), test.tolist()] == [w.tolist() for w in want]
