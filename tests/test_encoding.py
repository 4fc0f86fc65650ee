"""The direct encoder (core/encoding.py) gives, bit for bit, what the ColumnTransformer
of the exported script gives: real pandas frames, real scikit-learn, real CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from encoding_checks import assert_same, pair_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import encoding
from core.csvdata import encode, encode_with_transformer, read_csv_pair
from core.datasets import DatasetSpec, load_dataset
from core.errors import DataError


def both_ways(pair, spec, train_rows, test_rows):
    """(direct, through the fitted ColumnTransformer) for the same rows."""
    table = pair.table
    test = table.features if pair.test_features is None else pair.test_features
    direct = encode(table, table.features, train_rows, test, test_rows, spec.scale, spec.test)
    frame = pd.DataFrame({n: table.features[n] for n in table.numeric + table.categorical})
    test_frame = (
        frame
        if pair.test_features is None
        else pd.DataFrame({n: test[n] for n in table.numeric + table.categorical})
    )
    train_part = frame if train_rows is None else frame.take(train_rows)
    test_part = test_frame if test_rows is None else test_frame.take(test_rows)
    reference = encode_with_transformer(table, train_part, test_part, spec.scale, spec.test)
    return direct, reference


MIXED = "x,y,colour,size,label\n" + "".join(
    f"{(i * 37 % 101) / 7 if i % 9 else 'NA'},{i * 1.5e3 % 17},"
    f"{['red', 'green', 'blue', 'NA', 'tan'][i % 5]},{'SMLX'[i * 7 % 4] if i % 11 else ''},"
    f"{'abc'[i % 3]}\n"
    for i in range(300)
)


@pytest.mark.parametrize("scale", [True, False])
def test_split_rows_encode_as_the_column_transformer(
    tmp_path: Path, scale: bool, encoder_threads: bool
) -> None:
    spec, pair = pair_of(tmp_path, MIXED, scale=scale)
    rng = np.random.default_rng(3)
    rows = rng.permutation(len(pair.y))
    direct, reference = both_ways(pair, spec, rows[:220], rows[220:])
    assert_same(direct, reference)
    assert direct.names[:2] == ["y", "x"]  # complete numbers first, then those with gaps


def test_a_separate_test_file_with_unseen_and_missing_categories(tmp_path: Path) -> None:
    test = "x,y,colour,size,label\n1.5,NA,purple,M,a\nNA,3,NA,,b\n2,2,red,XXL,c\n"
    spec, pair = pair_of(tmp_path, MIXED, test)
    direct, reference = both_ways(pair, spec, None, None)
    assert_same(direct, reference)
    colour = [i for i, name in enumerate(direct.names) if name.startswith("colour_")]
    assert direct.X_test[0, colour].tolist() == [0.0] * len(colour)  # purple: unseen
    assert direct.X_test[1, colour].sum() == 1.0  # missing: the most frequent train value


def test_most_frequent_ties_take_the_smallest_category(tmp_path: Path) -> None:
    text = "a,c,label\n" + "".join(
        f"{i % 7},{['q', 'b', 'NA'][i % 3]},{'xy'[i % 2]}\n" for i in range(30)
    )
    spec, pair = pair_of(tmp_path, text)
    direct, reference = both_ways(pair, spec, np.arange(30), np.arange(30))
    assert_same(direct, reference)
    missing_row = 2  # 'NA': imputed with 'b' (10 rows each for b and q)
    assert direct.X_test[missing_row, 1:].tolist() == [1.0, 0.0]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False, width=32)),
            st.sampled_from(["u", "v", "w", None]),
        ),
        min_size=12,
        max_size=60,
    ),
    seed=st.integers(0, 2**16),
    scale=st.booleans(),
)
def test_any_mixed_table_encodes_as_the_column_transformer(
    tmp_path: Path, cells: list, seed: int, scale: bool
) -> None:
    lines = ["num,cat,label"]
    for i, (number, category) in enumerate(cells):
        shown = "NA" if number is None else repr(float(number))
        lines.append(f"{shown},{category or 'NA'},{i % 2}")
    lines.append("1,u,0")  # at least one number and one category present
    lines.append("2,v,1")
    spec, pair = pair_of(tmp_path, "\n".join(lines) + "\n", scale=scale, keep="num,cat")
    table = pair.table
    if not table.numeric or not table.categorical:
        return  # typed as something else (constant...): nothing to compare
    rows = np.random.default_rng(seed).permutation(len(pair.y))
    cut = max(1, len(rows) * 3 // 4)
    if pd.isna(pd.Series(table.features["cat"])[rows[:cut]]).all():
        return  # refused (a category with no train value), as the next test shows
    direct, reference = both_ways(pair, spec, rows[:cut], rows[cut:])
    assert_same(direct, reference)


def test_load_dataset_matches_the_pipeline_on_a_sample_file() -> None:
    sample = Path(__file__).resolve().parent.parent / "data" / "penguins_r.csv"
    spec = DatasetSpec.from_mapping({"train": str(sample), "target": "species"}).validate()
    data = load_dataset(spec)
    pair = read_csv_pair(spec)
    from sklearn.model_selection import train_test_split

    frame = pd.DataFrame(
        {n: pair.table.features[n] for n in pair.table.numeric + pair.table.categorical}
    )
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=pair.y)
    reference = encode_with_transformer(pair.table, train, test, True)
    assert data.X_train.tobytes() == reference.X_train.tobytes()
    assert data.X_test.tobytes() == reference.X_test.tobytes()
    assert data.feature_names == reference.names


def test_a_category_without_values_in_the_train_rows_is_refused(tmp_path: Path) -> None:
    # The ColumnTransformer would fail on it (nothing to impute or one-hot from).
    rows = [f"{i % 7},{'NA' if i % 4 else 'uvw'[i % 3]},{'ab'[i % 2]}" for i in range(40)]
    _, pair = pair_of(tmp_path, "x,c,label\n" + "\n".join(rows) + "\n")
    table = pair.table
    missing = np.flatnonzero(pd.isna(pd.Series(table.features["c"])))
    present = np.flatnonzero(pd.notna(pd.Series(table.features["c"])))
    with pytest.raises(DataError, match=r"column 'c': no value in the train rows \(30 rows"):
        encode(table, table.features, missing, table.features, present, True)


@pytest.mark.parametrize(
    "column",
    [
        np.full(50, 3.0),  # constant: scale 1
        np.full(50, -0.0),  # its sum is -0.0
        1e9 + np.arange(40) * 1e-7,  # near constant, far from 0
        np.linspace(-1e12, 1e12, 33),
        np.random.default_rng(5).normal(7.0, 3.0, 1001),
    ],
)
def test_scaler_statistics_are_standard_scalers_bits(column: np.ndarray) -> None:
    from sklearn.preprocessing import StandardScaler

    sums = encoding._scaler_sums(column, np.empty_like(column))
    mean, scale = encoding.scaler_statistics(*(np.array([v]) for v in sums), len(column))
    reference = StandardScaler().fit(column[:, None])
    assert mean.tobytes() == reference.mean_.tobytes()
    assert scale.tobytes() == reference.scale_.tobytes()


def test_typing_records_each_number_columns_largest_value(tmp_path: Path) -> None:
    # min/max taken once by the typing (missing cells skipped), for the encoder's
    # scaling check; a date's parts and text columns have none.
    text = "a,b,when,c,label\n" + "".join(
        f"{-3.5 * i if i != 4 else 'NA'},{i % 5},2024-0{1 + i % 9}-1{i % 10},{'uv'[i % 2]},"
        f"{'xy'[i % 2]}\n"
        for i in range(30)
    )
    _, pair = pair_of(tmp_path, text)
    table = pair.table
    assert table.largest == {"a": 3.5 * 29, "b": 4.0}
    assert table.columns[0].missing == 1 and table.columns[0].action.startswith("imputed")


def test_values_too_large_to_scale_are_refused_in_either_file(tmp_path: Path) -> None:
    small = "a,b,label\n" + "".join(f"{i * 0.5},{i % 3},{i % 2}\n" for i in range(40))
    # In the train file: found by the typing's bounds, and still refused by the encoder.
    huge = small.replace("\n3.0,", "\n1e200,")
    (tmp_path / "huge.csv").write_text(huge)
    spec = DatasetSpec.from_mapping({"train": str(tmp_path / "huge.csv")}).validate()
    with pytest.raises(DataError, match="too large to standardise") as caught:
        load_dataset(spec)
    assert caught.value.column == "a" and caught.value.path.endswith("huge.csv")
    # Only in a separate test file: its values were never typed, so they are checked.
    test = "a,b,label\n1,2,0\n-1e200,1,1\n"
    spec, _ = pair_of(tmp_path, small, test)
    with pytest.raises(DataError, match="too large to standardise") as caught:
        load_dataset(spec)
    assert caught.value.column == "a" and caught.value.path.endswith("test.csv")
    # Unscaled, an infinite test value is refused; a finite huge one is fine.
    spec, _ = pair_of(tmp_path, small, test.replace("-1e200", "-inf"), scale=False)
    with pytest.raises(DataError, match="not a finite number"):
        load_dataset(spec)
    spec, _ = pair_of(tmp_path, small, test, scale=False)
    assert load_dataset(spec).X_test[1, 0] == -1e200


def test_a_category_only_in_the_test_rows_of_one_file_is_all_zeros(tmp_path: Path) -> None:
    # The same file's rows: "z" is in no train row, so the encoder fit on the train
    # rows does not know it (as OneHotEncoder(handle_unknown="ignore")); a missing cell
    # among the test rows gets the most frequent train category.
    cells = ["p", "q", "p", "NA", "q", "p", "z", "p", "q", "NA"] * 3
    text = "x,c,label\n" + "".join(f"{i % 7},{c},{'ab'[i % 2]}\n" for i, c in enumerate(cells))
    spec, pair = pair_of(tmp_path, text)
    rows = np.arange(len(cells))
    z_rows = rows[np.array(cells) == "z"]
    train_rows = np.setdiff1d(rows, z_rows)[:20]
    test_rows = np.concatenate([z_rows, rows[np.array(cells) == "NA"][:2]])
    direct, reference = both_ways(pair, spec, train_rows, test_rows)
    assert_same(direct, reference)
    one_hot = [i for i, name in enumerate(direct.names) if name.startswith("c_")]
    assert direct.names[one_hot[0]] == "c_p" and len(one_hot) == 2
    assert direct.X_test[: len(z_rows), one_hot].sum() == 0.0  # z: no bit
    assert direct.X_test[len(z_rows) :, one_hot].tolist() == [[1.0, 0.0]] * 2  # NA -> p
