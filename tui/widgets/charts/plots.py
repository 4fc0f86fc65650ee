"""Plotext charts that keep their data as plain series and survive tiny sizes.

plotext traps handled here: ``clear_data()`` also resets the axis limits (they are
set again after it); a labelled series without points crashes ``build()`` (empty
series are never plotted); colours are always given. ``plt`` is only touched on the
UI thread (from :meth:`CurvePlot.draw`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

#: Colours that exist in the 16-colour palette and read on dark and light themes.
TRAIN_COLOR = "cyan"
TEST_COLOR = "red"
LOSS_COLOR = "yellow"
OVERLAY_COLORS = ("red", "cyan", "green", "yellow", "magenta", "blue", "white", "orange")
MIN_WIDTH = 16
MIN_HEIGHT = 5


@dataclass(frozen=True)
class Series:
    """One line of a chart."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    color: str


class CurvePlot(PlotextPlot):
    """A line chart of :class:`Series`; :attr:`series` is what it currently shows."""

    def __init__(
        self,
        title: str = "",
        *,
        ylabel: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.chart_title = title
        self.ylabel = ylabel
        self.series: list[Series] = []
        self.xlim: tuple[float, float] | None = None
        self.ylim: tuple[float, float] | None = None
        self.empty_text = "no data yet"

    def draw(
        self,
        series: list[Series],
        *,
        xlim: tuple[float, float] | None = None,
        ylim: tuple[float, float] | None = None,
        title: str | None = None,
    ) -> None:
        """Replace the chart's series and redraw (UI thread only)."""
        self.series = [s for s in series if s.xs]
        self.xlim, self.ylim = xlim, ylim
        if title is not None:
            self.chart_title = title
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.chart_title)
        plt.xlabel("epoch")
        if self.ylabel:
            plt.ylabel(self.ylabel)
        for s in self.series:
            if len(s.xs) == 1:
                plt.scatter(list(s.xs), list(s.ys), label=s.label, color=s.color, marker="●")
            else:
                plt.plot(list(s.xs), list(s.ys), label=s.label, color=s.color, marker="braille")
        # After clear_data(): limits were reset and must be set again.
        if xlim is not None and xlim[1] > xlim[0]:
            plt.xlim(*xlim)
        if ylim is not None and ylim[1] > ylim[0]:
            plt.ylim(*ylim)
        self.refresh()

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("…", style="dim")
        if not self.series:
            return Text(f"{self.chart_title}\n\n{self.empty_text}", style="dim")
        try:
            return super().render()
        except Exception as error:  # plotext can fail on odd sizes; never crash the app
            return Text(f"(chart unavailable: {error})", style="dim")
