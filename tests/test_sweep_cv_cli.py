"""A cross-validated sweep through the real CLI: one ``Best:`` line in ``sweep`` and
``leaderboard`` that trains the same point when pasted (``--cv K`` and the data flags
included), the cv columns of ``leaderboard --csv/--json`` (and so of the app's sweep
CSV, the same function), the sweep's name and its cv score in ``sweeps``, and the
leaderboard exports written as files the way ``export`` writes them."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pandas as pd
import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.search.results import best_run, leaderboard, leaderboard_csv
from core.store import RunStore

CV_SWEEP = """
[dataset]
name = "moons"
n_samples = 200

[search]
name = "cv grid"
cv = 3

[fixed]
epochs = 5
seed = 1

[space]
lr = [0.01, 0.1]
"""

INLINE = ("--executor", "inline", "--quiet")


@pytest.fixture(scope="module")
def cv_sweep(run_cli, tmp_path_factory) -> tuple[Path, str]:
    """A finished 2-point, 3-fold sweep (refit off, the default); its dir and ``sweep``
    output."""
    where = tmp_path_factory.mktemp("cv")
    (where / "grid.toml").write_text(CV_SWEEP)
    result = run_cli("sweep", "grid.toml", *INLINE, "--workers", "1", "--store", "s.db", cwd=where)
    assert result.returncode == 0, result.stderr
    return where, result.stdout


def best_line(text: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith("Best: ")]
    return line


def test_the_best_line_is_one_line_everywhere_and_pasted_trains_the_same_point(
    run_cli, cv_sweep
) -> None:
    where, out = cv_sweep
    assert out.startswith('Sweep 1 "cv grid": grid, 2 points (2 done) in ')
    board = run_cli("leaderboard", "1", "--store", "s.db", cwd=where)
    assert board.returncode == 0, board.stderr
    assert board.stdout.startswith('Sweep 1 "cv grid": done, 2 points')
    line = best_line(out)
    assert best_line(board.stdout) == line
    with RunStore(where / "s.db") as store:
        best = best_run(store, 1)
        assert best is not None
    # The cv score it ranks by, not the (absent) refit's test accuracy.
    assert line.startswith(f"Best: run {best.id}, cv {best.cv_accuracy:.3f} ± {best.cv_std:.3f}: ")
    flags = line.split(": ", 2)[2]
    assert "--dataset moons --samples 200" in flags and "--cv 3 --no-refit" in flags
    again = run_cli("run", *shlex.split(flags), *INLINE, "--json", "--store", "s.db", cwd=where)
    assert again.returncode == 0, again.stderr
    rerun = json.loads(again.stdout)
    assert rerun["params"] == best.params
    assert rerun["dataset"] == best.dataset and rerun["dataset"]["cv"] == 3
    assert rerun["fold_accuracies"] == best.fold_accuracies  # the same point, trained again


def test_leaderboard_json_and_csv_carry_the_cv_scores(run_cli, cv_sweep) -> None:
    where, _ = cv_sweep
    listed = run_cli("leaderboard", "1", "--json", "--store", "s.db", cwd=where)
    rows = json.loads(listed.stdout)
    assert [row["rank"] for row in rows] == [1, 2]
    for row in rows:
        assert len(row["fold_accuracies"]) == 3
        assert row["cv_accuracy"] == pytest.approx(sum(row["fold_accuracies"]) / 3)
        assert row["cv_std"] is not None and row["test_accuracy"] is None  # no refit
    assert rows[0]["cv_accuracy"] >= rows[1]["cv_accuracy"]
    printed = run_cli("leaderboard", "1", "--csv", "-o", "-", "--store", "s.db", cwd=where)
    assert printed.returncode == 0, printed.stderr
    table = pd.read_csv(io.StringIO(printed.stdout))
    folds = ["fold_1_accuracy", "fold_2_accuracy", "fold_3_accuracy"]
    assert list(table.columns[:8]) == ["rank", "run_id", "status", "cv_accuracy", "cv_std", *folds]
    assert table[folds].to_numpy().tolist() == [row["fold_accuracies"] for row in rows]
    assert table["cv_accuracy"].tolist() == [row["cv_accuracy"] for row in rows]
    # The app's sweep CSV (History/sweep export) is this same function on the same rows.
    with RunStore(where / "s.db") as store:
        assert leaderboard_csv(leaderboard(store, 1)) == printed.stdout


def test_sweeps_shows_the_cv_score_of_a_sweep_without_refit(run_cli, cv_sweep) -> None:
    where, _ = cv_sweep
    (item,) = json.loads(run_cli("sweeps", "--json", "--store", "s.db", cwd=where).stdout)
    assert item["best_test_accuracy"] is None and item["best_cv_accuracy"] is not None
    text = run_cli("sweeps", "--store", "s.db", cwd=where).stdout.splitlines()
    assert text[0].split() == ["id", "status", "strategy", "points", "best", "name"]
    assert f"cv {item['best_cv_accuracy']:.3f}  cv grid" in text[1]


def test_leaderboard_exports_are_files_named_like_every_export(run_cli, cv_sweep) -> None:
    where, _ = cv_sweep
    store = ("--store", "s.db")
    printed = run_cli("leaderboard", "1", "--csv", "-o", "-", *store, cwd=where).stdout
    wrote = run_cli("leaderboard", "1", "--csv", *store, cwd=where)
    assert wrote.returncode == 0 and wrote.stdout == ""
    table = where / "perceptune_sweep_1.csv"
    assert wrote.stderr == f"wrote {table}\n" and table.read_text() == printed
    table.write_text("mine")
    refused = run_cli("leaderboard", "1", "--csv", *store, cwd=where)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "--force" in refused.stderr and table.read_text() == "mine"
    assert run_cli("leaderboard", "1", "--csv", "--force", *store, cwd=where).returncode == 0
    assert table.read_text() == printed
    script = run_cli("leaderboard", "1", "--python", *store, cwd=where)
    assert script.returncode == 0, script.stderr
    assert "python perceptune_sweep_1_best.py" in (where / "perceptune_sweep_1_best.py").read_text()
    named = run_cli("leaderboard", "1", "--python", "-o", "best.py", *store, cwd=where)
    assert named.stderr == f"wrote {where / 'best.py'}\n"
    assert "python best.py" in (where / "best.py").read_text()
    onto_store = run_cli("leaderboard", "1", "--csv", "-o", "s.db", "--force", *store, cwd=where)
    assert onto_store.returncode == 2 and "run store" in onto_store.stderr
    misplaced = run_cli("leaderboard", "1", "-o", "x.txt", *store, cwd=where)
    assert misplaced.returncode == 2 and "only with --csv, --json or --python" in misplaced.stderr
    assert not (where / "x.txt").exists()


def test_a_finished_point_ranks_before_a_pruned_one_with_a_higher_score(
    run_cli, tmp_path: Path
) -> None:
    # A pruned point's score is that of a cut curve: it may be above every finished
    # point's, yet #1 must be the run the Best line names (README: finished first).
    path = tmp_path / "s.db"
    data = DatasetSpec(name="moons", n_samples=200).to_dict()
    with RunStore(path) as store:
        sweep_id = store.create_sweep({"space": {"lr": [0.01, 0.1, 0.3]}}, name="pr")
        scores = {
            0.01: ("done", 0.85, 0.80),
            0.1: ("pruned", 0.90, 0.90),
            0.3: ("done", 0.82, 0.80),
        }
        for lr, (status, train, test) in scores.items():
            run = store.create_run(
                RunConfig(lr=lr).to_dict(), data, sweep_id=sweep_id, status="running"
            )
            store.finish_run(run, status, train_accuracy=train, test_accuracy=test, n_epochs=5)
        store.set_sweep_status(sweep_id, "done")
        rows = leaderboard(store, sweep_id)
        # Run 3 before run 1: the same test accuracy, a smaller gap (as best_run).
        assert [(row.run_id, row.status) for row in rows] == [
            (3, "done"),
            (1, "done"),
            (2, "pruned"),
        ]
        assert best_run(store, sweep_id).id == 3
    board = run_cli("leaderboard", "1", "--store", str(path))
    assert board.returncode == 0, board.stderr
    first_row = board.stdout.splitlines()[2].split()
    assert first_row[:3] == ["1", "3", "done"]
    assert best_line(board.stdout).startswith("Best: run 3, test 0.800, train 0.820: --lr 0.3 ")
