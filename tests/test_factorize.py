"""factorize_cells gives exactly pandas.factorize's codes and uniques: on cells
pandas' parser made (shared objects per chunk), and on arrays of distinct objects
with every kind of missing marker."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from core import factorize
from core.factorize import factorize_cells


def assert_same(cells: np.ndarray) -> None:
    codes, uniques = factorize_cells(cells)
    expected_codes, expected_uniques = pd.factorize(cells)
    assert codes.tolist() == expected_codes.tolist()
    assert [type(v) for v in uniques] == [type(v) for v in expected_uniques]
    assert uniques.tolist() == expected_uniques.tolist()


def test_a_parsed_column_of_many_rows() -> None:
    rng = np.random.default_rng(1)
    values = rng.choice(["red", "green", " blue", "NA", "", "None"], size=60_000)
    text = "c,n\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values))
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=["NA", ""])
    cells = frame["c"].to_numpy(dtype=object)
    assert len({id(v) for v in cells}) < 100  # what makes the fast path fast
    assert_same(cells)


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(st.integers(0, 7), min_size=0, max_size=400),
    fresh=st.booleans(),
)
def test_any_cells_factorise_as_pandas(picks: list[int], fresh: bool) -> None:
    # fresh: every cell its own object (equal strings that are distinct objects).
    pool = ["aa", "bb", "aa ", None, float("nan"), np.nan, "bb", pd.NA]
    cells = np.empty(len(picks), dtype=object)
    for i, pick in enumerate(picks):
        value = pool[pick]
        if fresh and isinstance(value, str):
            value = "".join([value[:1], value[1:]])  # an equal string, a new object
        cells[i] = value
    original = factorize.MIN_CELLS
    factorize.MIN_CELLS = 0  # the fast path also for these short arrays
    try:
        assert_same(cells)
    finally:
        factorize.MIN_CELLS = original


def test_many_distinct_objects_take_the_plain_path() -> None:
    cells = np.array([f"row {i}" for i in range(20_000)], dtype=object)
    assert_same(cells)
