"""The search commands: sweep, resume, leaderboard, sweeps; bad sweep files exit 2."""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from pathlib import Path

import pytest

from core.cli import main

INLINE = ("--executor", "inline", "--workers", "1", "--quiet")

SMALL = """
[dataset]
name = "moons"
n_samples = 120

[fixed]
seed = 3

[space]
lr = [0.01, 0.1]
epochs = [3, 8]
activation = ["relu", "tanh"]
"""

BAD = {
    "unknown key": (
        "[search]\nworkers = 1\nsplines = 3\n[space]\nlr = [0.1]\n",
        "[search].splines",
    ),
    "wrong type": ("[search]\ntrials = 2.5\n[space]\nlr = [0.1]\n", "[search].trials"),
    "wrong value type": ("[space]\nepochs = ['many']\n", "[space].epochs[0]"),
    "empty space": ("[dataset]\nname = 'iris'\n[space]\n", "[space]: empty"),
    "unknown strategy": (
        "[search]\nstrategy = 'anneal'\n[space]\nlr = [0.1]\n",
        "[search].strategy",
    ),
    "min > max": (
        "[search]\nstrategy = 'random'\n[space]\nlr = { log_uniform = [0.1, 0.001] }\n",
        "[space].lr: range min 0.1 > max 0.001",
    ),
}


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_file_exits_2_naming_the_key(tmp_path: Path, capsys, case: str) -> None:
    text, key = BAD[case]
    path = write(tmp_path, text)
    store = tmp_path / "s.db"
    code = main(["sweep", str(path), "--store", str(store), *INLINE])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"perceptune: {path}: {key}"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not store.exists()  # nothing stored


def test_missing_sweep_file_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["sweep", str(tmp_path / "none.toml"), *INLINE]) == 2
    assert "none.toml: no such sweep file" in capsys.readouterr().err


def test_bad_sweep_file_in_a_real_process(tmp_path: Path, run_cli) -> None:
    path = write(tmp_path, "[space]\nlr = { uniform = [0.5, 0.05] }\n")
    result = run_cli("sweep", str(path), "--store", str(tmp_path / "s.db"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"perceptune: {path}: [space].lr: a grid takes a list of values; ranges like "
        '{ uniform = [0.5, 0.05] } need strategy = "random" or "tpe"'
    ]
    assert result.stdout == ""


def test_bad_csv_is_caught_before_anything_is_stored(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, '[dataset]\ntrain = "missing.csv"\n[space]\nlr = [0.1]\n')
    store = tmp_path / "s.db"
    assert main(["sweep", str(path), "--store", str(store), *INLINE]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert not store.exists()


def test_sweep_json_has_one_object_per_point(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, SMALL)
    code = main(["sweep", str(path), "--store", str(tmp_path / "s.db"), "--json", *INLINE])
    assert code == 0
    points = json.loads(capsys.readouterr().out)
    assert len(points) == 8
    seen = set()
    for point in points:
        params = point["params"]
        assert params["seed"] == 3  # fixed
        seen.add((params["lr"], params["epochs"], params["activation"]))
        assert point["status"] == "done"
        assert 0 <= point["test_accuracy"] <= 1 and 0 <= point["train_accuracy"] <= 1
        assert point["verdict"]["verdict"]
        assert isinstance(point["run_id"], int)
    assert len(seen) == 8


def test_sweep_human_output_and_leaderboard(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, SMALL)
    store = str(tmp_path / "s.db")
    assert main(["sweep", str(path), "--store", store, *INLINE]) == 0
    out = capsys.readouterr().out
    assert out.startswith('Sweep 1 "sweep": grid, 8 points (8 done) in ')
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\s+done", line)]
    assert len(rows) == 8
    assert all(re.search(r"\d\.\d{3}\s+\d\.\d{3}", row) for row in rows)
    assert re.search(r"^Best: run \d+, test \d\.\d{3}, train \d\.\d{3}: --lr ", out, re.M)

    assert main(["leaderboard", "1", "--store", store, "--limit", "3"]) == 0
    board = capsys.readouterr().out
    assert board.startswith('Sweep 1 "sweep": done, 8 points')
    assert len([line for line in board.splitlines() if " done " in line]) == 3

    assert main(["leaderboard", "1", "--store", store, "--csv", "-o", "-"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == 8
    tests = [float(row["test_accuracy"]) for row in table]
    assert tests == sorted(tests, reverse=True)
    assert {row["seed"] for row in table} == {"3"}
    # Not cross-validated: the columns as before, no cv ones.
    assert list(table[0])[:8] == [
        *("rank", "run_id", "status", "test_accuracy", "train_accuracy", "gap", "verdict"),
        "n_epochs",
    ]
    assert main(["leaderboard", "1", "--store", store, "--json"]) == 0
    assert all("cv_accuracy" not in row for row in json.loads(capsys.readouterr().out))

    assert main(["leaderboard", "1", "--store", store, "--python", "-o", "-"]) == 0
    script = capsys.readouterr().out
    assert "MLPClassifier(" in script and "random_state=3" in script

    assert main(["sweeps", "--store", store, "--json"]) == 0
    (sweep,) = json.loads(capsys.readouterr().out)
    assert (sweep["status"], sweep["points"], sweep["finished"]) == ("done", 8, 8)

    assert main(["leaderboard", "7", "--store", store]) == 2
    assert "no sweep 7" in capsys.readouterr().err


def test_resume_with_nothing_to_do(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, SMALL)
    store = str(tmp_path / "s.db")
    assert main(["sweep", str(path), "--store", store, *INLINE]) == 0
    capsys.readouterr()
    assert main(["resume", "--store", store, *INLINE]) == 0
    assert capsys.readouterr().out == f"Nothing to resume in {store}.\n"
    assert main(["resume", "--store", str(tmp_path / "none.db")]) == 2
