"""Cross-validation in the TUI: the dataset pane's CV folds field (core's one-line
messages, the folds reach the stored run) and Refit switch, History's cv column, the
sweep builder's cv and refit, and the charts' mean ± std band of a CV run."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static, Switch
from tui_helpers import settle, wait_for

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import ConfigError
from tui.format import DASH
from tui.widgets.history.pane import HistoryPane

BAD_CV = ["1", "x", "9" * 5000]


def core_message(value: str) -> str:
    with pytest.raises(ConfigError) as caught:
        DatasetSpec.from_mapping({"cv": value})
    return caught.value.message


async def test_cv_field_refuses_bad_values_and_a_cv_run_is_stored(make_app) -> None:
    app = make_app(config=RunConfig(epochs=4))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        field = app.query_one("#d-cv", Input)
        assert field.value == "0"
        assert app.query_one("#d-refit").has_class("-off")  # only with CV folds
        for text in BAD_CV:
            field.value = text
            await settle(pilot)
            message = app.dataset_pane.errors["cv"]
            assert message == core_message(text)
            assert "\n" not in message and len(message) < 200
            assert str(app.query_one("#derr-cv", Static).render()) == message
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.store.count_runs() == 0
        # More folds than a class has train rows: the data line says so, no run.
        field.value = "50"
        app.query_one("#d-n_samples", Input).value = "40"
        await settle(pilot)
        assert "cv" not in app.dataset_pane.errors
        assert "50 folds need at least 50 train rows" in app.dataset_pane.data_error
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.store.count_runs() == 0
        app.query_one("#d-n_samples", Input).value = "200"
        field.value = "3"
        await settle(pilot)
        assert not app.query_one("#d-refit").has_class("-off")
        app.query_one("#d-refit", Switch).value = False
        await settle(pilot)
        assert not app.dataset_pane.errors and not app.dataset_pane.data_error
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for(pilot, lambda: app.store.count_runs() == 1 and _finished(app))
        record = app.store.list_runs()[0]
        assert record.dataset["cv"] == 3 and record.dataset["refit"] is False
        assert record.status == "done"
        assert record.cv_accuracy is not None and len(record.fold_accuracies) == 3
        assert record.test_accuracy is None  # no refit: no test score
        # History: a "cv ± std" column, the dash for a run without cross-validation.
        field.value = "0"
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for(pilot, lambda: app.store.count_runs() == 2 and _finished(app))
        history = app.query_one(HistoryPane)
        history.reload()
        await wait_for(pilot, lambda: len(history.records) == 2)
        await settle(pilot)
        table = history.table
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[labels.index("test") + 1] == "cv ± std"
        plain = ordinary = None
        for row in range(2):
            cells = dict(zip(labels, (str(c) for c in table.get_row_at(row)), strict=True))
            if cells["#"] == str(record.id):
                plain = cells
            else:
                ordinary = cells
        assert plain is not None and ordinary is not None
        assert plain["cv ± std"] == f"{record.cv_accuracy:.3f}±{record.cv_std:.3f}"
        assert plain["test"] == DASH
        assert ordinary["cv ± std"] == DASH and ordinary["test"] != DASH
        # The overlay's table: the cv score beside test, the dash for the other run.
        app.history.marked.update(r.id for r in app.store.list_runs())
        app.action_overlay()
        await settle(pilot)
        await wait_for(pilot, lambda: len(app.charts.overlay_ids) == 2)
        lines = _table_lines(app.charts._table_parts)
        assert "cv ± std" in lines[0]
        row = next(line for line in lines if f"#{record.id} " in line)
        assert f"{record.cv_accuracy:.3f}±{record.cv_std:.3f}" in row


def _table_lines(parts) -> list[str]:
    """The overlay table's rows as plain text lines."""
    from rich.console import Console

    from tui.widgets.charts.compare import overlay_table

    console = Console(width=120, record=True, color_system=None)
    console.print(overlay_table(*parts))
    return console.export_text().splitlines()


def _finished(app) -> bool:
    return all(r.status not in ("running", "queued") for r in app.store.list_runs())


def _band_read_when_done(app) -> bool:
    view = app.charts.view
    found = app.charts._bands.get(view.run_id)
    return bool(found and found[0] == "done" and found[2] and app.charts._band_reading is None)


SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_cv_run_charts_with_band(snap_compare, make_app, size) -> None:
    """A 5-fold run's charts: the mean train and cv lines, each in a dotted band of
    mean ± std in a quieter shade, the legend saying "cv ± std"."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for(pilot, lambda: _finished(app) and app.store.count_runs() == 1)
        await pilot.press("f2")
        await settle(pilot)
        # The band read after the run ended (not one read while it trained).
        await wait_for(pilot, lambda: _band_read_when_done(app))
        await settle(pilot)
        legend = app.charts.accuracy.header().plain
        assert "cv ± std" in legend and "train ± std" in legend
        app.clear_notifications()

    app = make_app(config=CV_CONFIG, dataset=CV_DATASET)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


CV_CONFIG = RunConfig(epochs=30, lr=0.05)
CV_DATASET = DatasetSpec(name="moons", n_samples=200, noise=0.3, cv=5)


async def test_sweep_builder_cv_reaches_the_sweep_and_the_leaderboard(make_app) -> None:
    from test_tui_sweep import checked, open_builder, search

    from tui.screens.sweep_results import SweepResultsScreen
    from tui.widgets.sweep.results import LeaderboardTable

    app = make_app(config=RunConfig(epochs=3))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_builder(pilot)
        builder = screen.builder
        assert builder.setting("cv") == "0" and "cv" not in builder.search_table()
        search(screen, {"lr": ("list", "0.01, 0.1")})
        screen.query_one("#sw-cv", Input).value = "1"
        await checked(pilot, screen)
        assert "[search].cv: must be 0" in screen.error and "\n" not in screen.error
        assert builder.query_one("#swlbl-cv").has_class("-invalid")
        screen.query_one("#sw-cv", Input).value = "3"
        screen.query_one("#sw-refit", Switch).value = True
        await checked(pilot, screen)
        assert screen.error == "" and screen.spec is not None
        assert (screen.spec.cv, screen.spec.refit) == (3, True)
        assert screen.points == 2
        await pilot.press("ctrl+l")
        await settle(pilot)
        (sweep,) = app.store.list_sweeps()
        await wait_for(pilot, lambda: app.store.get_sweep(sweep["id"])["status"] == "done")
        runs = app.store.list_runs(sweep_id=sweep["id"])
        assert len(runs) == 2 and all(r.dataset["cv"] == 3 for r in runs)
        assert all(r.cv_accuracy is not None and r.test_accuracy is not None for r in runs)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepResultsScreen))
        results = app.screen
        await wait_for(pilot, lambda: results.loaded > 0 and results.rows)
        table = results.query_one(LeaderboardTable)
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[labels.index("test") + 1] == "cv ± std"
        shown = [str(table.get_row_at(i)[labels.index("cv ± std")]) for i in range(2)]
        by_cv = sorted(runs, key=lambda r: r.cv_accuracy, reverse=True)
        assert shown == [f"{r.cv_accuracy:.3f}±{r.cv_std:.3f}" for r in by_cv]


async def test_a_cv_run_training_elsewhere_shows_its_band_growing(store_path) -> None:
    """A CV run another process trains (its folds still running: no fold curve stored
    yet): Charts draws its band from the spreads stored with the mean curve, and the
    band grows as more are stored, without a keypress."""
    from core import fold_store
    from core.executors import InlineExecutor
    from core.queue_runner import RunnerOptions
    from core.results import EpochPoint
    from core.store import RunStore
    from tui.app import PerceptuneApp

    writer = RunStore(store_path)
    run_id = writer.create_run(
        RunConfig(epochs=100).to_dict(), CV_DATASET.to_dict(), status="running", label="cv run"
    )

    def train(first: int, last: int) -> None:
        epochs = range(first, last + 1)
        writer.add_epochs(
            run_id, [EpochPoint(e, 0.6 + e / 500, 0.55 + e / 500, 1 / e) for e in epochs]
        )
        fold_store.add_spreads(writer, run_id, [(e, 0.02, 0.04) for e in epochs])

    train(1, 10)
    app = PerceptuneApp(store_path, InlineExecutor(1), None, dataset=CV_DATASET,
                        snapshot_mode=True, background=RunnerOptions(idle_exit_s=1))  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            app.select_run(run_id, show_charts=True)
            charts = app.charts

            def band_epochs() -> int:
                return 0 if charts.view is None else len(charts._band_of(charts.view))

            await wait_for(pilot, lambda: band_epochs() == 10)
            await settle(pilot)
            legend = charts.accuracy.header().plain
            assert "cv ± std" in legend and "train ± std" in legend
            assert charts.view.status == "running"
            train(11, 30)  # more epochs and their spread, from the other process
            await wait_for(pilot, lambda: band_epochs() == 30)
            await wait_for(
                pilot, lambda: "epoch 30/100" in str(charts.query_one("#chart-title").render())
            )
    finally:
        writer.close()
