"""A dotted series (a CV run's band) is spaced for the chart's own width: drawn before
the chart had a size (the Charts tab just shown), its dots were spaced for the whole
app's width and stayed too dense once the chart was laid out narrower."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal

from tui.widgets.charts.plots import CurvePlot, Series, spaced

EPOCHS = tuple(float(e) for e in range(1, 61))
BAND = Series("", EPOCHS, tuple(0.5 + e / 200 for e in EPOCHS), "red", dotted=True)


class OneChart(App[None]):
    def compose(self) -> ComposeResult:
        with Horizontal():
            yield CurvePlot("accuracy", id="chart")


async def test_dots_drawn_before_layout_are_spaced_again_for_the_laid_out_width() -> None:
    app = OneChart()
    async with app.run_test(size=(120, 30)) as pilot:
        chart = app.query_one(CurvePlot)
        chart.styles.width = 40
        chart.draw([BAND])  # before the new width is laid out
        await pilot.pause()
        await pilot.pause()
        width = chart.size.width
        assert width == 40
        assert chart._thinned_for == width
        (plotted,) = chart._plotted
        assert plotted[1] == spaced(BAND.xs, BAND.ys, width)[0]  # every few epochs
        # Narrower again: spaced again.
        chart.styles.width = 24
        await pilot.pause()
        await pilot.pause()
        assert chart._thinned_for == 24
        assert chart._plotted[0][1] == spaced(BAND.xs, BAND.ys, 24)[0]
