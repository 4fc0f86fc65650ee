"""Live charts redraw when the picture can change, while the title follows every epoch."""

from __future__ import annotations

from tui_helpers import settle

from core.results import EpochPoint
from tui.widgets.charts import pane
from tui.widgets.charts.pane import RunView


def curve(n: int) -> list[EpochPoint]:
    return [EpochPoint(k, 0.5 + k / 100_000, 0.5, 1.0 / k) for k in range(1, n + 1)]


def view(run_id: int, n: int, status: str = "running", planned: int = 20_000) -> RunView:
    return RunView(run_id, "6,6 lr=0.01", "moons", status, planned, curve(n))


async def test_a_long_live_run_is_redrawn_per_column_not_per_epoch(make_app, monkeypatch) -> None:
    # Only the column rule here: no minimum interval between redraws, and (on a loaded
    # machine the loop below can outlast it) no maximum age: those are other rules.
    monkeypatch.setattr(pane, "LIVE_PLOT_MIN_S", 0.0)
    monkeypatch.setattr(pane, "LIVE_PLOT_MAX_AGE_S", 3600.0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        charts = app.charts
        charts.show_run(view(1, 100))
        draws = charts.draws
        column = 20_000 / charts.accuracy.size.width  # epochs per column (two braille dots)
        assert column > 20
        for n in range(101, 101 + int(column) - 2, 5):  # less than a column further
            charts.show_run(view(1, n))
            assert f"epoch {n}/20000" in str(charts.query_one("#chart-title").render())
        assert charts.draws == draws
        charts.show_run(view(1, 100 + int(column) + 1))  # a column further: drawn
        assert charts.draws == draws + 1
        assert charts.accuracy.series[0].xs[-1] == 100 + int(column) + 1
        charts.show_run(view(1, 100 + int(column) + 2, status="done"))  # the end: drawn
        assert charts.draws == draws + 2
        charts.show_run(view(2, 10))  # another run: drawn
        assert charts.draws == draws + 3
        charts.show_run(view(3, 10, planned=100))  # a short run: a column is an epoch or two
        charts.show_run(view(3, 12, planned=100))
        assert charts.draws == draws + 5

        # Epochs pouring in redraw the curves at most every LIVE_PLOT_MIN_S (a redraw
        # costs tens of ms) while the title shows every epoch; a curve that grew by
        # less than a column is redrawn once LIVE_PLOT_MAX_AGE_S passed, one that did not
        # grow never.
        monkeypatch.setattr(pane, "LIVE_PLOT_MIN_S", 3600.0)
        charts.show_run(view(4, 100))
        draws = charts.draws
        step = int(column) + 1
        charts.show_run(view(4, 100 + 5 * step))  # five columns further at once: not yet
        assert charts.draws == draws
        assert f"epoch {100 + 5 * step}/20000" in str(charts.query_one("#chart-title").render())
        monkeypatch.setattr(pane, "LIVE_PLOT_MIN_S", 0.0)  # the interval has passed
        charts.show_run(view(4, 100 + 6 * step))
        assert charts.draws == draws + 1
        monkeypatch.setattr(pane, "LIVE_PLOT_MAX_AGE_S", 0.0)
        charts.show_run(view(4, 100 + 6 * step))  # not grown: nothing new to draw
        assert charts.draws == draws + 1
        charts.show_run(view(4, 101 + 6 * step))  # grown by less than a column, but old
        assert charts.draws == draws + 2
