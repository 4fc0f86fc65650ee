"""Dataset specs, built-in and CSV loading, splitting and scaling (real files, real sklearn)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.datasets import (
    BUILTIN_NAMES,
    DEFAULT_DATASET,
    DatasetSpec,
    builtin_infos,
    describe,
    load_dataset,
)
from core.errors import ConfigError, DataError, InputError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def write(tmp_path: Path, name: str, text: str) -> str:
    """Write ``text`` to ``tmp_path/name`` and return the path as a string."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def csv_spec(train: str, **values: object) -> DatasetSpec:
    return DatasetSpec(name=None, train=train, **values)  # type: ignore[arg-type]


def two_class_csv(n_per_class: int = 10) -> str:
    lines = ["a,b,label"]
    for i in range(n_per_class):
        lines.append(f"{i},{i * 2.5},yes")
        lines.append(f"{-i - 1},{i * 0.5 - 3},no")
    return "\n".join(lines) + "\n"


# --- built-ins ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows", "features", "classes"),
    [
        ("iris", 150, 4, 3),
        ("wine", 178, 13, 3),
        ("breast_cancer", 569, 30, 2),
        ("digits", 1797, 64, 10),
    ],
)
def test_bundled_sets_load_with_their_shape(
    name: str, rows: int, features: int, classes: int
) -> None:
    data = load_dataset(DatasetSpec(name=name))
    assert data.X_train.shape[0] + data.X_test.shape[0] == rows
    assert data.X_train.shape[1] == data.X_test.shape[1] == features
    assert data.classes == list(range(classes))
    assert data.info.n_rows == rows and data.info.n_features == features
    assert data.info.n_classes == classes
    assert len(data.feature_names) == features
    assert data.X_train.dtype == np.float64
    assert not data.is_2d


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spiral", "blobs"])
def test_synthetic_sets_are_2d_with_n_samples_rows(name: str) -> None:
    data = load_dataset(DatasetSpec(name=name, n_samples=120, noise=0.1))
    assert data.X_train.shape == (90, 2) and data.X_test.shape == (30, 2)
    assert data.is_2d and data.feature_names == ["x1", "x2"]
    assert data.classes == ([0, 1, 2] if name == "blobs" else [0, 1])
    assert sum(data.info.class_counts.values()) == 120
    assert DatasetSpec(name=name).is_synthetic()


def test_synthetic_noise_zero_and_seed_change_data() -> None:
    a = load_dataset(DatasetSpec(name="xor", noise=0.0, scale=False))
    # Clean xor: class 1 exactly where x1 and x2 have the same sign.
    same_sign = (a.X_train[:, 0] * a.X_train[:, 1]) > 0
    assert np.array_equal(same_sign.astype(int), a.y_train)
    b = load_dataset(DatasetSpec(name="xor", noise=0.0, scale=False, split_seed=1))
    assert not np.array_equal(a.X_train, b.X_train)


def test_builtin_infos_cover_every_builtin() -> None:
    infos = builtin_infos()
    assert [info.name for info in infos] == list(BUILTIN_NAMES)
    digits = infos[BUILTIN_NAMES.index("digits")]
    assert (digits.n_rows, digits.n_features, digits.n_classes) == (1797, 64, 10)
    moons = infos[BUILTIN_NAMES.index("moons")]
    assert moons.n_rows == DatasetSpec().n_samples and moons.class_counts == {"0": 200, "1": 200}
    assert all(info.description and "\n" not in info.description for info in infos)
    assert DEFAULT_DATASET in BUILTIN_NAMES


# --- split and scaling -----------------------------------------------------------------


def test_split_sizes_and_stratification() -> None:
    data = load_dataset(DatasetSpec(name="iris", test_size=0.2))
    assert data.X_train.shape == (120, 4) and data.X_test.shape == (30, 4)
    assert np.bincount(data.y_train).tolist() == [40, 40, 40]
    assert np.bincount(data.y_test).tolist() == [10, 10, 10]
    assert data.baseline_accuracy == pytest.approx(1 / 3)


def test_scaler_is_fit_on_train_only() -> None:
    data = load_dataset(DatasetSpec(name="wine"))
    assert np.allclose(data.X_train.mean(axis=0), 0.0, atol=1e-9)
    assert np.allclose(data.X_train.std(axis=0), 1.0)
    assert not np.allclose(data.X_test.mean(axis=0), 0.0, atol=1e-9)
    assert data.scaler_mean is not None and data.scaler_scale is not None
    raw = load_dataset(DatasetSpec(name="wine", scale=False))
    assert np.allclose(data.scaler_mean, raw.X_train.mean(axis=0))
    assert np.allclose(data.to_raw_space(data.X_test), raw.X_test)
    assert np.allclose(data.to_model_space(raw.X_train), data.X_train)


