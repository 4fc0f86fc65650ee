"""Real-world CSVs: sniffing, column kinds, imputation and encoding fit on the train part
only, target rules, ``inspect``, per-class results and the exported script (real files,
real pandas and scikit-learn, the real CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_export import assert_no_dead_code

from core.cli import main
from core.datasets import DatasetSpec, describe, load_dataset
from core.errors import DataError
from core.inspection import inspect_csv
from core.metrics import class_metrics, never_predicted

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def spec(train: str, **values: object) -> DatasetSpec:
    return DatasetSpec.from_mapping({"train": train, **values})


def kinds(path: str, **values: object) -> dict[str, tuple[str, str]]:
    report = inspect_csv(path, **values)  # type: ignore[arg-type]
    return {c["name"]: (c["kind"], c["action"]) for c in report.columns}


def rows(n: int, make) -> str:
    return "".join(make(i) for i in range(n))


# --- reading ---------------------------------------------------------------------------


def test_excel_export_semicolons_decimal_commas_bom_crlf(tmp_path: Path) -> None:
    text = "\ufeffa;b;label\r\n" + rows(20, lambda i: f"{i},5;{i % 3};{'xy'[i % 2]}\r\n")
    data = load_dataset(spec(write(tmp_path, "excel.csv", text), scale=False))
    assert data.feature_names == ["a", "b"]
    values = np.concatenate([data.X_train[:, 0], data.X_test[:, 0]])
    assert sorted(values.tolist()) == [i + 0.5 for i in range(20)]
    report = inspect_csv(str(tmp_path / "excel.csv"))
    assert (report.sep, report.decimal, report.target) == (";", ",", "label")


@pytest.mark.parametrize(("sep", "name"), [("\t", "tab"), (" ", "space"), ("|", "pipe")])
def test_other_separators_are_sniffed(tmp_path: Path, sep: str, name: str) -> None:
    text = sep.join(["'x'", '"y"', "cls"]) + "\n"
    text += rows(20, lambda i: sep.join([str(i * 3 % 11), str(i * 2 % 7), "ab"[i % 2]]) + "\n")
    path = write(tmp_path, f"{name}.csv", text)
    info = describe(spec(path))
    assert info.feature_names == ["x", "y"]  # quotes around header names stripped
    assert info.n_rows == 20 and info.target == "cls"


def test_sep_and_decimal_flags_override_the_sniffing(tmp_path: Path) -> None:
    text = "a;b;label\n" + rows(12, lambda i: f"{i},5;1;{'xy'[i % 2]}\n")
    path = write(tmp_path, "d.csv", text)
    report = inspect_csv(path, sep=";", decimal=".")
    assert kinds(path, sep=";", decimal=".")["a"][0] == "text"  # "0,5" is not a number now
    assert report.decimal == "."


def test_json_and_number_header_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="looks like JSON, not CSV"):
        inspect_csv(write(tmp_path, "d.csv", '[{"a": 1}]'))
    iris_like = "150,4,setosa,versicolor,virginica\n" + rows(20, lambda i: f"{i},1,2,3,{i % 3}\n")
    path = write(tmp_path, "iris.csv", iris_like)
    with pytest.raises(DataError, match=r"row 1: the first row looks like data.*--no-header"):
        inspect_csv(path)
    headless = write(tmp_path, "h.csv", rows(20, lambda i: f"{i % 5},{i * 3 % 7},{'ab'[i % 2]}\n"))
    info = describe(spec(headless, header=False))
    assert info.feature_names == ["column 1", "column 2"] and info.n_rows == 20


def test_missing_markers_and_soft_markers(tmp_path: Path) -> None:
    text = "num,bags,label\n"
    text += rows(30, lambda i: f"{'-' if i == 3 else '?' if i == 4 else i},"
                 f"{['None', 'Driver', 'NA'][i % 3]},{'ab'[i % 2]}\n")  # fmt: skip
    path = write(tmp_path, "d.csv", text)
    table = {c["name"]: c for c in inspect_csv(path).columns}
    assert table["num"]["kind"] == "numeric" and table["num"]["missing"] == 2
    # In text, "None" is a category (Cars93 AirBags) while NA is missing.
    assert table["bags"]["kind"] == "categorical" and table["bags"]["missing"] == 10
    assert table["bags"]["action"].startswith("one-hot: 2 columns")
    custom = {c["name"]: c for c in inspect_csv(path, na_values="None").columns}
    assert custom["bags"]["missing"] == 10 and custom["bags"]["distinct"] == 2


# --- column kinds -----------------------------------------------------------------------


def test_every_ignored_kind_is_named(tmp_path: Path) -> None:
    def row(i: int) -> str:
        return (
            f'"{i + 1}",{i},{1000 + 13 * i},person {i},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},7,,'
            f"{i % 4},{'abc'[i % 3]},{i % 28 + 1:02d}/01/2024,{'xy'[i % 2]}\n"
        )

    header = '"","seq","ID","name","when","const","empty","n","cat","dmy","label"\n'
    path = write(tmp_path, "kinds.csv", header + rows(40, row))
    got = kinds(path)
    assert got["unnamed 1"] == ("index", "ignored: row names (unnamed first column)")
    assert got["seq"][0] == "numeric"  # 0..N-1 but not the first column: a feature
    assert got["ID"] == ("id", "ignored: ID-like (unique per row)")
    assert got["name"] == ("text", "ignored: free text or ID (unique per row)")
    # Clean ISO dates: numbers for the parts that vary (all in 2024 here).
    assert got["when"] == ("date", "expanded: month, weekday (year constant)")
    assert got["dmy"] == ("date", "ignored: dates, not all ISO YYYY-MM-DD (so not expanded)")
    assert got["const"][0] == "constant" and got["empty"][0] == "empty"
    assert got["n"] == ("numeric", "feature")
    assert got["cat"] == ("categorical", "one-hot: 3 columns")
    assert got["label"] == ("target", "target (2 classes)")
    named = write(
        tmp_path, "named.csv", "rownum,x,label\n" + rows(30, lambda i: f"{i + 1},{i % 4},{i % 2}\n")
    )
    assert kinds(named)["rownum"] == ("index", "ignored: row numbers 1..30")


def test_row_numbers_with_unlabelled_rows_and_camel_case_ids_are_ignored(
    tmp_path: Path,
) -> None:
    # Titanic's shape: PassengerId 1..N first, a target with gaps (rows dropped), and a
    # customerID column; "paid" is not an ID.
    def row(i: int) -> str:
        label = "NA" if i % 6 == 0 else "ab"[i % 2]
        return f"{i + 1},{(i * 7919) % 100003},{i % 3},{label}\n"

    path = write(tmp_path, "t.csv", "PassengerId,customerID,paid,label\n" + rows(60, row))
    got = kinds(path)
    assert got["PassengerId"] == ("index", "ignored: row numbers 2..60")
    assert got["customerID"] == ("id", "ignored: ID-like (unique per row)")
    assert got["paid"] == ("numeric", "feature")


def test_drop_and_keep_override_the_rules(tmp_path: Path) -> None:
    header = "ID,a,b,label\n"
    path = write(tmp_path, "d.csv", header + rows(30, lambda i: f"{i},{i % 5},{i % 3},{i % 2}\n"))
    data = load_dataset(spec(path, drop="a", keep="ID"))
    assert data.feature_names == ["ID", "b"]
    assert kinds(path, drop="a")["a"][1] == "ignored: --drop"
    with pytest.raises(DataError, match="no column named 'zz' to drop or keep"):
        load_dataset(spec(path, drop="zz"))


# --- encoding ---------------------------------------------------------------------------


def test_imputation_and_encoding_are_fit_on_the_train_part_only(tmp_path: Path) -> None:
    train = "x,colour,label\n" + rows(
        20, lambda i: f"{i if i % 5 else 'NA'},{'rgb'[i % 3]},{i % 2}\n"
    )
    test = "x,colour,label\nNA,r,0\n1000,purple,1\n"
    train_path, test_path = write(tmp_path, "tr.csv", train), write(tmp_path, "te.csv", test)
    data = load_dataset(spec(train_path, test=test_path, scale=False))
    known = [i for i in range(20) if i % 5]
    assert data.feature_names == ["x", "colour_b", "colour_g", "colour_r"]
    # The test row's missing x gets the median of the train rows (1000 is not in it).
    assert data.X_test[0, 0] == float(np.median(known))
    assert data.X_test[0, 1:].tolist() == [0.0, 0.0, 1.0]
    assert data.X_test[1].tolist() == [1000.0, 0.0, 0.0, 0.0]  # unseen category: zeros
    assert any("'purple'" in note and "all zeros" in note for note in data.info.notices)
    scaled = load_dataset(spec(train_path, test=test_path))
    assert np.allclose(scaled.X_train[:, 0].mean(), 0.0) and scaled.encoded
    assert not scaled.is_2d and scaled.scaler_mean is None


def test_a_test_file_is_sniffed_by_itself_and_matched_by_name(tmp_path: Path, run_cli) -> None:
    train = "x,colour,when,id,label\n" + rows(
        40, lambda i: f"{i % 7}.5,{'rgb'[i % 3]},2024-0{i % 9 + 1}-1{i % 9},{i},{'ab'[i % 2]}\n"
    )
    # An Excel export: BOM, CRLF, ';' and decimal commas; columns reordered, the
    # ignored 'id' absent, an extra column.
    test = "\ufefflabel;extra;colour;x;when\r\n" + rows(
        8, lambda i: f"{'ab'[i % 2]};zz;{'rgb'[i % 3]};{i % 7},5;2024-0{i % 9 + 1}-1{i % 9}\r\n"
    )
    train_path, test_path = write(tmp_path, "tr.csv", train), write(tmp_path, "te.csv", test)
    data = load_dataset(spec(train_path, test=test_path, scale=False))
    assert data.feature_names[:3] == ["x", "when_month", "when_weekday"]  # year: constant
    assert sorted(data.X_test[:, 0].tolist()) == sorted(i % 7 + 0.5 for i in range(8))
    assert data.X_test[0, 1:3].tolist() == [1.0, 2.0]  # 2024-01-10: a Wednesday
    # --sep/--decimal apply to both files: the test file is then read with them.
    with pytest.raises(DataError, match=r"te\.csv"):
        load_dataset(spec(train_path, test=test_path, sep=","))
    broken = write(tmp_path, "broken.csv", "label,x,when\na,1,2024-01-01\n")
    result = run_cli("run", "--train", train_path, "--test", broken, "--epochs", "2")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "broken.csv" in result.stderr
    assert "no column 'colour' here, but the train file" in result.stderr


def test_rows_without_a_target_are_dropped_and_counted(tmp_path: Path) -> None:
    text = "a,b,label\n" + rows(
        24, lambda i: f"{i},{i % 3},{'NA' if i % 8 == 0 else 'xy'[i % 2]}\n"
    )
    data = load_dataset(spec(write(tmp_path, "d.csv", text)))
    assert data.summary()["rows"] == 21 and data.summary()["dropped_rows"] == 3
    assert "3 row(s) with a missing target 'label' dropped" in data.info.notices


def test_continuous_target_is_refused_with_candidates(tmp_path: Path) -> None:
    text = "kind,x,price\n" + rows(80, lambda i: f"{'ab'[i % 2]},{i % 5},{i * 1.37:.2f}\n")
    with pytest.raises(DataError) as caught:
        load_dataset(spec(write(tmp_path, "d.csv", text)))
    message = str(caught.value)
    assert "'price' looks continuous (80 distinct numbers)" in message
    assert "columns with few values: x, kind" in message and "\n" not in message
    report = inspect_csv(str(tmp_path / "d.csv"))  # inspect shows the table all the same
    assert any("looks continuous" in warning for warning in report.warnings)
    assert len(report.problems) == 1 and "looks continuous" in report.problems[0]
    assert [c["kind"] for c in report.columns] == ["categorical", "numeric", "target"]


def test_target_did_you_mean_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "Species,x\n" + rows(10, lambda i: f"{'ab'[i % 2]},{i}\n"))
    with pytest.raises(DataError, match=r"no column named 'species'.*did you mean 'Species'"):
        load_dataset(spec(path, target="species"))


# --- metrics ----------------------------------------------------------------------------


def test_class_metrics_and_never_predicted() -> None:
    y_true = np.array(["rain", "rain", "sun", "snow", "snow", "sun"])
    y_pred = np.array(["rain", "sun", "sun", "rain", "sun", "sun"])
    metrics = class_metrics(y_true, y_pred, ["rain", "snow", "sun"])
    rain, snow, sun = metrics["per_class"]
    assert rain == {"class": "rain", "support": 2, "recall": 0.5, "precision": 0.5}
    assert snow == {"class": "snow", "support": 2, "recall": 0.0, "precision": None}
    assert sun["recall"] == 1.0 and sun["precision"] == 0.5
    assert metrics["balanced_accuracy"] == pytest.approx(0.5)
    assert metrics["confusion_matrix"]["matrix"] == [[1, 0, 1], [1, 0, 1], [0, 0, 2]]
    assert never_predicted(metrics) == "never predicted: snow (2 test rows)"


# --- CLI --------------------------------------------------------------------------------


def test_inspect_prints_the_column_table_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    path = str(DATA_DIR / "penguins_r.csv")
    assert main(["inspect", path, "--target", "species", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["target"] == "species" and report["rows"] == 240
    assert set(report["classes"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert report["columns"][0]["kind"] == "index" and report["problems"] == []
    assert main(["inspect", path]) == 0  # the last column: mostly missing, one class
    out = capsys.readouterr().out
    assert "target: 'comments' (last column; 1 classes)" in out
    assert "warning: the target 'comments' has only one class" in out
    assert "island" in out and "one-hot: 3 columns" in out
    assert not list(tmp_path.iterdir())  # no store written
    assert main(["inspect", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--train", ""],
        ["--train", "none"],
        ["--train", str(DATA_DIR / "heart_small.csv"), "--target", "None"],
        ["--train", str(DATA_DIR / "heart_small.csv"), "--sep", "x"],
        ["--dataset", "iris", "--sep", ";"],
    ],
)
def test_empty_or_none_data_flags_are_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    store = tmp_path / "s.db"
    assert main(["run", *args, "--store", str(store), "--executor", "inline", "-q"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and not store.exists()


def test_sample_files_train(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    for name, extra in (
        ("penguins_r.csv", ["--target", "species"]),
        ("cars_excel.csv", []),
        ("survey_text.csv", []),
    ):
        args = ["run", "--train", str(DATA_DIR / name), *extra, "--epochs", "5"]
        assert main([*args, "--executor", "inline", "-q", "--json", "--store", store]) == 0
        run = json.loads(capsys.readouterr().out)
        assert run["status"] == "done" and run["data"]["inputs"] > 0
        assert sum(c["support"] for c in run["per_class"]) > 0
        assert 0 <= run["balanced_accuracy"] <= 1
    matrix = run["confusion_matrix"]  # survey_text: 4 classes
    assert matrix["labels"] == ["Heavy", "Never", "Occas", "Regul"]
    assert sum(map(sum, matrix["matrix"])) == sum(c["support"] for c in run["per_class"])
    assert main(["show", str(run["id"]), "--store", store]) == 0
    out = capsys.readouterr().out
    assert "Balanced accuracy: " in out and "Confusion matrix (rows: true class" in out
    # survey_text's ISO dates (one month of 2024) add their weekday: 9 inputs + 1.
    assert "Data: 233 rows used, 4 dropped, 10 network inputs" in out
    date = next(c for c in run["data"]["columns"] if c["name"] == "date")
    action = "expanded: weekday (year, month constant)"
    assert date == {"name": "date", "kind": "date", "action": action}
    if any(c["precision"] is None for c in run["per_class"]):
        assert "never predicted: " in out


@pytest.mark.slow
@pytest.mark.parametrize(
    "data",
    [
        ["--train", str(DATA_DIR / "penguins_r.csv"), "--target", "species"],
        ["--train", str(DATA_DIR / "cars_excel.csv"), "--no-scale", "--drop", "Type"],
        ["--train", str(DATA_DIR / "survey_text.csv"), "--keep", "id"],
    ],
    ids=["r-export", "excel-no-scale", "survey-keep-id"],
)
def test_exported_script_of_a_mixed_csv_prints_the_stored_accuracies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: list[str]
) -> None:
    store = str(tmp_path / "s.db")
    args = [*data, "--epochs", "30", "--layers", "8", "--executor", "inline", "-q", "--json"]
    assert main(["run", *args, "--store", store]) == 0
    run = json.loads(capsys.readouterr().out)
    script = tmp_path / "reproduce.py"
    assert main(["export", str(run["id"]), "--python", "-o", str(script), "--store", store]) == 0
    source = script.read_text(encoding="utf-8")
    assert "pd.read_csv" in source and "OneHotEncoder" in source
    assert_no_dead_code(source)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Train accuracy: {run['train_accuracy']:.3f}\nTest accuracy: {run['test_accuracy']:.3f}\n"
    )


def test_a_file_too_big_for_memory_is_refused_before_reading(tmp_path: Path) -> None:
    from core.csvfile import max_file_bytes

    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(max_file_bytes() + 1)  # sparse: no disk space used
    with pytest.raises(DataError, match=r"huge\.csv: file is .* too big to load") as caught:
        describe(spec(str(path)))
    assert "memory" in str(caught.value)


def test_an_edited_file_is_loaded_again_by_the_worker_cache(tmp_path: Path) -> None:
    from core.worker import cached_dataset

    path = tmp_path / "d.csv"
    path.write_text("a,label\n" + rows(20, lambda i: f"{i % 7},{'xy'[i % 2]}\n"))
    first = cached_dataset(spec(str(path)))
    assert cached_dataset(spec(str(path))) is first
    path.write_text("a,label\n" + rows(40, lambda i: f"{i % 7},{'xy'[i % 2]}\n"))
    os.utime(path, ns=(1, 1))  # a different modification time, whatever the clock says
    assert cached_dataset(spec(str(path))).info.n_rows == 40


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.text(min_size=0, max_size=12), min_size=2, max_size=4))
def test_any_header_is_read_or_refused_on_one_line(tmp_path: Path, names: list[str]) -> None:
    header = ",".join('"' + name.replace('"', '""') + '"' for name in names)
    body = rows(12, lambda i: ",".join([str(i % 3)] * (len(names) - 1) + ["ab"[i % 2]]) + "\n")
    path = tmp_path / "h.csv"
    path.write_bytes((header + "\n" + body).encode("utf-8", "surrogatepass"))
    try:
        report = inspect_csv(str(path))
    except DataError as error:
        assert "\n" not in str(error) and "\r" not in str(error).split(": ", 1)[0]
    else:
        assert len(report.columns) == len(names)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.text(max_size=8), min_size=12, max_size=12))
def test_any_feature_cells_load_or_are_refused_on_one_line(
    tmp_path: Path, cells: list[str]
) -> None:
    quoted = ['"' + cell.replace('"', '""') + '"' for cell in cells]
    body = "".join(f"{q},{i % 4},{'ab'[i % 2]}\n" for i, q in enumerate(quoted))
    path = tmp_path / "c.csv"
    path.write_bytes(("f,g,label\n" + body).encode("utf-8", "surrogatepass"))
    try:
        data = load_dataset(spec(str(path)))
    except DataError as error:
        assert "\n" not in str(error)
    else:
        assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()


def test_single_quoted_cells_are_sniffed(tmp_path: Path) -> None:
    text = "'sex';'x';'label'\n" + rows(20, lambda i: f"'{'mf'[i % 2]} x';{i % 6};'a;{i % 2}'\n")
    data = load_dataset(spec(write(tmp_path, "q.csv", text)))
    assert data.classes == ["a;0", "a;1"]  # the separator inside quotes stays in the label
    assert data.feature_names == ["x", "sex_f x", "sex_m x"]


def test_a_text_columns_values_are_its_own_cells_when_nothing_was_stripped() -> None:
    import io

    import pandas as pd

    from core.tabular import Text

    text = "c,d\n" + "".join(
        f"{['u', 'vv', 'NA'][i % 3]},{[' a', 'b'][i % 2]}\n" for i in range(30)
    )
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=["NA"])
    plain, padded = Text.of(frame["c"]), Text.of(frame["d"])
    rebuilt = Text(plain.codes, plain.uniques).values()  # built from codes and uniques
    values = plain.values()
    assert plain.cells is not None and not values.flags.writeable
    assert pd.isna(values).tolist() == pd.isna(rebuilt).tolist()
    assert [v for v in values if isinstance(v, str)] == [v for v in rebuilt if isinstance(v, str)]
    # " a" is stripped to "a": the cells are not the values, so they are rebuilt.
    assert padded.cells is None and padded.values().tolist() == ["a", "b"] * 15
