"""Regenerate the sample CSVs in this folder: ``python data/make_samples.py``.

Plain numpy with fixed seeds, so the output is the same byte for byte on every run.
The data is made up (the "heart" set included): it exists to try perceptune on.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def write(path: Path, header: list[str], columns: list[np.ndarray], decimals: list[int]) -> None:
    """Write ``columns`` under ``header``; ``decimals`` per column (-1 = write as is)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for values in zip(*columns, strict=True):
            writer.writerow(
                [v if d < 0 else f"{v:.{d}f}" for v, d in zip(values, decimals, strict=True)]
            )


def blobs3(rng: np.random.Generator, n: int = 300) -> None:
    """Three round clusters in 2-D, labels 0, 1, 2."""
    y = rng.permutation(np.arange(n) % 3)
    centres = np.array([[0.0, 2.0], [-1.7, -1.0], [1.7, -1.0]])
    X = centres[y] + rng.normal(0.0, 0.7, size=(n, 2))
    write(HERE / "blobs3.csv", ["x1", "x2", "label"], [X[:, 0], X[:, 1], y], [4, 4, -1])


def moons(rng: np.random.Generator, n: int, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, like scikit-learn's make_moons."""
    y = rng.permutation(np.arange(n) % 2)
    angle = rng.uniform(0.0, np.pi, size=n)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(y[:, None] == 0, upper, lower) + rng.normal(0.0, noise, size=(n, 2))
    return X, y


def moons_pair(rng: np.random.Generator) -> None:
    """A train file and a test file drawn from the same distribution."""
    for name, n in (("moons_train.csv", 300), ("moons_test.csv", 100)):
        X, y = moons(rng, n)
        write(HERE / name, ["x1", "x2", "label"], [X[:, 0], X[:, 1], y], [4, 4, -1])


def heart_small(rng: np.random.Generator, n: int = 200) -> None:
    """Made-up patient records with a yes/no disease label driven by a noisy score."""
    age = rng.integers(29, 78, size=n)
    resting_bp = np.clip(rng.normal(130, 17, size=n), 90, 200).round()
    cholesterol = np.clip(rng.normal(245, 50, size=n), 120, 560).round()
    max_heart_rate = np.clip(220 - age - rng.normal(25, 15, size=n), 70, 205).round()
    st_depression = np.clip(rng.gamma(1.2, 0.9, size=n), 0.0, 6.2)
    score = (
        0.06 * (age - 54)
        + 0.02 * (resting_bp - 130)
        + 0.004 * (cholesterol - 245)
        - 0.04 * (max_heart_rate - 150)
        + 0.9 * (st_depression - 1.0)
        + rng.normal(0.0, 1.0, size=n)
    )
    disease = np.where(score > 0, "yes", "no")
    write(
        HERE / "heart_small.csv",
        ["age", "resting_bp", "cholesterol", "max_heart_rate", "st_depression", "disease"],
        [age, resting_bp, cholesterol, max_heart_rate, st_depression, disease],
        [0, 0, 0, 0, 1, -1],
    )


def main() -> None:
    blobs3(np.random.default_rng(3))
    moons_pair(np.random.default_rng(7))
    heart_small(np.random.default_rng(11))


if __name__ == "__main__":
    main()
