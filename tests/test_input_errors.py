"""Every bad input is one line on stderr, exit 2, nothing stored (issue 9, items 13-14
and the cosmetic ones): in process for the many cases, as real subprocesses for the
ones that depend on the process (a full or closed stdout, a pipe, the debug variable)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.config import RunConfig
from core.datasets import BUILTIN_NAMES, DatasetSpec, load_dataset
from core.errors import InputError
from core.search.sweepfile import load_sweep, parse_sweep
from core.splits import BUNDLED_CLASS_COUNTS, builtin_class_counts
from core.store import RunStore
from core.synthetic import generate

BIG = "1" * 5000  # past Python's 4,300-digit int conversion limit
FAST = ("--executor", "inline", "--quiet")


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code: int, err: str, *needles: str, exit_code: int = 2) -> None:
    assert code == exit_code, err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and err.startswith("perceptune")
    assert len(err) < 600, err  # long values are cut
    for needle in needles:
        assert needle in err, (needle, err)


def stored(store: Path) -> int:
    if not store.exists():
        return 0
    with RunStore(store) as runs:
        return runs.count_runs()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--epochs", BIG], ["epochs", "5,000 digits"]),
        (["--layers", BIG], ["layers", "5,000 digits"]),
        (["--layers", f"6,{BIG}"], ["layers", "5,000 digits"]),
        (["--seed", BIG], ["seed", "5,000 digits"]),
        (["--split-seed", BIG], ["split_seed", "5,000 digits"]),
        (["--samples", BIG], ["n_samples", "5,000 digits"]),
        (["--batch-size", "-" + BIG], ["batch_size", "5,000 digits"]),
        (["--lr", BIG], ["lr", "…"]),
        (["--epochs", "\x1f5"], ["epochs", r"'\x1f5'"]),
        (["--layers", "\x1c6,6"], ["layers", r"\x1c"]),
        (["--n-iter-no-change", "5\x1e"], ["n_iter_no_change", r"\x1e"]),
        (["--activation", "x" * 100_000], ["activation", "'" + "x" * 40 + "…'", "relu"]),
        (["--lr", "a\nb"], ["lr", r"'a\nb'"]),
        (["--dataset", "iris", "--test-size", "0.999"], ["test_size", "0.02 to 0.98"]),
        (["--dataset", "iris", "--test-size", "0.001"], ["test_size", "0.02 to 0.98"]),
        (
            ["--early-stopping", "--validation-fraction", "0.999"],
            ["validation_fraction", "0.01 to 0.99"],
        ),
        (["--dataset", "blobs", "--samples", "10"], ["test_size", "0.4 to 0.6", "--samples"]),
        (
            ["--dataset", "wine", "--early-stopping", "--validation-fraction", "0.01"],
            ["0.04 to 0.96"],
        ),
    ],
)
def test_bad_run_flags_are_one_line_exit_2_and_store_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    store = tmp_path / "runs.db"
    code, out, err = call(capsys, "run", *args, *FAST, "--store", str(store))
    assert_one_line(code, err, *needles)
    assert out == "" and not store.exists()


def test_negative_zero_noise_trains_as_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    store = tmp_path / "runs.db"
    code, _, err = call(
        capsys,
        "run",
        "--noise=-0",
        "--samples",
        "60",
        "--epochs",
        "2",
        *FAST,
        "--store",
        str(store),
    )
    assert code == 0, err
    with RunStore(store) as runs:
        (record,) = runs.list_runs()
    assert record.status == "done" and record.dataset["noise"] == 0.0


def test_csv_features_too_large_to_scale_fail_before_storing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "huge.csv"
    rows = "".join(f"{(-1) ** i * 1e308},{i},{i % 2}\n" for i in range(40))
    path.write_text("a,b,label\n" + rows, encoding="utf-8")
    store = tmp_path / "runs.db"
    code, _, err = call(capsys, "run", "--train", str(path), *FAST, "--store", str(store))
    assert_one_line(code, err, "'a'", "too large to standardise", "--no-scale")
    assert not store.exists()


def test_default_splits_of_every_builtin_pass() -> None:
    from core.splits import check_builtin_split

    for name in BUILTIN_NAMES:
        check_builtin_split(DatasetSpec(name=name), RunConfig(early_stopping=True))


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_known_class_counts_match_the_real_data(name: str) -> None:
    spec = DatasetSpec(name=name, n_samples=23)
    if name in BUNDLED_CLASS_COUNTS:
        y = load_dataset(spec)
        labels = np.concatenate([y.y_train, y.y_test])
    else:
        labels = generate(name, spec.n_samples, spec.noise, spec.split_seed)[1]
    counts = np.unique(labels, return_counts=True)[1]
    assert sorted(counts.tolist()) == sorted(builtin_class_counts(spec))


# --- ids, --limit, output --------------------------------------------------------------


@pytest.fixture
def one_run_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("store") / "runs.db"
    with RunStore(store) as runs:
        dataset = DatasetSpec(train="/data/a\nb.csv", name=None, target="y\x1b[31m").to_dict()
        run_id = runs.create_run(RunConfig().to_dict(), dataset, status="running")
        runs.finish_run(run_id, "failed", stop_reason="stop\nhere", error="line1\nline2")
        sweep = runs.create_sweep({"search": {"strategy": "grid"}}, name="evil\nname\t[/b]")
        runs.create_run(RunConfig().to_dict(), dataset, sweep_id=sweep, point_key="p")
    return store


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["show", "99999999999999999999999"], ["RUN_ID", "9223372036854775807"]),
        (["show", BIG], ["RUN_ID", "…"]),
        (["show", "\x1f1"], ["RUN_ID", r"\x1f"]),
        (["export", "99999999999999999999999", "--python"], ["RUN_ID"]),
        (["leaderboard", "99999999999999999999999"], ["SWEEP_ID", "9223372036854775807"]),
        (["runs", "--limit", "0"], ["--limit", "at least 1"]),
        (["runs", "--limit", "-3"], ["--limit", "at least 1"]),
        (["runs", "--limit", "ten"], ["--limit", "whole number", "'ten'"]),
        (["runs", "--limit", BIG], ["--limit", "…"]),
        (
            ["run", "--executor", "x" * 100_000],
            ["--executor", "'" + "x" * 40 + "…'", "choose from 'process'"],
        ),
    ],
)
def test_bad_ids_and_counts_are_one_line(
    capsys: pytest.CaptureFixture[str], one_run_store: Path, args: list[str], needles: list[str]
) -> None:
    code, out, err = call(capsys, *args, "--store", str(one_run_store))
    assert_one_line(code, err, *needles)
    assert out == ""


def test_names_with_control_characters_are_escaped_in_tables(
    capsys: pytest.CaptureFixture[str], one_run_store: Path
) -> None:
    for args, needle in [
        (["runs"], r"a\nb.csv[target=y\x1b[31m]"),
        (["sweeps"], r"evil\nname\t[/b]"),
        (["leaderboard", "1"], r'Sweep 1 "evil\nname\t[/b]"'),
        (["show", "1"], r"Error: line1\nline2"),
    ]:
        code, out, err = call(capsys, *args, "--store", str(one_run_store))
        assert code == 0, err
        assert needle in out, out
        assert "\x1b" not in out and "\t" not in out
    code, out, _ = call(capsys, "show", "1", "--store", str(one_run_store))
    assert r"Stopped: stop\nhere" in out


def test_runs_limit_shows_the_newest(capsys: pytest.CaptureFixture[str], one_run_store: Path):
    code, out, _ = call(capsys, "runs", "--limit", "1", "--store", str(one_run_store))
    assert code == 0 and len(out.splitlines()) == 2  # header and run 2


def test_unexpected_error_is_one_line_unless_debugging(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, one_run_store: Path
) -> None:
    import core.cli.commands as commands

    def broken(_args: object) -> int:
        raise KeyError("bug")

    monkeypatch.setattr(commands, "cmd_datasets", broken)
    code, _, err = call(capsys, "datasets")
    assert_one_line(code, err, "internal error", "KeyError", "PERCEPTUNE_DEBUG", exit_code=1)
    monkeypatch.setenv("PERCEPTUNE_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["datasets"])


# --- sweep files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (f"[space]\nepochs = [{BIG}]\n", ["a number too long to read"]),
        ("[space]\nepochs = [0x" + "f" * 4000 + "]\n", ["[space].epochs[0]", "4,817 digits"]),
        ("[space]\nlr = [1979-05-27]\n", ["[space].lr[0]", "datetime.date(1979, 5, 27)"]),
        ("[space]\nlr = " + "[" * 3000 + "]" * 3000 + "\n", ["nested too deeply"]),
        ("[space]\nlr = [" + "9" * 400 + "]\n", ["[space].lr[0]", "401 digits"]),
        (f"[search]\nworkers = {'9' * 60}\n[space]\nlr = [0.1]\n", ["[search].workers"]),
        (
            '[search]\nstrategy = "random"\n[space]\nlayers = {count = [1, 99999], units = [1, 2]}',
            ["[space].layers.count", "at most 50"],
        ),
        ('[dataset]\nname = "iris"\ntest_size = 0.999\n[space]\nlr = [0.1]', ["0.02 to 0.98"]),
        (
            '[dataset]\nname = "iris"\n[fixed]\nearly_stopping = true\n'
            "[space]\nvalidation_fraction = [0.1, 0.01]",
            ["[space].validation_fraction", "0.04 to 0.96"],
        ),
        (
            '[dataset]\nname = "iris"\n[search]\nstrategy = "tpe"\n[fixed]\n'
            "early_stopping = true\nvalidation_fraction = 0.01\n"
            "[space]\nlr = { log_uniform = [0.001, 0.1] }",
            ["[fixed].validation_fraction", "0.04 to 0.96"],
        ),
        ('[space]\nactivation = ["' + "x" * 100_000 + '"]', ["…"]),
        ('[space]\n"lr\\n\\u001b[2J" = [0.1]', [r"[space].lr\n\x1b[2J", "unknown"]),
    ],
)
def test_bad_sweep_files_are_one_line(text: str, needles: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        parse_sweep(text, source="s.toml")
    message = str(caught.value)
    assert len(message.splitlines()) == 1 and len(message) < 600
    for needle in needles:
        assert needle in message


def test_sweep_file_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[space]\nlr = [0.01, 0.1]\n")
    assert load_sweep(path).space["lr"].values == (0.01, 0.1)
    assert parse_sweep("\ufeff[space]\nlr = [0.1]\n").space["lr"].values == (0.1,)


# --- real subprocesses ---------------------------------------------------------------


def test_subprocess_big_number_and_control_character(tmp_path: Path, run_cli) -> None:
    store = tmp_path / "runs.db"
    for value in (BIG, "\x1f5"):
        result = run_cli("run", "--epochs", value, "--store", str(store))
        assert_one_line(result.returncode, result.stderr, "epochs")
        assert result.stdout == "" and not store.exists()


def test_subprocess_output_to_a_full_disk_closed_stdout_and_pipe(
    tmp_path: Path, one_run_store: Path, cli_env: dict[str, str]
) -> None:
    command = [sys.executable, "-m", "core.cli", "runs", "--json", "--store", str(one_run_store)]
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            command, stdout=full, stderr=subprocess.PIPE, text=True, env=cli_env
        )
    assert_one_line(result.returncode, result.stderr, "No space left", exit_code=1)
    closed = subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
        preexec_fn=lambda: __import__("os").close(1),
    )
    assert_one_line(closed.returncode, closed.stderr, "closed", exit_code=1)
    # A reader that stops early (`| head -1`): quiet, no "Exception ignored".
    pipe = subprocess.Popen(
        [*command[:4], "--store", str(one_run_store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
    )
    pipe.stdout.close()
    _, err = pipe.communicate()
    assert pipe.returncode == 0 and err == b""


def test_input_derived_exception_is_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.cli.commands as commands

    def overflow(_args: object) -> int:
        raise OverflowError("int too large to convert")

    monkeypatch.setattr(commands, "cmd_datasets", overflow)
    code, _, err = call(capsys, "datasets")
    assert_one_line(code, err, "invalid input", "OverflowError", exit_code=2)


def test_a_path_with_a_newline_stays_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "runs.db"
    code, _, err = call(capsys, "run", "--train", "no\nsuch.csv", *FAST, "--store", str(store))
    assert_one_line(code, err, r"no\nsuch.csv")
    assert not store.exists()


def test_subprocess_split_error_id_and_limit(tmp_path: Path, one_run_store: Path, run_cli) -> None:
    store = tmp_path / "runs.db"
    split = run_cli(
        "run", "--dataset", "iris", "--test-size", "0.999", *FAST, "--store", str(store)
    )
    assert_one_line(split.returncode, split.stderr, "test_size", "0.02 to 0.98")
    assert not store.exists()
    for args, needle in [
        (["show", "99999999999999999999999"], "RUN_ID"),
        (["runs", "--limit", "0"], "--limit"),
    ]:
        result = run_cli(*args, "--store", str(one_run_store))
        assert_one_line(result.returncode, result.stderr, needle)
        assert result.stdout == ""


def test_subprocess_sweep_file_with_a_bom_runs(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "bom.toml"
    text = '[dataset]\nname = "moons"\nn_samples = 60\n[fixed]\nepochs = 2\n[space]\nlr = [0.01]\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    store = tmp_path / "runs.db"
    result = run_cli("sweep", str(path), "--executor", "inline", "-q", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert 'Sweep 1 "bom": grid, 1 points' in result.stdout


def test_sweep_files_that_are_not_regular_or_too_large_are_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # nobody writes: opening it must not block
    big = tmp_path / "big.toml"
    big.write_text("#" * 1_100_000, encoding="utf-8")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[space]")
    for path, needle in [
        (Path("/dev/zero"), "not a regular file"),
        (fifo, "not a regular file"),
        (big, "too large"),
        (tmp_path, "is a directory"),
        (binary, "not a text (UTF-8) file"),
        (tmp_path / "a\nb.toml", "no such sweep file"),
    ]:
        with pytest.raises(InputError) as caught:
            load_sweep(path)
        assert needle in str(caught.value) and "\n" not in str(caught.value)
