"""Live charts redraw when the picture can change, while the title follows every epoch."""

from __future__ import annotations

from tui_helpers import settle

from core.results import EpochPoint
from tui.widgets.charts.pane import RunView


def curve(n: int) -> list[EpochPoint]:
    return [EpochPoint(k, 0.5 + k / 100_000, 0.5, 1.0 / k) for k in range(1, n + 1)]


def view(run_id: int, n: int, status: str = "running", planned: int = 20_000) -> RunView:
    return RunView(run_id, "6,6 lr=0.01", "moons", status, planned, curve(n))


async def test_a_long_live_run_is_redrawn_per_dot_not_per_epoch(make_app, monkeypatch) -> None:
    # Only the dot rule here: on a loaded machine the loop below can outlast the
    # once-a-second redraw, which is another rule.
    monkeypatch.setattr("tui.widgets.charts.pane.LIVE_PLOT_MAX_AGE_S", 3600.0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        charts = app.charts
        charts.show_run(view(1, 100))
        draws = charts.draws
        dot = 20_000 / (2 * charts.accuracy.size.width)  # epochs per braille dot
        assert dot > 20
        for n in range(101, 101 + int(dot) - 2, 5):  # less than a dot further
            charts.show_run(view(1, n))
            assert f"epoch {n}/20000" in str(charts.query_one("#chart-title").render())
        assert charts.draws == draws
        charts.show_run(view(1, 100 + int(dot) + 1))  # a dot further: drawn
        assert charts.draws == draws + 1
        assert charts.accuracy.series[0].xs[-1] == 100 + int(dot) + 1
        charts.show_run(view(1, 100 + int(dot) + 2, status="done"))  # the end: drawn
        assert charts.draws == draws + 2
        charts.show_run(view(2, 10))  # another run: drawn
        assert charts.draws == draws + 3
        charts.show_run(view(3, 10, planned=100))  # a short run: a dot is an epoch or two
        charts.show_run(view(3, 12, planned=100))
        assert charts.draws == draws + 5
