"""How the target column is read: as integers when the file's first rows say its
labels are plain whole numbers (pandas' faster read), else as text; both give the
same labels, classes and encoded arrays (real files, real pandas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.datasets import DatasetSpec, load_dataset
from core.tabular import TARGET_SAMPLE_ROWS, read_frame, read_table


def labelled(tmp_path: Path, labels: list[str], name: str = "t.csv") -> str:
    """A file with two number columns and ``labels`` as its last column."""
    rows = [f"{i % 7}.5,{(i * 3) % 11},{label}" for i, label in enumerate(labels)]
    path = tmp_path / name
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def as_text(path: str) -> list[str]:
    """The target's labels as read as text (the slower read): the reference."""
    frame, _, _ = read_frame(path)  # whole_target off: always text
    return [cell.strip() for cell in frame["y"].dropna().tolist()]


def test_plain_whole_labels_are_read_as_numbers_with_the_same_labels(tmp_path: Path) -> None:
    labels = [str(v) for v in np.random.default_rng(0).integers(-1, 3, 120)]
    path = labelled(tmp_path, labels)
    frame, _, _ = read_frame(path, whole_target=True)
    assert frame["y"].dtype.kind == "i"  # the faster read was taken
    table = read_table(path)
    assert table.labels.tolist() == as_text(path) == labels
    assert table.label_uniques.tolist() == list(dict.fromkeys(labels))  # order of appearance
    data = load_dataset(DatasetSpec(name=None, train=path))
    assert data.classes == [-1, 0, 1, 2]


@pytest.mark.parametrize(
    ("late", "classes", "dropped"),
    [
        ("1.0", ["0", "1", "1.0", "2"], 0),  # a decimal: labels stay text
        ("x", ["0", "1", "2", "x"], 0),  # text
        ("TRUE", ["0", "1", "2", "TRUE"], 0),
        ("NA", [0, 1, 2], 2),  # a missing target: dropped, labels still whole numbers
    ],
)
def test_a_cell_below_the_first_rows_keeps_its_spelling(
    tmp_path: Path, late: str, classes: list, dropped: int
) -> None:
    labels = [str(i % 3) for i in range(TARGET_SAMPLE_ROWS + 30)]
    # Below the rows that decide the read (twice: the split needs 2 rows a class).
    labels[TARGET_SAMPLE_ROWS + 20] = labels[TARGET_SAMPLE_ROWS + 25] = late
    path = labelled(tmp_path, labels)
    table = read_table(path)
    assert table.labels.tolist() == as_text(path)
    assert table.dropped_rows == dropped
    data = load_dataset(DatasetSpec(name=None, train=path, test_size=0.5))
    assert data.classes == classes


@pytest.mark.parametrize("first", ["01", "+1", "1.0", "NA", "yes", "True"])
def test_labels_not_plain_in_the_first_rows_are_read_as_text(tmp_path: Path, first: str) -> None:
    labels = [first] + [str(i % 2) for i in range(40)]
    path = labelled(tmp_path, labels)
    frame, _, _ = read_frame(path, whole_target=True)
    assert frame["y"].dtype.kind != "i"
    table = read_table(path)
    assert table.labels.tolist() == as_text(path)


def test_a_late_zero_padded_whole_number_is_the_same_class(tmp_path: Path) -> None:
    """The one spelling the faster read loses: ``007`` below the first rows is read
    as 7 (its label reads ``7``); its class is 7 either way."""
    labels = [str(i % 3) for i in range(TARGET_SAMPLE_ROWS + 30)]
    labels[TARGET_SAMPLE_ROWS + 20] = labels[TARGET_SAMPLE_ROWS + 25] = "007"
    path = labelled(tmp_path, labels)
    assert read_table(path).label_uniques.tolist() == ["0", "1", "2", "7"]
    data = load_dataset(DatasetSpec(name=None, train=path, test_size=0.5))
    assert data.classes == [0, 1, 2, 7]
