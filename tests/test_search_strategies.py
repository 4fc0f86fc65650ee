"""Strategies: grid order is ParameterGrid's; the same seed gives the same points."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sklearn.model_selection import ParameterGrid

from core.executors import InlineExecutor
from core.search.engine import run_sweep
from core.search.strategies import grid_points
from core.search.sweepfile import SweepSpec, parse_sweep
from core.store import RunStore

GRID = """
[space]
layers = [[6, 6], [32], [64, 64]]
lr = [0.001, 0.01, 0.1]
epochs = [50, 100]
activation = ["relu", "tanh"]
alpha = [0.0001, 0.01]
"""

RANDOM = """
[search]
strategy = "{strategy}"
trials = {trials}
seed = {seed}

[dataset]
name = "moons"
n_samples = 120

[fixed]
epochs = 4

[space]
lr = {{ log_uniform = [1e-3, 0.3] }}
alpha = {{ uniform = [0, 0.01] }}
batch_size = {{ int = [8, 64], log = true }}
layers = {{ count = [1, 3], units = [2, 16] }}
activation = ["relu", "tanh", "logistic"]
"""


def spec_of(text: str) -> SweepSpec:
    return parse_sweep(textwrap.dedent(text))


def test_grid_order_is_parameter_grids() -> None:
    spec = spec_of(GRID)
    ours = grid_points(spec.space)
    theirs = list(ParameterGrid({name: list(dim.values) for name, dim in spec.space.items()}))
    assert ours == theirs
    assert len(ours) == 72


def test_random_same_seed_same_points() -> None:
    first = spec_of(RANDOM.format(strategy="random", trials=25, seed=7)).points()
    again = spec_of(RANDOM.format(strategy="random", trials=25, seed=7)).points()
    other = spec_of(RANDOM.format(strategy="random", trials=25, seed=8)).points()
    assert first == again
    assert first != other
    assert len({repr(sorted(p.items())) for p in first}) == 25  # no repeats


def configs_of_sweep(store_path: Path, text: str) -> list[dict]:
    spec = spec_of(text)
    with RunStore(store_path) as store:
        executor = InlineExecutor(2)  # TPE asks two at a time, tells in order
        try:
            sweep_id = run_sweep(store, spec, executor)
        finally:
            executor.shutdown()
        return [record.params for record in store.list_runs(sweep_id=sweep_id)]


# Two inline threads: warnings.catch_warnings in training is process-wide, not per thread.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tpe_same_seed_same_points(tmp_path: Path) -> None:
    # 10 random start-up trials, then 3 chosen by TPE from the scores so far.
    text = RANDOM.format(strategy="tpe", trials=13, seed=5)
    first = configs_of_sweep(tmp_path / "a.db", text)
    again = configs_of_sweep(tmp_path / "b.db", text)
    other = configs_of_sweep(tmp_path / "c.db", RANDOM.format(strategy="tpe", trials=13, seed=6))
    assert len(first) == 13
    assert first == again
    assert first != other


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tpe_with_pruning_on_two_workers_same_seed_same_points(tmp_path: Path) -> None:
    # Which run reaches a rung first depends on timing; a batch is pruned against
    # earlier batches only, so TPE still sees the same results and asks the same.
    text = (
        RANDOM.format(strategy="tpe", trials=13, seed=5)
        .replace("seed = 5", 'seed = 5\nprune = "halving"\nprune_min_epochs = 1\nprune_eta = 2')
        .replace("epochs = 4", "epochs = 8")
    )
    first = configs_of_sweep(tmp_path / "a.db", text)
    again = configs_of_sweep(tmp_path / "b.db", text)
    assert len(first) == 13
    assert first == again
