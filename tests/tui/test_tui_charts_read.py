"""The charts read right at 80x24 and 120x40 (issue 13, Charts 1-7): the x-axis spans
the epochs run with the stop marked, legends sit off the data, the accuracy axis fits
the data (y: 0 to 1), the loss chart is reachable at every size, the overlay gives
each run its colour, label and table row, keys that do nothing are not offered, the
decision regions come from the store (or a worker process, cancellable), and the stop
reason reads in full."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input
from tui_helpers import settle, wait_for

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.regions import Regions
from core.runner import Runner
from core.store import RunStore
from tui.widgets.charts.axes import fitted_ylim
from tui.widgets.charts.pane import ACCURACY_ROWS, LOSS_ROWS
from tui.widgets.charts.plots import TEST_COLOR, TRAIN_COLOR
from tui.widgets.keybar import KeyBar

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]
MOONS = DatasetSpec(name="moons", n_samples=200)


def shown(widget: Widget) -> str:
    """What ``widget`` draws now, row by row."""
    width, height = widget.outer_size
    return "\n".join(s.text.rstrip() for s in widget.render_lines(Region(0, 0, width, height)))


def keys(app) -> str:
    return shown(app.screen.query_one(KeyBar))


def set_field(app, name: str, value: str) -> None:
    app.query_one(f"#f-{name}", Input).value = value


async def run_form(pilot, **fields: str) -> None:
    for name, value in fields.items():
        set_field(pilot.app, name, value)
    await pilot.press("ctrl+r")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_one_run_reads_right(make_app, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        # scikit-learn's own stop ends this run long before its 500 epochs.
        await run_form(pilot, epochs="500")
        await pilot.press("f2")
        await settle(pilot)
        (record,) = app.store.list_runs()
        n = record.n_epochs
        assert 10 < n < 500
        charts = app.charts
        plot = charts.accuracy

        # 1. The axis spans the epochs run; the stop is its last tick and is named.
        assert plot.xlim == (1.0, float(n))
        assert plot._xticks[1][-1] == str(n)
        rows = shown(plot).splitlines()
        assert any(f"stopped at {n} of 500" in row for row in rows)
        assert any(row.rstrip().endswith(str(n)) for row in rows)  # the tick

        # 2. The legend is the header line, in the series' colours; nothing on the data.
        assert rows[0].startswith("accuracy") and "━ train" in rows[0] and "━ test" in rows[0]
        assert not any("train" in row or "test" in row for row in rows[1:])

        # 3. The accuracy axis fits the data; y shows 0 to 1 and back.
        values = [p.train_accuracy for p in app.store.curve(record.id)]
        values += [p.test_accuracy for p in app.store.curve(record.id)]
        assert plot.ylim == fitted_ylim(values) and plot.ylim[0] > 0.5
        await pilot.press("y")
        await settle(pilot)
        assert plot.ylim == (0.0, 1.0) and "y: 0 to 1" in shown(plot).splitlines()[0]
        await pilot.press("y")
        await settle(pilot)
        assert plot.ylim == fitted_ylim(values)

        # 3. The loss chart, at every size; 5. l only where it does something.
        if size == (120, 40):
            # Both charts, each tall enough to read; l would do nothing: not offered.
            assert not charts.short
            assert charts.loss.display and charts.loss.size.height >= LOSS_ROWS
            assert charts.accuracy.size.height >= ACCURACY_ROWS
            assert " Loss" not in keys(app)
        else:
            # 5. Short: one chart at a time, l swaps them and says so.
            assert charts.short and not charts.loss.display
            assert " Loss" in keys(app) and "l: loss" in shown(charts.accuracy).splitlines()[0]
            await pilot.press("l")
            await settle(pilot)
            assert charts.loss.display and not charts.accuracy.display
            # Made taller, both show; short again, accuracy comes back first: the swap
            # never hides the accuracy chart later.
            await pilot.resize_terminal(120, 40)
            await settle(pilot)
            assert charts.loss.display and charts.accuracy.display
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            assert charts.accuracy.display and not charts.loss.display

        # 6. Decision regions: read from the store, never trained again here.
        regions = charts.regions
        (record,) = app.store.list_runs()
        stored = Regions.from_dict(app.store.metrics(record.id)["regions"])
        if size == (80, 24):
            # Narrow: d shows the regions in the chart's place (the same widget, the
            # same size: no layout), its header says so and how to go back.
            assert not regions.display and charts.accuracy.picture is None
            assert " Regions" in keys(app)
            before = charts.accuracy.region
            await pilot.press("d")
            await settle(pilot)
            assert charts.accuracy.display and charts.accuracy.region == before
            assert not regions.display and regions.ready and regions.regions == stored
            drawn = shown(charts.accuracy).splitlines()
            assert drawn[0].startswith("decision regions") and "d: curves" in drawn[0]
            assert not any("━ train" in row for row in drawn)  # no curves under it
            # l stays offered (the key line does not change on d) and does something
            # visible: the loss chart, the regions gone.
            assert " Loss" in keys(app)
            await pilot.press("l")
            await settle(pilot)
            assert charts.loss.display and not charts.accuracy.display
            assert charts.loss.picture is None and charts.accuracy.picture is None
            assert shown(charts.loss).splitlines()[0].startswith("loss")
            await pilot.press("l", "d")
            await settle(pilot)
            assert charts.accuracy.display and charts.accuracy.picture is not None
        else:
            drawn = shown(regions).splitlines()  # wide: beside the curves
            assert regions.display and regions.ready and regions.regions == stored
        legend = " ".join(drawn[-2:])
        assert "o=0" in legend and "x=1" in legend and "wrong" in legend
        await pilot.press("d")  # back to the curves (narrow) or the curves alone (wide)
        await settle(pilot)
        assert charts.accuracy.picture is None and not regions.display
        assert shown(charts.accuracy).splitlines()[0].startswith("accuracy")

        # 7. Why it stopped, in full, readable on screen (the form hidden at 80x24).
        if size == (80, 24):
            await pilot.press("ctrl+b")
            await settle(pilot)
        sentence = (
            f"stopped at epoch {n} of 500: loss did not improve by tol=0.0001 for 10 epochs"
            " (patience)"
        )
        verdict = shown(app.query_one("#verdict"))
        assert sentence in " ".join(line.strip() for line in verdict.splitlines())
        assert "stopped: stopped" not in verdict


def make_stored_runs(path: Path) -> tuple[int, int]:
    """A finished run whose grid is not in the store (as before grids were kept), and
    one that takes minutes to train again (stored as finished, the way resume or an
    older version would leave it)."""
    with RunStore(path) as store:
        executor = InlineExecutor()
        runner = Runner(store, executor)
        try:
            short = runner.run(RunConfig(epochs=20), MOONS).run_id
        finally:
            runner.close()
            executor.shutdown()
        metrics = store.metrics(short)
        del metrics["regions"]
        store.set_metrics(short, metrics)
        endless = RunConfig(epochs=100_000, tol=0.0, n_iter_no_change=100_000)
        long = store.create_run(endless.to_dict(), MOONS.to_dict(), label="endless")
        store.mark_running(long)
        store.add_epochs(long, store.curve(short)[:1])
        store.finish_run(long, "done")
    return short, long


async def test_regions_missing_from_the_store_train_in_a_worker_cancellable(
    make_app, store_path: Path
) -> None:
    short, long = make_stored_runs(store_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the newest run shows: nothing trains unasked
        regions = app.charts.regions
        # Its stored grid is looked up on a thread (again when its record loads).
        await wait_for(pilot, lambda: regions.run_id == long and not regions.busy)
        assert "d trains it again" in regions.note

        app.select_run(short, show_charts=True)
        await settle(pilot)
        assert "d trains it again" in regions.note
        await pilot.press("d")
        await settle(pilot)  # trained again through the app's executor
        assert regions.ready and regions.run_id == short
        assert "regions" in app.store.metrics(short)  # kept: once per run
        assert app.charts.accuracy.display  # the curves stayed meanwhile
        assert app.charts.accuracy.picture is None

        app.select_run(long, show_charts=True)
        await settle(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: "epoch" in regions.note)  # progress shows
        assert regions.busy and app.charts.accuracy.display
        handle = regions.retraining
        assert " Regions" in keys(app)
        await pilot.press("d")  # cancels
        assert not regions.busy and "cancelled" in regions.note
        await wait_for(pilot, handle.done)
        assert handle.result().status == "cancelled"
        assert "regions" not in (app.store.metrics(long) or {})


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_the_overlay_compares_runs(make_app, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for layers, epochs in (("1", "40"), ("6,6", "40"), ("16,16", "120")):
            await run_form(pilot, layers=layers, epochs=epochs)
        await pilot.press("f4")
        await wait_for(pilot, lambda: app.history.total == 3)
        app.history.table.focus()
        app.history.table.move_cursor(row=0)
        await pilot.press("space", "down", "space", "down", "space", "o")  # space stays
        await settle(pilot)
        charts = app.charts
        assert charts.overlay_ids == [1, 2, 3]
        records = {r.id: r for r in app.store.list_runs()}
        series = charts.accuracy.series
        tests = [s for s in series if not s.dotted]
        trains = [s for s in series if s.dotted]
        # 4. A colour per run, never train's or test's; labelled with what differs;
        # train (dots) and test (a line) for every run.
        colors = [s.color for s in tests]
        assert len(set(colors)) == 3 and not {TRAIN_COLOR, TEST_COLOR} & set(colors)
        assert [s.color for s in trains] == colors
        assert [s.label for s in tests] == [
            "#1 layers 1 ep 40",
            "#2 layers 6,6 ep 40",
            "#3 layers 16,16 ep 120",
        ]
        # 1. The axis spans the longest run.
        assert charts.accuracy.xlim == (1.0, float(max(r.n_epochs for r in records.values())))
        # The table: run, what differs, train, test, gap, verdict.
        table = shown(charts.query_one("#verdict"))
        head = table.splitlines()[1]
        assert all(word in head for word in ("run", "differs", "train", "test", "gap", "verdict"))
        for run_id, record in records.items():
            row = next(line for line in table.splitlines() if f"#{run_id} " in line)
            assert f"{record.train_accuracy:.3f}" in row and f"{record.gap:.3f}" in row
            verdict = record.verdict["verdict"]
            short = {"underfitting": "under", "overfitting": "over", "good fit": "good"}
            assert (short.get(verdict, verdict) if size == (80, 24) else verdict) in row
        # 2. Nothing written on the data: the table is the legend.
        rows = shown(charts.accuracy).splitlines()
        assert not any("#" in row for row in rows)
        # 5. Regions and loss do nothing here: not offered; y is.
        line = keys(app)
        assert " Regions" not in line and " Loss" not in line and "0–1" in line
