"""What a sweep found: leaderboard order, best run, chart series, top curves, CSV."""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import pytest

from core.errors import NotFoundError
from core.executors import InlineExecutor
from core.search.engine import run_sweep
from core.search.results import (
    all_param_series,
    best_run,
    best_script,
    leaderboard,
    leaderboard_csv,
    top_curves,
)
from core.search.sweepfile import parse_sweep
from core.store import RunStore

SWEEP = """
[dataset]
name = "circles"
n_samples = 150

[search]
strategy = "random"
trials = 8
seed = 2

[fixed]
epochs = 6

[space]
lr = { log_uniform = [0.001, 0.3] }
alpha = [0.0001, 0.01]
layers = [[4], [8, 8]]
"""


@pytest.fixture
def swept(tmp_path: Path):
    with RunStore(tmp_path / "s.db") as store:
        executor = InlineExecutor(1)
        try:
            sweep_id = run_sweep(store, parse_sweep(textwrap.dedent(SWEEP)), executor)
        finally:
            executor.shutdown()
        yield store, sweep_id


def test_leaderboard_is_sorted_by_test_accuracy(swept) -> None:
    store, sweep_id = swept
    rows = leaderboard(store, sweep_id)
    assert len(rows) == 8
    assert [row.rank for row in rows] == list(range(1, 9))
    tests = [row.test_accuracy for row in rows]
    assert tests == sorted(tests, reverse=True)
    for row in rows:
        assert list(row.point) == ["lr", "alpha", "layers"]
        assert row.gap == pytest.approx(row.train_accuracy - row.test_accuracy)
        assert row.verdict in ("good fit", "overfitting", "underfitting")
    best = best_run(store, sweep_id)
    assert best is not None and best.id == rows[0].run_id
    assert leaderboard(store, sweep_id, limit=3) == rows[:3]


def test_chart_series_and_top_curves(swept) -> None:
    store, sweep_id = swept
    series = {s.name: s for s in all_param_series(store, sweep_id)}
    assert (series["lr"].log_axis, series["lr"].categorical) == (True, False)
    assert series["alpha"].log_axis  # alpha spans decades too
    assert series["layers"].categorical and set(series["layers"].x) <= {"4", "8,8"}
    assert len(series["lr"].x) == len(series["lr"].y) == 8
    curves = top_curves(store, sweep_id)
    assert len(curves) == 5
    assert [row.rank for row, _ in curves] == [1, 2, 3, 4, 5]
    for row, curve in curves:
        assert curve[-1].test_accuracy == row.test_accuracy


def test_exports(swept) -> None:
    store, sweep_id = swept
    table = list(csv.DictReader(io.StringIO(leaderboard_csv(leaderboard(store, sweep_id)))))
    assert len(table) == 8 and table[0]["rank"] == "1"
    assert {row["epochs"] for row in table} == {"6"}
    assert all(row["layers"] in ("4", "8,8") for row in table)
    script = best_script(store, sweep_id)
    assert "MLPClassifier(" in script and "max_iter=6" in script
    with pytest.raises(NotFoundError):
        leaderboard(store, 99)