def test_no_scale_leaves_values(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", two_class_csv())
    data = load_dataset(csv_spec(path, scale=False))
    assert data.scaler_mean is None and data.scaler_scale is None
    rows = {(float(i), i * 2.5) for i in range(10)} | {(-i - 1.0, i * 0.5 - 3) for i in range(10)}
    assert {tuple(row) for row in data.X_train.tolist()} <= rows
    assert {tuple(row) for row in data.X_test.tolist()} <= rows


def test_same_spec_gives_identical_arrays() -> None:
    spec = DatasetSpec(name="spiral", noise=0.3, n_samples=200, split_seed=5)
    a, b = load_dataset(spec), load_dataset(spec)
    for name in ("X_train", "X_test", "y_train", "y_test"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    c = load_dataset(DatasetSpec(name="iris", split_seed=1))
    d = load_dataset(DatasetSpec(name="iris", split_seed=2))
    assert not np.array_equal(c.y_test, d.y_test)


def test_loaded_arrays_are_private_copies() -> None:
    data = load_dataset(DatasetSpec(name="iris", scale=False))
    data.X_train[:] = 0.0  # must not reach the cached bundled data
    again = load_dataset(DatasetSpec(name="iris", scale=False))
    assert again.X_train.any()


# --- CSV files -----------------------------------------------------------------------


def test_csv_text_labels_and_default_target(tmp_path: Path) -> None:
    data = load_dataset(csv_spec(write(tmp_path, "d.csv", two_class_csv())))
    assert data.classes == ["no", "yes"]
    assert data.feature_names == ["a", "b"]
    assert data.y_train.dtype.kind == "U"
    assert data.info.class_counts == {"no": 10, "yes": 10}
    assert data.X_train.shape == (15, 2) and data.X_test.shape == (5, 2)


def test_csv_target_by_name_and_int_labels(tmp_path: Path) -> None:
    lines = ["kind, x , y"] + [f"{i % 3},{i}.5,{-i}" for i in range(30)]
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    data = load_dataset(csv_spec(path, target="kind"))
    assert data.feature_names == ["x", "y"]
    assert data.classes == [0, 1, 2] and all(type(c) is int for c in data.classes)
    assert data.y_train.dtype == np.int64
    assert csv_spec(path, target="kind").label() == "d.csv[target=kind]"


def test_csv_with_bom_crlf_quotes_and_blank_lines(tmp_path: Path) -> None:
    text = '\ufeffx1,"x 2",label\r\n\r\n1,2,a\r\n3,"4",b\r\n5,6,a\r\n7,8,b\r\n,,\r\n'
    path = write(tmp_path, "d.csv", text)
    info = describe(csv_spec(path))
    assert info.feature_names == ["x1", "x 2"]
    assert info.n_rows == 4 and info.class_counts == {"a": 2, "b": 2}


def test_separate_train_and_test_files(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", two_class_csv(8))
    test = write(tmp_path, "test.csv", "a,b,label\n1,2,yes\n-1,0,no\n2,2,yes\n")
    spec = csv_spec(train, test=test)
    data = load_dataset(spec)
    assert data.X_train.shape == (16, 2) and data.X_test.shape == (3, 2)
    assert data.y_test.tolist() == ["yes", "no", "yes"]
    assert np.allclose(data.X_train.mean(axis=0), 0.0)
    assert data.info.n_rows == 19
    assert spec.label() == "train.csv+test.csv"


def test_int_labels_agree_between_train_and_test(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n")
    test = write(tmp_path, "test.csv", "x,y\n1,1\n")
    data = load_dataset(csv_spec(train, test=test))
    assert data.classes == [0, 1] and data.y_test.tolist() == [1]


def test_sample_files_load() -> None:
    blobs = load_dataset(csv_spec(str(DATA_DIR / "blobs3.csv")))
    assert blobs.info.n_rows == 300 and blobs.classes == [0, 1, 2] and blobs.is_2d
    heart = describe(csv_spec(str(DATA_DIR / "heart_small.csv")))
    assert heart.n_rows == 200 and set(heart.class_counts) == {"no", "yes"}
    pair = load_dataset(
        csv_spec(str(DATA_DIR / "moons_train.csv"), test=str(DATA_DIR / "moons_test.csv"))
    )
    assert pair.X_train.shape == (300, 2) and pair.X_test.shape == (100, 2)


# Each bad file: (file content, expected row or None, expected column or None, words).
BAD_FILES = {
    "empty": ("", None, None, "empty"),
    "whitespace only": ("\n  \n", None, None, "empty"),
    "header only": ("a,b,label\n", None, None, "no data rows"),
    "one column": ("label\nyes\n", 1, None, "1 column"),
    "one column, spaces in names": ("my label\nyes\n", 1, None, "1 column"),
    "ragged short": ("a,b,label\n1,2,yes\n3,no\n", 3, None, "2 fields but the header has 3"),
    "ragged long": ("a,b,label\n1,2,yes\n3,4,5,no\n", 3, None, "4 fields"),
    "number header": ("150,4,label\n1,2,yes\n", 1, None, "looks like data, not column names"),
    "duplicated target": ("label,b,label\n1,2,yes\n", 1, "label", "appears twice"),
    "duplicated feature": ("a,a,label\n1,2,yes\n", 1, "a", "appears twice"),
    "json": ('{"a": [1, 2], "label": ["x", "y"]}\n', None, None, "looks like JSON, not CSV"),
    "spaces label": ("a,b,label\n1,2,yes\n1,2,  \n", 3, "label", "missing class label"),
    "long label": ("a,b,label\n1,2,yes\n1,2," + "9" * 5000 + "\n", 3, "label", "5,000 characters"),
    "all features ignored": ("id,b,label\n1,5,yes\n2,5,no\n", None, None, "no usable feature"),
    "inf feature": ("a,b,label\n1,2,yes\n\n1,-inf,no\n", 4, "b", "not a finite number"),
    "one class": ("a,b,label\n1,2,yes\n3,4,yes\n", None, "label", "only one class"),
    "open quote": ('a,b,label\n1,2,yes\n1,"2,no\n', 3, None, "not a readable CSV"),
    "too few to split": (
        "a,b,label\n1,2,yes\n3,4,yes\n5,6,no\n",
        None,
        None,
        "too few rows to split: 3 rows, 2 classes",
    ),
    "test part too small": (
        "a,b,c\n1,2,x\n1,2,x\n3,4,y\n3,4,y\n5,6,z\n5,6,z\n",
        None,
        None,
        "need at least 3 train and 3 test rows",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_gives_one_line_data_error(tmp_path: Path, case: str) -> None:
    text, row, column, words = BAD_FILES[case]
    path = write(tmp_path, "bad_data.csv", text)
    with pytest.raises(DataError) as caught:
        load_dataset(csv_spec(path))
    message = str(caught.value)
    assert "bad_data.csv" in message and "\n" not in message
    assert words in message
    assert caught.value.row == row
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert caught.value.column == column and repr(column) in message


def test_bad_file_describe_also_raises(tmp_path: Path) -> None:
    path = write(tmp_path, "bad_data.csv", "a,b,label\n1,2,yes\n1,yes\n")
    with pytest.raises(DataError, match="row 3"):
        describe(csv_spec(path))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_dataset(csv_spec(str(tmp_path / "nope.csv")))
    with pytest.raises(DataError, match="is a directory") as caught:
        load_dataset(csv_spec(str(tmp_path)))
    assert str(tmp_path) in str(caught.value)


def test_non_utf8_file_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b,label\n1,2,yes\n1,2,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv, row 3: not UTF-8"):
        load_dataset(csv_spec(str(path)))


def test_unknown_target_lists_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", two_class_csv())
    with pytest.raises(DataError) as caught:
        load_dataset(csv_spec(path, target="class"))
    message = str(caught.value)
    assert "d.csv" in message and "'class'" in message and "available: a, b, label" in message


def test_test_file_header_must_match(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", two_class_csv())
    test = write(tmp_path, "test.csv", "a,c,label\n1,2,yes\n")
    with pytest.raises(DataError) as caught:
        load_dataset(csv_spec(train, test=test))
    message = str(caught.value)
    # Matched by name: the train file's feature 'b' is missing, whatever the order.
    assert "test.csv" in message and "train.csv" in message and "no column 'b' here" in message
    short = write(tmp_path, "short.csv", "a,label\n1,yes\n")
    with pytest.raises(DataError, match=r"no column 'b' here, but the train file .*train\.csv"):
        load_dataset(csv_spec(train, test=short))
    reordered = write(tmp_path, "reordered.csv", "label,b,a\nyes,2,1\nno,3,4\n")
    assert load_dataset(csv_spec(train, test=reordered)).X_test.shape[0] == 2


def test_test_file_class_unseen_in_train(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", two_class_csv())
    test = write(tmp_path, "test.csv", "a,b,label\n1,2,yes\n1,2,maybe\n")
    with pytest.raises(DataError) as caught:
        load_dataset(csv_spec(train, test=test))
    message = str(caught.value)
    assert "test.csv, row 3, column 'label'" in message
    assert "test file has class 'maybe' not in the train file" in message


def test_test_file_with_errors_names_the_test_file(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", two_class_csv())
    for text in ("", "a,b,label\n", "a,b,label\n1,oops,yes\n"):
        test = write(tmp_path, "test.csv", text)
        with pytest.raises(DataError, match=r"test\.csv"):
            load_dataset(csv_spec(train, test=test))


# --- specs ---------------------------------------------------------------------------


def test_spec_round_trips_through_json() -> None:
    spec = DatasetSpec(name="blobs", noise=0.5, n_samples=50, split_seed=3, scale=False)
    data = json.loads(json.dumps(spec.to_dict()))
    assert DatasetSpec.from_mapping(data) == spec
    assert set(data) == {
        "name",
        "train",
        "test",
        "target",
        "test_size",
        "split_seed",
        "scale",
        "noise",
        "n_samples",
        "sep",
        "decimal",
        "na_values",
        "header",
        "drop",
        "keep",
    }


def test_spec_from_strings() -> None:
    spec = DatasetSpec.from_mapping(
        {"name": " Moons ", "noise": "0.3", "n-samples": "250", "scale": "no", "test_size": ".5"}
    )
    assert spec == DatasetSpec(name="moons", noise=0.3, n_samples=250, scale=False, test_size=0.5)
    assert spec.label() == "moons(noise=0.3,n=250)"
    assert DatasetSpec(name="digits").label() == "digits"
    csv = DatasetSpec.from_mapping({"train": "data.csv", "target": "label", "test": ""})
    assert csv.name is None and csv.test is None and not csv.is_synthetic()
    assert csv.label() == "data.csv[target=label]"
    back = DatasetSpec.from_mapping({"name": "iris"}, base=csv)
    assert back.train is None and back.target is None


@pytest.mark.parametrize(
    ("values", "error", "words"),
    [
        ({"colour": "red"}, ConfigError, "colour: unknown dataset setting; known: name, train"),
        ({"test_size": "1"}, ConfigError, "test_size: must be between 0 and 1"),
        ({"test_size": 0}, ConfigError, "test_size"),
        ({"test_size": "abc"}, ConfigError, "test_size: expected a fraction"),
        ({"noise": "-0.1"}, ConfigError, "noise: must be from 0 to 10"),
        ({"noise": "nan"}, ConfigError, "noise"),
        ({"n_samples": 5}, ConfigError, "n_samples: must be from 10 to 1,000,000"),
        ({"n_samples": "2e6"}, ConfigError, "n_samples: expected a whole number"),
        ({"split_seed": -1}, ConfigError, "split_seed"),
        ({"scale": "maybe"}, ConfigError, "scale: expected true or false"),
        ({"name": "mnist"}, DataError, "unknown dataset 'mnist'; built-in: iris, wine"),
        ({"name": "x.csv"}, DataError, "--train"),
        ({"name": "iris", "train": "a.csv"}, DataError, "not both"),
        ({"name": ""}, DataError, "no dataset"),
        ({"name": "iris", "test": "t.csv"}, ConfigError, "test: a test CSV needs a train CSV"),
        ({"name": "iris", "target": "y"}, ConfigError, "target: only applies to CSV data"),
    ],
)
def test_spec_from_mapping_errors(values: dict, error: type, words: str) -> None:
    with pytest.raises(error) as caught:
        DatasetSpec.from_mapping(values)
    assert words in str(caught.value)
    assert isinstance(caught.value, InputError)


def test_validate_checks_typed_specs() -> None:
    assert DatasetSpec().validate() == DatasetSpec()
    loose = DatasetSpec(name=" Breast-Cancer", test_size="0.5", scale="no")  # type: ignore[arg-type]
    assert loose.validate() == DatasetSpec(name="breast_cancer", test_size=0.5, scale=False)
    assert load_dataset(loose).spec.name == "breast_cancer"
    with pytest.raises(ConfigError, match="test_size"):
        DatasetSpec(test_size=1.5).validate()
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset(DatasetSpec(name="nope"))
    with pytest.raises(DataError, match="not both"):
        DatasetSpec(name="iris", train="a.csv").validate()
    with pytest.raises(DataError, match="no dataset"):
        describe(DatasetSpec(name=None))


def test_describe_does_not_split(tmp_path: Path) -> None:
    info = describe(DatasetSpec(name="iris"))
    assert info.n_rows == 150 and info.class_counts == {"0": 50, "1": 50, "2": 50}
    # Too few rows to split, yet describe() can still tell what is in the file.
    path = write(tmp_path, "tiny.csv", "a,label\n1,x\n2,y\n")
    info = describe(csv_spec(path))
    assert (info.name, info.n_rows, info.n_features, info.n_classes) == ("tiny.csv", 2, 1, 2)
    assert "tiny.csv" in info.description
    with pytest.raises(DataError, match="too few rows to split"):
        load_dataset(csv_spec(path))
