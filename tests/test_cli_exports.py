"""``show`` and ``export`` as a newcomer reads them (issue 13, item 21): whole-number
epoch ticks, train and test told apart without colour, the loss; every export named by
one scheme, written to a file unless ``-o -`` asks for stdout, and saying where."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.cli.chart import epoch_ticks
from core.export import export_name

RUN = ("run", "--dataset", "moons", "--samples", "200", "--epochs", "12", "--json")


@pytest.fixture(scope="module")
def store(run_cli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    path = folder / "runs.db"
    result = run_cli(*RUN, "--store", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_epoch_ticks_are_whole_numbers_ending_at_the_last_epoch() -> None:
    assert epoch_ticks(5) == [1, 2, 3, 4, 5]
    assert epoch_ticks(100) == [1, 20, 40, 60, 80, 100]
    assert epoch_ticks(175) == [1, 50, 100, 150, 175]
    assert epoch_ticks(1) == [1]
    for last in range(2, 400, 7):
        ticks = epoch_ticks(last)
        assert ticks[0] == 1 and ticks[-1] == last and len(ticks) <= 8
        assert ticks == sorted(set(ticks))


def test_show_draws_train_test_and_loss_without_colour(run_cli, store: Path) -> None:
    result = run_cli("show", "1", "--store", str(store))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # piped: no colour, so the markers must tell the curves apart
    assert "o train accuracy   x test accuracy" in out and "* training loss" in out
    # The legend is under the charts, not drawn over the first epochs' points.
    frames = [line for line in out.splitlines() if "┤" in line or "│" in line]
    assert not any("train" in line or "test" in line or "loss" in line for line in frames)
    assert "training loss per epoch" in out
    # The epoch axis: the tick row under each chart holds whole numbers only, 1 to 12.
    tick_rows = [
        line for line in out.splitlines() if re.fullmatch(r"[\s\d]+", line) and "12" in line
    ]
    assert len(tick_rows) == 2
    for row in tick_rows:
        numbers = [int(n) for n in row.split()]
        assert numbers[0] == 1 and numbers[-1] == 12


def test_export_python_writes_the_named_file_and_says_where(
    run_cli, store: Path, tmp_path: Path
) -> None:
    result = run_cli("export", "1", "--python", "--store", str(store), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    script = tmp_path / "perceptune_run_1.py"
    assert export_name("run", 1) == script.name
    assert script.exists() and result.stdout == ""
    assert result.stderr.strip() == f"wrote {script}"
    assert "Run: python perceptune_run_1.py" in script.read_text()
    # Again: refused with what to do, the file left as it was.
    before = script.read_text()
    again = run_cli("export", "1", "--python", "--store", str(store), cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "perceptune_run_1.py exists" in again.stderr
    assert "--force" in again.stderr and "-o -" in again.stderr
    assert script.read_text() == before
    forced = run_cli("export", "1", "--python", "--force", "--store", str(store), cwd=tmp_path)
    assert forced.returncode == 0


def test_export_to_stdout_with_dash(run_cli, store: Path, tmp_path: Path) -> None:
    result = run_cli("export", "1", "--python", "-o", "-", "--store", str(store), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith('"""Reproduces perceptune run 1')
    assert "python perceptune_run_1.py" in result.stdout
    assert list(tmp_path.iterdir()) == []
    table = run_cli("export", "--csv", "-o", "-", "--store", str(store), cwd=tmp_path)
    assert table.returncode == 0 and table.stdout.startswith("id,")


def test_one_naming_scheme() -> None:
    names = [export_name("run", 3), export_name("sweep_csv", 2), export_name("sweep_best", 2)]
    assert names == ["perceptune_run_3.py", "perceptune_sweep_2.csv", "perceptune_sweep_2_best.py"]
    assert export_name("runs_csv") == "perceptune_runs.csv"
