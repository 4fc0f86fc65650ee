"""The headless CLI, in process (``core.cli.main``) and as real subprocesses."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from core.cli import main
from core.config import RunConfig
from core.diagnosis import VERDICTS
from core.export import RUN_COLUMNS
from core.store import RunStore

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
RUN_KEYS = {
    "id",
    "status",
    "params",
    "dataset",
    "train_accuracy",
    "test_accuracy",
    "n_epochs",
    "verdict",
    "curve",
}
POINT_KEYS = {"epoch", "train_accuracy", "test_accuracy", "loss"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAST = ("--executor", "inline", "--quiet")


class Cli:
    """``perceptune ARGS`` in this process, with a store in a temporary directory."""

    def __init__(self, capsys: pytest.CaptureFixture[str], store: Path) -> None:
        self.capsys = capsys
        self.store = store

    def __call__(self, *args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse reports usage errors by exiting
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = self.capsys.readouterr()
        return code, out, err

    def run(self, *args: str) -> tuple[int, str, str]:
        return self("run", *args, *FAST, "--store", str(self.store))

    def run_json(self, *args: str) -> dict:
        code, out, err = self.run(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], store_path: Path) -> Cli:
    return Cli(capsys, store_path)


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("perceptune")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def stored_runs(store: Path) -> int:
    if not store.exists():
        return 0
    with RunStore(store) as runs:
        return runs.count_runs()


# --- run ------------------------------------------------------------------------------


def test_run_prints_accuracies_with_3_decimals_and_a_verdict(cli: Cli) -> None:
    code, out, err = cli.run("--dataset", "iris", "--epochs", "30")
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(r"Train accuracy: [01]\.\d{3}", lines[0])
    assert re.fullmatch(r"Test accuracy: [01]\.\d{3}", lines[1])
    assert re.match(r"Verdict: (underfitting|overfitting|good fit)", lines[2])
    assert "30 epochs" in lines[3] and str(cli.store) in lines[3]
    with RunStore(cli.store) as store:
        (record,) = store.list_runs()
    assert lines[0] == f"Train accuracy: {record.train_accuracy:.3f}"
    assert lines[1] == f"Test accuracy: {record.test_accuracy:.3f}"
    assert record.status == "done" and record.n_epochs == 30


def test_run_json_is_one_object_with_the_documented_keys(cli: Cli) -> None:
    data = cli.run_json("--dataset", "moons", "--layers", "8", "--epochs", "25", "--seed", "3")
    assert set(data) >= RUN_KEYS
    assert data["status"] == "done"
    assert data["params"] == RunConfig(layers=(8,), epochs=25, seed=3).to_dict()
    assert data["dataset"]["name"] == "moons"
    assert data["n_epochs"] == 25 == len(data["curve"])
    assert all(set(point) == POINT_KEYS for point in data["curve"])
    assert [p["epoch"] for p in data["curve"]] == list(range(1, 26))
    assert data["train_accuracy"] == data["curve"][-1]["train_accuracy"]
    assert data["test_accuracy"] == data["curve"][-1]["test_accuracy"]
    assert data["verdict"] in VERDICTS
    assert data["diagnosis"]["verdict"] == data["verdict"]


def test_run_json_hyperparameter_flags_reach_the_run(cli: Cli) -> None:
    data = cli.run_json(
        "--dataset",
        "wine",
        "--solver",
        "sgd",
        "--lr",
        "0.05",
        "--lr-schedule",
        "adaptive",
        "--momentum",
        "0.5",
        "--no-nesterov",
        "--early-stopping",
        "--validation-fraction",
        "0.2",
        "--alpha",
        "0.001",
        "--batch-size",
        "16",
        "--activation",
        "tanh",
        "--tol",
        "0.001",
        "--n-iter-no-change",
        "4",
        "--epochs",
        "15",
    )
    assert data["params"] == {
        **RunConfig().to_dict(),
        "solver": "sgd",
        "lr": 0.05,
        "lr_schedule": "adaptive",
        "momentum": 0.5,
        "nesterov": False,
        "early_stopping": True,
        "validation_fraction": 0.2,
        "alpha": 0.001,
        "batch_size": 16,
        "activation": "tanh",
        "tol": 0.001,
        "n_iter_no_change": 4,
        "epochs": 15,
    }


def test_run_on_csv_with_target_and_split_flags(cli: Cli) -> None:
    data = cli.run_json(
        "--train",
        str(DATA_DIR / "heart_small.csv"),
        "--target",
        "disease",
        "--test-size",
        "0.3",
        "--split-seed",
        "5",
        "--no-scale",
        "--epochs",
        "5",
    )
    assert data["dataset"]["train"] == str(DATA_DIR / "heart_small.csv")
    assert data["dataset"]["target"] == "disease"
    assert data["dataset"]["test_size"] == 0.3
    assert data["dataset"]["split_seed"] == 5
    assert data["dataset"]["scale"] is False
    assert data["n_epochs"] == 5


def test_lbfgs_run_says_it_has_no_epochs(cli: Cli) -> None:
    code, out, _ = cli.run("--dataset", "iris", "--solver", "lbfgs", "--epochs", "50")
    assert code == 0
    assert "lbfgs has no epochs" in out
    data = cli.run_json("--dataset", "iris", "--solver", "lbfgs", "--epochs", "50")
    assert len(data["curve"]) == 1


def test_diverging_run_is_reported_not_a_crash(cli: Cli) -> None:
    code, out, err = cli.run(
        "--dataset", "digits", "--no-scale", "--solver", "sgd", "--lr", "10", "--epochs", "30"
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert "Verdict: diverged" in out
    with RunStore(cli.store) as store:
        (record,) = store.list_runs()
    assert record.status == "diverged"
    assert record.stop_reason.startswith("diverged at epoch")


# --- runs, show, export, datasets -----------------------------------------------------


def test_runs_lists_every_stored_run(cli: Cli) -> None:
    first = cli.run_json("--dataset", "iris", "--epochs", "5")
    second = cli.run_json("--dataset", "moons", "--epochs", "6")
    code, out, _ = cli("runs", "--store", str(cli.store), "--json")
    assert code == 0
    listed = json.loads(out)
    assert [r["id"] for r in listed] == [first["id"], second["id"]]
    for run in listed:
        assert set(run) >= RUN_KEYS
    assert listed[1]["curve"] == second["curve"]
    code, out, _ = cli("runs", "--store", str(cli.store))
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split()[:4] == ["id", "status", "train", "test"]
    assert len(rows) == 3 and "moons" in rows[2] and "iris" in rows[1]


def test_show_draws_the_curve_chart(cli: Cli) -> None:
    run_id = cli.run_json("--dataset", "iris", "--epochs", "20")["id"]
    code, out, _ = cli("show", str(run_id), "--store", str(cli.store))
    assert code == 0
    text = ANSI.sub("", out)
    assert f"Run {run_id}: done" in text
    assert re.search(r"^Train accuracy: \d\.\d{3}$", text, re.M)
    assert f"run {run_id}: accuracy per epoch" in text
    chart = text[text.index("accuracy per epoch") :]
    assert "train" in chart and "test" in chart and "epoch" in chart
    assert len(chart.splitlines()) >= 12
    # Plotted points: train "o" and test "x" inside the frame (markers, not colours).
    accuracy = chart[: chart.index("training loss")]
    frame = [line for line in accuracy.splitlines() if "│" in line or "┤" in line]
    assert sum(line.count("o") for line in frame) > 5, "no train points"
    assert sum(line.count("x") for line in frame) > 5, "no test points"


def test_show_json_and_unknown_run(cli: Cli) -> None:
    run_id = cli.run_json("--dataset", "iris", "--epochs", "3")["id"]
    code, out, _ = cli("show", str(run_id), "--store", str(cli.store), "--json")
    assert code == 0 and json.loads(out)["id"] == run_id
    assert_one_line_error(*cli("show", "99", "--store", str(cli.store))[::2], "no run 99")
    assert_one_line_error(*cli("show", "x1", "--store", str(cli.store))[::2], "RUN_ID")


def test_export_csv_and_json_hold_the_runs_table(cli: Cli, tmp_path: Path) -> None:
    ids = [cli.run_json("--dataset", name, "--epochs", "4")["id"] for name in ("iris", "wine")]
    code, out, _ = cli("export", "--csv", "--store", str(cli.store))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == RUN_COLUMNS
    assert [int(r["id"]) for r in rows] == ids
    assert [r["dataset"] for r in rows] == ["iris", "wine"]
    assert rows[0]["layers"] == "6,6" and rows[0]["epochs"] == "4"
    target = tmp_path / "runs.json"
    code, _, err = cli("export", "--json", "--store", str(cli.store), "-o", str(target))
    assert code == 0 and "wrote" in err
    exported = json.loads(target.read_text())
    assert [r["id"] for r in exported] == ids
    assert exported[0]["params"]["epochs"] == 4


def test_datasets_lists_builtins_with_shapes(cli: Cli) -> None:
    code, out, _ = cli("datasets")
    assert code == 0
    assert re.search(r"^digits\s+1797\s+64\s+10\s", out, re.M)
    assert re.search(r"^iris\s+150\s+4\s+3\s", out, re.M)
    code, out, _ = cli("datasets", "--json")
    infos = {info["name"]: info for info in json.loads(out)}
    assert set(infos) == {
        "iris",
        "wine",
        "breast_cancer",
        "digits",
        "moons",
        "circles",
        "xor",
        "spiral",
        "blobs",
    }
    assert (infos["breast_cancer"]["n_rows"], infos["breast_cancer"]["n_classes"]) == (569, 2)


def test_no_subcommand_prints_help(cli: Cli) -> None:
    code, out, _ = cli()
    assert code == 0 and "usage: perceptune" in out


def test_runs_without_a_store_is_an_input_error(cli: Cli) -> None:
    code, _, err = cli("runs", "--store", str(cli.store))
    assert_one_line_error(code, err, "no store at")
    assert not cli.store.exists()


# --- bad input: exit 2, one line, nothing stored ----------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--layers", "6,,6"], ["layers", "empty layer"]),
        (["--layers", "0"], ["layers", "at least 1 neuron"]),
        (["--layers", "20000,20000"], ["layers", "too large for memory"]),
        (["--lr", "abc"], ["lr", "'abc'"]),
        (["--lr", "0"], ["lr", "greater than 0"]),
        (["--epochs", "0"], ["epochs", "from 1"]),
        (["--activation", "foo"], ["activation", "'foo'", "relu"]),
        (["--solver", "newton"], ["solver", "adam"]),
        (["--dataset", "nope"], ["unknown dataset 'nope'", "iris"]),
        (["--dataset", "data.csv"], ["--train"]),
        (["--test-size", "1.5"], ["test_size"]),
        (["--seed", "-2"], ["seed"]),
        (["--bogus"], ["unrecognized arguments: --bogus"]),
        (["--dataset", "iris", "--train", "x.csv"], ["not allowed with"]),
        (["--target", "y"], ["target"]),
        (["--dataset", "moons", "--samples", "5"], ["n_samples"]),
        (["--noise", "-1"], ["noise"]),
    ],
)
def test_bad_flags_exit_2_with_one_line_and_store_nothing(
    cli: Cli, args: list[str], needles: list[str]
) -> None:
    code, out, err = cli.run(*args)
    assert_one_line_error(code, err, *needles)
    assert out == ""
    assert not cli.store.exists()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD_ROWS = "".join(f"{i},{i % 7},{'ab'[i % 2]}\n" for i in range(20))


@pytest.mark.parametrize(
    ("name", "text", "extra", "needles"),
    [
        ("missing", None, [], ["no such file"]),
        ("directory", "DIR", [], ["is a directory"]),
        ("empty", "", [], ["file is empty"]),
        ("header_only", "a,b,label\n", [], ["no data rows"]),
        ("ragged", "a,b,label\n1,2,x\n3,y\n" + GOOD_ROWS, [], ["row 3", "2 fields"]),
        ("json", '{"a": [1, 2], "label": ["x", "y"]}\n', [], ["looks like JSON"]),
        ("number_header", "150,4,label\n" + GOOD_ROWS, [], ["row 1", "looks like data"]),
        ("no_labels", "a,b,label\n1,2,\n3,4,\n", [], ["'label'", "target is missing"]),
        ("dev_zero", "/dev/zero", [], ["not a regular file"]),
        ("nan", "a,b,label\n1,2,x\ninf,4,y\n" + GOOD_ROWS, [], ["row 3", "'a'", "finite"]),
        ("no_target", "a,b,label\n" + GOOD_ROWS, ["--target", "kind"], ["'kind'", "no column"]),
        ("dup_target", "a,label,label\n" + GOOD_ROWS, [], ["'label'", "twice"]),
        ("one_class", "a,b,label\n" + "1,2,x\n" * 20, [], ["one class"]),
        ("too_few", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n", [], ["too few rows"]),
    ],
)
def test_bad_csv_exits_2_naming_the_file_and_stores_nothing(
    cli: Cli,
    tmp_path: Path,
    name: str,
    text: str | None,
    extra: list[str],
    needles: list[str],
) -> None:
    path = tmp_path / f"{name}.csv"
    if text == "DIR":
        path.mkdir()
    elif text == "/dev/zero":
        path = Path(text)
    elif text is not None:
        write(path, text)
    with RunStore(cli.store):
        pass  # an existing, empty store: it must stay empty
    code, out, err = cli.run("--train", str(path), *extra, "--epochs", "3")
    assert_one_line_error(code, err, str(path), *needles)
    assert out == ""
    assert stored_runs(cli.store) == 0


def test_bad_separate_test_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    train = write(tmp_path / "train.csv", "a,b,label\n" + GOOD_ROWS)
    test = write(tmp_path / "test.csv", "a,c,label\n1,2,a\n")
    code, _, err = cli.run("--train", train, "--test", test)
    assert_one_line_error(code, err, test, "no column 'b' here")
    assert not cli.store.exists()


def test_csv_is_never_executed(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    path = write(tmp_path / "evil.csv", f'a,b,label\n1,"{payload}",a\n' + GOOD_ROWS)
    data = cli.run_json("--train", path, "--epochs", "3")
    # The payload is one more category of 'b' (one-hot encoded); nothing in it ever runs.
    assert data["data"]["columns"][1] == {
        "name": "b",
        "kind": "categorical",
        "action": "one-hot: 8 columns",
    }
    assert not marker.exists()


# --- real subprocesses --------------------------------------------------------------------


@pytest.mark.slow
def test_subprocess_run_json_through_the_process_pool(tmp_path: Path, run_cli) -> None:
    store = tmp_path / "runs.db"
    result = run_cli("run", "--dataset", "iris", "--epochs", "12", "--json", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= RUN_KEYS
    assert data["n_epochs"] == 12 and data["status"] == "done"
    listed = run_cli("runs", "--json", "--store", str(store))
    assert [r["id"] for r in json.loads(listed.stdout)] == [data["id"]]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--lr", "abc"], ["lr"]),
        (["--train", "no/such.csv"], ["no/such.csv", "no such file"]),
    ],
)
def test_subprocess_bad_input_exits_2_with_one_line(
    tmp_path: Path, run_cli, args: list[str], needles: list[str]
) -> None:
    store = tmp_path / "runs.db"
    result = run_cli("run", *args, "--store", str(store), cwd=tmp_path)
    assert_one_line_error(result.returncode, result.stderr, *needles)
    assert result.stdout == ""
    assert not store.exists()


def test_subprocess_help_exits_0(run_cli) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "run" in result.stdout and "datasets" in result.stdout
    assert result.stderr == ""
