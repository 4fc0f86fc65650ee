"""A run's load encodes its number columns in their own memory (core/encoding_inplace.py):
bit for bit what the exported script's ColumnTransformer gives, on real CSV files read
by pandas, in one thread and in two, and errors from either thread reach the caller."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from encoding_checks import assert_same, pair_of

from core import encoding_inplace
from core.csvdata import encode, encode_with_transformer, read_csv_pair
from core.datasets import DatasetSpec, load_dataset
from core.errors import DataError


def reference_of(pair, spec, train_rows, test_rows):
    """The fitted ColumnTransformer's arrays for these rows (before any reordering)."""
    table = pair.table
    frame = pd.DataFrame({n: table.features[n] for n in table.numeric + table.categorical})
    return encode_with_transformer(
        table, frame.take(train_rows), frame.take(test_rows), spec.scale, None
    )


def encode_in_place(pair, spec, train_rows, test_rows, monkeypatch):
    """``encode`` as a run's load calls it (the columns consumed), checking that the
    in-place path is the one taken."""
    taken = []
    original = encoding_inplace.encode_numbers_in_place

    def spy(*args, **kwargs):
        taken.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(encoding_inplace, "encode_numbers_in_place", spy)
    table = pair.table
    result = encode(
        table, table.features, train_rows, table.features, test_rows, spec.scale, None, True
    )
    assert taken, "the in-place path was not taken"
    assert table.features == {}  # consumed
    return result


def mixed_table(rows: int) -> str:
    """Five number columns (two with gaps, between complete ones), two text columns
    with missing cells, a 3-class label."""
    lines = ["a,b,gap1,c,gap2,colour,size,label"]
    for i in range(rows):
        gap1 = "NA" if i % 9 == 0 else f"{(i * 37 % 101) / 7}"
        gap2 = "" if i % 13 == 4 else f"{i * 1.5e3 % 17}"
        colour = ["red", "green", "blue", "NA", "tan"][i % 5]
        size = "SMLX"[i * 7 % 4] if i % 11 else ""
        lines.append(
            f"{i * 0.37 % 5:.4f},{(i * 7919) % 1000 / 3:.5f},{gap1},{i % 17 - 8},{gap2},"
            f"{colour},{size},{'xyz'[i % 3]}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("scale", [True, False])
def test_in_place_encoding_is_the_column_transformers(
    tmp_path: Path, scale: bool, encoder_threads: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, pair = pair_of(tmp_path, mixed_table(400), scale=scale)
    rows = np.random.default_rng(5).permutation(len(pair.y))
    train_rows, test_rows = rows[:290], rows[290:]
    reference = reference_of(pair, spec, train_rows, test_rows)
    direct = encode_in_place(pair, spec, train_rows, test_rows, monkeypatch)
    assert_same(direct, reference)
    # Complete numbers first (a, b, c: rows of pandas' block copied together), then gaps.
    assert direct.names[:5] == ["a", "b", "c", "gap1", "gap2"]


def test_rows_without_a_label_and_a_subset_of_rows(
    tmp_path: Path, two_encoder_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing label: the table's columns are copies of the labelled rows (not rows
    # of one block); and train + test rows need not be every row.
    text = mixed_table(300).replace(",y\n", ",\n", 7)
    spec, pair = pair_of(tmp_path, text)
    assert pair.table.dropped_rows == 7
    rows = np.random.default_rng(1).permutation(len(pair.y))[:250]
    train_rows, test_rows = rows[:200], rows[200:]
    reference = reference_of(pair, spec, train_rows, test_rows)
    assert_same(encode_in_place(pair, spec, train_rows, test_rows, monkeypatch), reference)


def test_a_load_with_two_threads_is_the_pipelines(
    tmp_path: Path, two_encoder_threads: None
) -> None:
    (tmp_path / "train.csv").write_text(mixed_table(500))
    spec = DatasetSpec.from_mapping({"train": str(tmp_path / "train.csv")}).validate()
    data = load_dataset(spec)
    pair = read_csv_pair(spec)
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(pair.y))
    train_rows, test_rows = train_test_split(rows, test_size=0.25, random_state=0, stratify=pair.y)
    reference = reference_of(pair, spec, train_rows, test_rows)
    assert data.X_train.tobytes() == reference.X_train.tobytes()
    assert data.X_test.tobytes() == reference.X_test.tobytes()
    assert data.feature_names == reference.names


def test_a_value_too_large_to_scale_is_refused_from_either_thread(
    tmp_path: Path, encoder_threads: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The helper thread fits the last columns: a bad value in the first column is this
    # thread's, in the last the helper's. Both are refused with the column named.
    for column in ("a", "c"):
        text = mixed_table(200)
        spec, pair = pair_of(tmp_path, text)
        pair.table.largest.clear()  # as for values the typing did not bound
        pair.table.features[column] = pair.table.features[column].copy()
        pair.table.features[column][3] = 1e300
        rows = np.random.default_rng(0).permutation(len(pair.y))
        with pytest.raises(DataError, match="too large to standardise") as caught:
            encode_in_place(pair, spec, rows[:150], rows[150:], monkeypatch)
        assert caught.value.column == column


def test_a_category_without_train_values_is_refused_while_the_helper_fits(
    tmp_path: Path, two_encoder_threads: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["a,b,c,rare,label"]
    lines += [
        f"{i},{i * 2 % 7},{i % 5},{'q' if i >= 90 else 'NA'},{'xy'[i % 2]}" for i in range(100)
    ]
    spec, pair = pair_of(tmp_path, "\n".join(lines) + "\n", keep="rare")
    with pytest.raises(DataError, match="no value in the train rows"):
        encode_in_place(pair, spec, np.arange(80), np.arange(80, 100), monkeypatch)


def test_columns_at_equal_steps_are_copied_as_one_block() -> None:
    block = np.arange(40.0).reshape(5, 8)  # 5 columns of 8 rows, as pandas parses them
    columns = [block[2], block[3], block[4], block[0], block[1]]
    assert encoding_inplace._run_length(columns, 0) == 3
    assert encoding_inplace._run_length(columns, 2) == 1  # block[0] lies before block[4]
    assert encoding_inplace._run_length(columns, 3) == 2
    out = np.full((3, 6), -1.0)
    encoding_inplace._copy_rows(columns, out, 1, 3, 4)  # rows 1-2 from position 5 on
    assert out[1:, :5].tolist() == [[21, 29, 37, 5, 13], [22, 30, 38, 6, 14]]
    assert (out[0] == -1).all() and (out[:, 5] == -1).all()


def test_columns_that_share_memory_or_cannot_be_written_are_not_reordered() -> None:
    values = np.arange(10.0)
    rows = (np.arange(6), np.arange(6, 10))
    assert encoding_inplace.reorderable([values, np.arange(10.0)], *rows)
    assert not encoding_inplace.reorderable([values, values], *rows)
    frozen = np.frombuffer(bytes(80), dtype=np.float64)  # read-only memory
    assert not encoding_inplace.reorderable([frozen], *rows)
    assert not encoding_inplace.reorderable([np.arange(10)], *rows)  # not float64
    assert not encoding_inplace.reorderable([np.arange(8.0)], *rows)  # too short
    assert not encoding_inplace.reorderable([values], None, None)
