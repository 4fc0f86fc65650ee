"""Helpers of the encoding tests: read a CSV pair, compare two encodings bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.csvdata import read_csv_pair
from core.datasets import DatasetSpec


def pair_of(tmp_path: Path, train: str, test: str | None = None, **values: object):
    """Write ``train`` (and ``test``) as CSV files and read them as a run would."""
    (tmp_path / "train.csv").write_text(train)
    given = {"train": str(tmp_path / "train.csv"), **values}
    if test is not None:
        (tmp_path / "test.csv").write_text(test)
        given["test"] = str(tmp_path / "test.csv")
    spec = DatasetSpec.from_mapping(given).validate()
    return spec, read_csv_pair(spec)


def assert_same(direct, reference) -> None:
    assert direct.names == reference.names
    assert direct.X_train.flags.c_contiguous and direct.X_test.flags.c_contiguous
    assert direct.X_train.dtype == np.float64
    # Bit for bit: equal arrays, and equal bytes (so no -0.0 / 0.0 or NaN difference).
    assert direct.X_train.tobytes() == reference.X_train.tobytes()
    assert direct.X_test.tobytes() == reference.X_test.tobytes()
    if reference.mean is None:
        assert direct.mean is None
    else:
        assert direct.mean.tobytes() == reference.mean.tobytes()
        assert direct.scale.tobytes() == reference.scale.tobytes()
