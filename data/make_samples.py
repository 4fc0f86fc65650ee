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


def _cell(value: object, decimals: int = 1, comma: bool = False) -> str:
    """A cell as text: NaN as ``NA``, floats rounded, optionally with a decimal comma."""
    if isinstance(value, float):
        if np.isnan(value):
            return "NA"
        text = f"{value:.{decimals}f}"
        return text.replace(".", ",") if comma else text
    return str(value)


def penguins_r(rng: np.random.Generator, n: int = 240) -> None:
    """An R ``write.csv`` export: quoted header, an unnamed first column of row names
    1..N, text columns, ``NA`` cells, a mostly empty comments column. Made-up birds of
    three made-up species; target ``species`` (not the last column)."""
    species = rng.choice(["Adelie", "Chinstrap", "Gentoo"], size=n, p=[0.45, 0.2, 0.35])
    island_of = {
        "Adelie": ["Biscoe", "Dream", "Torgersen"],
        "Chinstrap": ["Dream"],
        "Gentoo": ["Biscoe"],
    }
    base = {
        "Adelie": (38.8, 18.3, 190, 3700),
        "Chinstrap": (48.8, 18.4, 196, 3730),
        "Gentoo": (47.5, 15.0, 217, 5080),
    }
    rows = []
    for i, kind in enumerate(species, start=1):
        bill, depth, flipper, mass = base[kind]
        sex = rng.choice(["male", "female"])
        shift = 1.0 if sex == "male" else -1.0
        values = [
            float(bill + shift * 1.5 + rng.normal(0, 2.5)),
            float(depth + shift * 0.6 + rng.normal(0, 1.0)),
            float(round(flipper + shift * 3 + rng.normal(0, 6))),
            float(round(mass + shift * 300 + rng.normal(0, 350), -1)),
        ]
        for j in range(4):
            if rng.random() < 0.02:
                values[j] = float("nan")
        comment = "Nest never observed with full clutch." if rng.random() < 0.08 else "NA"
        rows.append(
            [
                str(i),
                kind,
                rng.choice(island_of[kind]),
                *values,
                "NA" if rng.random() < 0.04 else sex,
                int(rng.choice([2007, 2008, 2009])),
                comment,
            ]
        )
    header = [
        "",
        "species",
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
        "year",
        "comments",
    ]
    with (HERE / "penguins_r.csv").open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(f'"{h}"' for h in header) + "\n")
        for row in rows:
            cells = []
            for k, v in enumerate(row):
                text = _cell(v, 0 if k in (5, 6) else 1)
                quoted = isinstance(v, str) and text != "NA"
                cells.append(f'"{text}"' if quoted else text)
            handle.write(",".join(cells) + "\n")


def cars_excel(rng: np.random.Generator, n: int = 93) -> None:
    """A European Excel export: ``;`` separators, decimal commas, a byte-order mark and
    CRLF line ends. ``Model`` is unique per row (ignored), ``AirBags`` has the
    category ``None`` (not a missing value), the target is ``Origin`` (last column)."""
    types = ["Small", "Midsize", "Compact", "Large", "Sporty", "Van"]
    lines = ["Model;Type;Price;MPG.city;AirBags;Horsepower;Weight;Origin"]
    for i in range(n):
        origin = "USA" if rng.random() < 0.52 else "non-USA"
        kind = rng.choice(types)
        horsepower = float(round(rng.normal(150 if origin == "USA" else 130, 40)))
        weight = float(round(rng.normal(3300 if origin == "USA" else 2900, 500), -1))
        price = float(max(7.0, rng.normal(21 if origin == "USA" else 18, 8)))
        mpg = float(round(max(15.0, 45 - weight / 150 + rng.normal(0, 2))))
        airbags = rng.choice(["None", "Driver only", "Driver & Passenger"])
        cells = [
            f"Car {i + 1:03d}",
            kind,
            _cell(price, 1, comma=True),
            _cell(mpg, 0),
            airbags,
            _cell(horsepower, 0),
            _cell(weight, 0),
            origin,
        ]
        if rng.random() < 0.05:
            cells[2] = ""
        lines.append(";".join(cells))
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    (HERE / "cars_excel.csv").write_bytes(text.encode("utf-8"))


def survey_text(rng: np.random.Generator, n: int = 237) -> None:
    """A student survey: an ``id`` column, a ``date`` column, text answers with ``NA``
    and the answer ``-`` (a category), height with missing values; target ``Smoke``."""
    header = ["id", "date", "Sex", "Wr.Hnd", "NW.Hnd", "Exer", "Height", "Age", "Smoke"]
    rows = []
    for i in range(n):
        sex = rng.choice(["Female", "Male"])
        span = rng.normal(19.5 if sex == "Male" else 17.5, 1.5)
        exer = rng.choice(["Freq", "Some", "-"], p=[0.45, 0.4, 0.15])
        age = float(round(rng.gamma(2.0, 2.0) + 17, 3))
        heavy = age > 22 and exer == "-"
        smoke = rng.choice(
            ["Never", "Occas", "Regul", "Heavy"],
            p=[0.4, 0.15, 0.2, 0.25] if heavy else [0.85, 0.06, 0.06, 0.03],
        )
        height = float(rng.normal(178 if sex == "Male" else 165, 7))
        day = 1 + int(rng.integers(0, 28))
        rows.append(
            [
                str(1000 + 7 * i),
                f"2024-03-{day:02d}",
                "NA" if rng.random() < 0.01 else sex,
                _cell(float(span)),
                _cell(float(span + rng.normal(0, 0.8))),
                exer,
                "NA" if rng.random() < 0.12 else _cell(height),
                _cell(age, 3),
                "NA" if rng.random() < 0.01 else smoke,
            ]
        )
    write_rows(HERE / "survey_text.csv", header, rows)


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write text rows under ``header`` with the csv module (quotes where needed)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    blobs3(np.random.default_rng(3))
    moons_pair(np.random.default_rng(7))
    heart_small(np.random.default_rng(11))
    penguins_r(np.random.default_rng(13))
    cars_excel(np.random.default_rng(17))
    survey_text(np.random.default_rng(19))


if __name__ == "__main__":
    main()
