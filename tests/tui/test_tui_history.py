"""History: sort, filter, mark and overlay, reopen into the form, export."""

from __future__ import annotations

import csv
from pathlib import Path

from textual.widgets import Input
from tui_helpers import settle, wait_for


async def make_runs(pilot, lrs=("0.001", "0.01", "0.1")) -> None:
    app = pilot.app
    await settle(pilot)
    app.query_one("#f-epochs", Input).value = "30"
    for lr in lrs:
        app.query_one("#f-lr", Input).value = lr
        await pilot.press("ctrl+n")
        await settle(pilot)


def table_ids(app) -> list[int]:
    return [int(row.key.value) for row in app.history.table.ordered_rows]


async def reloaded(pilot, before: int) -> None:
    await wait_for(pilot, lambda: pilot.app.history.loaded > before)
    await pilot.pause()


async def test_sort_filter_overlay_and_reopen(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await make_runs(pilot)
        await pilot.press("f4")
        await pilot.pause()
        history = app.history
        assert table_ids(app) == [3, 2, 1]  # newest first
        assert "3 runs" in str(app.query_one("#history-summary").render())

        before = history.loaded
        await pilot.press("s")  # sort by test accuracy, best first
        await reloaded(pilot, before)
        expected = app.store.list_runs(order_by="test_accuracy", descending=True)
        assert table_ids(app) == [r.id for r in expected]
        row = history.table.get_row_at(0)
        assert str(row[3]) == f"{expected[0].test_accuracy:.3f}"

        before = history.loaded
        await pilot.press("i")  # invert
        await reloaded(pilot, before)
        assert table_ids(app) == [r.id for r in reversed(expected)]

        before = history.loaded
        await pilot.press("f", "f")  # filter: done, then failed/diverged
        await wait_for(pilot, lambda: history.loaded >= before + 2)
        assert table_ids(app) == []
        before = history.loaded
        await pilot.press("f", "f", "f")  # stopped, active, back to all
        await wait_for(pilot, lambda: history.loaded >= before + 3)
        assert len(table_ids(app)) == 3

        # Mark two runs and overlay their test curves.
        history.table.move_cursor(row=0)
        await pilot.press("space", "down", "space")  # space marks without moving
        marked = sorted(table_ids(app)[:2])
        assert history.marked == set(marked)
        await pilot.press("o")
        await settle(pilot)
        assert app.active_tab == "charts"
        assert app.charts.overlay_ids == marked
        # Each run: its test curve (a line, labelled with what differs) and its train
        # curve (dots), in a colour of its own.
        series = app.charts.accuracy.series
        tests = [s for s in series if not s.dotted]
        assert [s.label.split()[0] for s in tests] == [f"#{run_id}" for run_id in marked]
        assert all(s.label.split()[1] == "lr" for s in tests)  # what differs: lr
        curves = app.store.curves(marked)
        assert [len(s.xs) for s in tests] == [len(curves[i]) for i in marked]
        assert [s.color for s in series if s.dotted] == [s.color for s in tests]

        # Reopen the lr=0.1 run into the form.
        await pilot.press("f4")
        await pilot.pause()
        target = next(r for r in app.store.list_runs() if r.params["lr"] == 0.1)
        history.table.move_cursor(row=table_ids(app).index(target.id))
        await pilot.pause()
        app.query_one("#f-lr", Input).value = "0.5"
        app.query_one("#f-epochs", Input).value = "7"
        await pilot.press("e")
        await settle(pilot)
        assert app.query_one("#f-lr", Input).value == "0.1"
        assert app.query_one("#f-epochs", Input).value == "30"
        assert app.form.read_config().to_dict() == target.params


async def test_export_script_and_csv(make_app, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await make_runs(pilot, lrs=("0.01", "0.05"))
        await pilot.press("f4")
        await pilot.pause()
        app.history.table.move_cursor(row=0)  # run 2
        await pilot.pause()
        await pilot.press("p")
        await settle(pilot)
        script = tmp_path / "perceptune_run_2.py"
        assert script.exists()
        assert "MLPClassifier" in script.read_text()
        await pilot.press("v")
        await settle(pilot)
        with open(tmp_path / "perceptune_runs.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [row["id"] for row in rows] == ["2", "1"]
        assert {row["status"] for row in rows} == {"done"}


async def test_history_pages(make_app, store_path) -> None:
    """A store with more runs than a page shows one page and pages with ] and [."""
    from core.config import RunConfig
    from core.datasets import DatasetSpec
    from core.store import RunStore
    from tui.widgets.history.pane import PAGE_SIZE

    with RunStore(store_path) as store:
        for _ in range(PAGE_SIZE + 5):
            store.create_run(RunConfig().to_dict(), DatasetSpec().to_dict(), status="cancelled")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: app.history.loaded >= 1)
        assert app.history.table.row_count == PAGE_SIZE
        before = app.history.loaded
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: app.history.loaded > before)
        assert app.history.table.row_count == 5
        assert app.history.page == 1
        before = app.history.loaded
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: app.history.loaded > before)
        assert app.history.page == 0


async def test_history_columns_fit_the_rows_shown_now(make_app) -> None:
    """A refill lets columns shrink: their width must not depend on what was shown
    before (a run's "running" status, say), only on the rows on screen."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        table = app.history.table
        column = next(iter(table.columns.values()))
        table.add_row(*(["a much longer cell than the label"] * len(table.columns)))
        await pilot.pause()
        wide = column.content_width
        table.clear_rows()
        table.add_row(*(["x"] * len(table.columns)))
        await pilot.pause()
        assert column.content_width < wide
        assert column.content_width == max(1, column.label.cell_len)
