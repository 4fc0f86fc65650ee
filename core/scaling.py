"""Refuse features the scaler cannot standardise, before a run is stored.

Standardising squares each value's distance from the mean: past about 1e154 that is
infinite in float64, the scaled data holds NaN and ``fit`` fails. A bound with a wide
margin (1e150) keeps the check simple and still allows every real measurement.
"""

from __future__ import annotations

from typing import Any

from core.errors import DataError

#: Largest feature magnitude a scaled run accepts.
MAX_SCALED_VALUE = 1e150


def check_scalable(X: Any, feature_names: list[str], path: str | None = None) -> None:
    """Raise :class:`DataError` naming the first column of ``X`` (a float array, rows
    by features) with a value too large to standardise; ``path`` names the file."""
    import numpy as np

    if X.size == 0:
        return
    largest = np.abs(X).max(axis=0)
    bad = np.flatnonzero(largest > MAX_SCALED_VALUE)
    if bad.size:
        column = int(bad[0])
        raise DataError(
            f"values up to {largest[column]:g} are too large to standardise (at most "
            f"{MAX_SCALED_VALUE:g}); rescale the column or turn scaling off (--no-scale)",
            path=path,
            column=feature_names[column],
        )
