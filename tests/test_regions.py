"""Decision regions: the training worker predicts the grid and the store keeps it, so
showing it never trains again; the grid is the trained model's own prediction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.regions import (
    MAX_COLUMNS,
    MAX_ROWS,
    MIN_ROWS,
    PREDICT_BUDGET,
    Regions,
    decision_regions,
    grid_shape,
)
from core.runner import Runner
from core.store import RunStore
from core.training import train
from core.worker import cached_dataset

MOONS = DatasetSpec(name="moons", n_samples=200)


def test_a_2d_run_stores_the_grid_its_model_predicts(tmp_path: Path) -> None:
    config = RunConfig(epochs=15)
    with RunStore(tmp_path / "s.db") as store:
        executor = InlineExecutor()
        runner = Runner(store, executor)
        try:
            outcome = runner.run(config, MOONS)
        finally:
            runner.close()
            executor.shutdown()
        stored = store.metrics(outcome.run_id)["regions"]
    assert len(json.dumps(stored)) < 4000  # every 2-D run keeps one: kept small
    regions = Regions.from_dict(json.loads(json.dumps(stored)))
    assert (len(regions.x), len(regions.y)) == (MAX_COLUMNS, MAX_ROWS)  # a small network
    assert regions.classes == ["0", "1"]
    data = cached_dataset(MOONS)
    assert len(regions.points_x) == len(data.y_test)
    assert sorted(regions.points_label) == sorted(int(y) for y in data.y_test)
    # The same seed trains the same weights: training again predicts the same grid.
    assert decision_regions(config, MOONS) == regions
    # And it is that model's prediction: a point of the grid, predicted directly.
    model = train(config, data, keep_model=True).model
    j, i = 10, 100
    point = data.to_model_space([[regions.x[i], regions.y[j]]])
    assert regions.labels[j][i] == int(model.predict(point)[0])
    both = {v for row in regions.labels for v in row}
    assert both == {0, 1}  # a boundary crosses the grid


def test_runs_on_data_that_is_not_2d_keep_no_grid() -> None:
    result = train(RunConfig(epochs=3), cached_dataset(DatasetSpec(name="iris")))
    assert result.regions is None


@pytest.mark.parametrize(
    ("weights", "coarsest"), [(48, False), (66_048, False), (20_000_000, True)]
)
def test_the_grid_stays_within_its_prediction_budget(weights: int, coarsest: bool) -> None:
    columns, rows = grid_shape(weights)
    assert columns == 2 * rows
    if coarsest:
        assert rows == MIN_ROWS
    else:
        assert columns * rows * weights <= PREDICT_BUDGET or rows == MAX_ROWS
        assert rows > MIN_ROWS


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("labels"),
        lambda d: d["labels"].__setitem__(0, "2*3"),  # no class 2
        lambda d: d["labels"].__setitem__(0, "0*2 1*2"),  # 4 cells in a row of 3
        lambda d: d["labels"].__setitem__(0, "0*x"),
        lambda d: d["labels"].pop(),
        lambda d: d.__setitem__("x", [0, "nan", 3]),
        lambda d: d["points"][0].pop(),
        lambda d: d.__setitem__("x", [0, 1, 10**9]),
    ],
    ids=[
        "no-labels",
        "bad-class",
        "too-long",
        "bad-count",
        "rows",
        "nan-axis",
        "points",
        "huge-axis",
    ],
)
def test_a_damaged_grid_is_refused(damage) -> None:
    regions = Regions(
        [0.0, 1.0, 2.0], [0.0, 1.0], [[0, 1, 1], [1, 0, 0]], ["a", "b"], [0.5], [0.5], [1]
    )
    data = regions.to_dict()
    assert Regions.from_dict(data) == regions
    damage(data)
    with pytest.raises(ValueError, match="not a decision-region grid"):
        Regions.from_dict(data)


def test_the_stop_reason_names_the_epochs_the_tolerance_and_the_patience() -> None:
    config = RunConfig(epochs=500, n_iter_no_change=3, tol=0.01)
    result = train(config, cached_dataset(MOONS))
    n = result.n_epochs
    assert n < 500
    assert result.stop_reason == (
        f"stopped at epoch {n} of 500: loss did not improve by tol=0.01 for 3 epochs (patience)"
    )


def test_the_grid_crosses_the_dask_wire_checked() -> None:
    from core import dask_wire as wire
    from core.worker import RunRequest, execute_run

    outcome = execute_run(RunRequest(3, RunConfig(epochs=5), MOONS))
    sent = json.loads(json.dumps(wire.outcome_to_wire(outcome)))
    back, _ = wire.outcome_from_wire(sent)
    assert back.metrics == {"regions": outcome.metrics["regions"]}
    sent["regions"]["labels"][0] = "7*128"  # no class 7
    with pytest.raises(wire.WireError, match=r"outcome\.regions"):
        wire.outcome_from_wire(sent)
