"""The sweep files that ship in data/sweeps/ load and count the points they promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.search.sweepfile import load_sweep

SWEEPS = Path(__file__).resolve().parent.parent / "data" / "sweeps"


@pytest.mark.parametrize(
    ("name", "strategy", "points"),
    [("grid.toml", "grid", 36), ("random.toml", "random", 30), ("tpe.toml", "tpe", 40)],
)
def test_shipped_sweep_files_load(name: str, strategy: str, points: int) -> None:
    spec = load_sweep(SWEEPS / name)
    assert spec.strategy == strategy
    assert spec.n_points() == points
