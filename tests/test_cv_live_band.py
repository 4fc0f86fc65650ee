"""The band of a cross-validated run grows while its folds train: the folds' spread
is stored with the mean curve as every fold passes an epoch (``cv_band``), and the
charts read it until the folds' own curves, stored as each fold ends, give the whole
band. Both give the same numbers for the same epochs."""

from __future__ import annotations

import math
from pathlib import Path

from core import fold_store
from core.config import RunConfig
from core.cv import band
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.results import EpochPoint
from core.runner import Runner
from core.store import RunStore
from tui.widgets.charts.band import read_band


def test_a_cv_run_stores_its_band_as_it_trains_equal_to_the_folds_band(tmp_path: Path) -> None:
    spec = DatasetSpec(name="iris", cv=3, refit=False)
    store = RunStore(str(tmp_path / "runs.db"))
    executor = InlineExecutor()
    try:
        config = RunConfig.from_mapping({"layers": [4], "epochs": 12, "seed": 0, "tol": 0})
        outcome = Runner(store, executor).run(config, spec)
    finally:
        executor.shutdown()
    assert outcome.status == "done"
    run_id = outcome.run_id
    live = fold_store.live_band(store, run_id)
    curves = fold_store.fold_curves(store, run_id)
    ended = {fold: end.status == "done" for fold, end in fold_store.folds(store, run_id).items()}
    full = {point.epoch: point for point in band(curves, ended)}
    # Written while the last fold trained (the others had ended: one at a time here).
    assert live and [p.epoch for p in live] == list(range(1, len(live) + 1))
    for point in live:
        assert point == full[point.epoch]  # the same floats, spread and mean
    assert read_band(store, run_id, 12) == list(full.values())  # ended: the folds' band
    fold_store.clear(store, run_id)
    assert fold_store.live_band(store, run_id) == []
    store.close()


def test_a_running_cv_run_is_drawn_from_its_live_band(tmp_path: Path) -> None:
    """A run whose folds still train (none has ended): the band comes from the spreads
    stored with its mean curve; an epoch without a spread yet is not in it; a NaN
    spread (a part without rows) reads back as NaN."""
    store = RunStore(str(tmp_path / "runs.db"))
    run_id = store.create_run(
        RunConfig(epochs=50).to_dict(),
        DatasetSpec(name="iris", cv=3).to_dict(),
        status="running",
    )
    store.add_epochs(
        run_id, [EpochPoint(e, 0.5 + e / 100, 0.4 + e / 100, 1.0 / e) for e in (1, 2, 3)]
    )
    fold_store.add_spreads(store, run_id, [(1, 0.02, 0.05), (2, 0.01, float("nan"))])
    band_now = read_band(store, run_id, 50)
    assert [p.epoch for p in band_now] == [1, 2]
    assert band_now[0].train_accuracy == 0.5 + 1 / 100 and band_now[0].train_std == 0.02
    assert band_now[0].cv_accuracy == 0.4 + 1 / 100 and band_now[0].cv_std == 0.05
    assert math.isnan(band_now[1].cv_std)
    assert read_band(store, run_id, 1) == band_now[:1]  # up to the epochs asked
    store.delete_run(run_id)
    assert fold_store.live_band(store, run_id) == []
    store.close()
