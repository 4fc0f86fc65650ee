"""``export RUN_ID --python``: a standalone script that, run with plain python, prints the
stored train and test accuracy."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def perceptune(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def assert_no_dead_code(source: str) -> None:
    """Every import is used and no branch is decided by a constant (``if True:``,
    ``if X_test is None`` on data that never has a test part)."""
    tree = ast.parse(source)
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert imported <= used, f"unused imports: {sorted(imported - used)}"
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            assert not isinstance(node.test, ast.Constant), ast.unparse(node.test)
    assert "X_test is None" not in source


def exported_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> tuple[dict, str, Path]:
    """Train ``perceptune run ARGS`` inline, export it with ``--python`` and check the
    script is standalone with no dead code: (the run's JSON, the source, its path)."""
    store = str(tmp_path / "runs.db")
    run = json.loads(
        perceptune(capsys, "run", *args, "--executor", "inline", "-q", "--json", "--store", store)
    )
    assert run["status"] == "done"
    script = tmp_path / "reproduce.py"
    perceptune(capsys, "export", str(run["id"]), "--python", "-o", str(script), "--store", store)
    source = script.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+(core|tui|perceptune)\b", source, re.M)
    assert_no_dead_code(source)
    return run, source, script


def run_script(script: Path) -> str:
    """Run an exported script with plain python where nothing of perceptune is
    importable; returns what it printed."""
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=script.parent,  # not the checkout
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--dataset", "wine", "--epochs", "40"], id="builtin"),
        pytest.param(
            [
                *("--dataset", "spiral", "--noise", "0.3", "--samples", "300"),
                *("--split-seed", "4", "--layers", "16,16", "--epochs", "30"),
            ],
            id="synthetic",
        ),
        pytest.param(
            [
                *("--train", str(DATA_DIR / "heart_small.csv"), "--test-size", "0.3"),
                *["--solver", "sgd", "--lr", "0.05", "--early-stopping", "--epochs", "60"],
            ],
            id="csv-text-labels",
        ),
        pytest.param(
            [
                *("--train", str(DATA_DIR / "moons_train.csv")),
                *("--test", str(DATA_DIR / "moons_test.csv")),
                *["--layers", "64", "--epochs", "25", "--no-scale", "--seed", "3"],
            ],
            id="csv-train-test-pair",
        ),
    ],
)
@pytest.mark.slow
def test_exported_script_prints_the_stored_accuracies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    run, _, script = exported_run(capsys, tmp_path, args)
    assert run_script(script) == (
        f"Train accuracy: {run['train_accuracy']:.3f}\nTest accuracy: {run['test_accuracy']:.3f}\n"
    )


def test_export_python_needs_a_run_id_and_a_known_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = str(tmp_path / "runs.db")
    perceptune(
        capsys,
        "run",
        "--dataset",
        "iris",
        "--epochs",
        "3",
        "--executor",
        "inline",
        "--store",
        store,
    )
    assert main(["export", "--python", "--store", store]) == 2
    assert "needs a RUN_ID" in capsys.readouterr().err
    assert main(["export", "7", "--python", "--store", store]) == 2
    assert "no run 7" in capsys.readouterr().err
