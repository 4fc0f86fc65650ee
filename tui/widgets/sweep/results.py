"""Widgets of the sweep results: the leaderboard table and the chart of test accuracy
against one searched hyperparameter (the top-5 curves use the Charts tab's
:class:`~tui.widgets.charts.plots.CurvePlot`).

plotext traps as in :mod:`tui.widgets.charts.plots`: limits are set after
``clear_data()``, nothing empty is plotted, colours are explicit, and ``plt`` is
touched only on the UI thread (from :meth:`ParamPlot.draw`); with ``xscale("log")``
``xlim`` takes base-10 logarithms.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tui.format import DASH, acc, cv_score, verdict_color
from tui.widgets.charts.pane import status_color
from tui.widgets.charts.plots import MIN_HEIGHT, MIN_WIDTH, TEST_COLOR
from tui.widgets.tables import AppTable, with_cv

if TYPE_CHECKING:
    from core.search.results import LeaderboardRow, ParamSeries

#: The highlighted point: apart from the test colour and readable on dark and light.
HIGHLIGHT_COLOR = "magenta"
LEADERBOARD_COLUMNS = (("rank", "#"), ("run", "run"), ("status", "status"), ("test", "test"),
                       ("train", "train"), ("gap", "gap"), ("verdict", "verdict"),
                       ("epochs", "ep"), ("params", "searched values"))  # fmt: skip


class LeaderboardTable(AppTable):
    """The sweep's points, best test accuracy first; keyed by run id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(columns=LEADERBOARD_COLUMNS, **kwargs)

    def show(self, rows: list[LeaderboardRow], cv: bool = False) -> None:
        """Show ``rows``; ``cv``: the sweep is cross-validated (a "cv ± std" column,
        what the rows are ranked by)."""
        self.clear_rows()
        if cv != ("cv" in self.columns):
            self.set_columns(with_cv(LEADERBOARD_COLUMNS) if cv else LEADERBOARD_COLUMNS)
        for row in rows:
            self.add_row(*leaderboard_cells(row, cv), key=str(row.run_id))


def leaderboard_cells(row: LeaderboardRow, cv: bool = False) -> tuple[Any, ...]:
    """The cells of ``row``; ``cv``: with its cross-validated score after "test"."""
    verdict = row.verdict or DASH
    score = (cv_score(row.cv_accuracy, row.cv_std, True),) if cv else ()
    return (
        str(row.rank),
        f"#{row.run_id}",
        Text(row.status, style=status_color(row.status)),
        acc(row.test_accuracy),
        *score,
        acc(row.train_accuracy),
        acc(row.gap),
        Text(verdict, style=verdict_color(verdict)),
        str(row.n_epochs),
        row.point_text(),
    )


def padded(low: float, high: float, log: bool) -> tuple[float, float]:
    """x limits a little wider than the values, so no point sits on the frame. On a
    log axis plotext takes the limits as base-10 logarithms (another trap)."""
    if log:
        return math.log10(low / 1.3), math.log10(high * 1.3)
    if high == low:
        return (low * 0.5, low * 1.5) if low > 0 else (low - 1.0, low + 1.0)
    margin = (high - low) * 0.05
    return low - margin, high + margin


class ParamPlot(PlotextPlot):
    """Test accuracy of each finished point against one hyperparameter: a scatter on
    a log axis for lr and alpha, text ticks for layers and choices."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data: ParamSeries | None = None
        self.log_axis = False
        self.highlight: int | None = None  # the run drawn apart, as last drawn
        self.empty_text = "no finished point yet"

    def draw(
        self, series: ParamSeries | None, note: str = "", highlight: int | None = None
    ) -> None:
        """Replace the chart (UI thread only). ``note`` ends the title; ``highlight``:
        a run whose point is drawn apart (``◆``, named in the title)."""
        self.data = series if series is not None and series.y else None
        self.highlight = highlight if self.data is not None else None
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()  # also back to linear axes
        self.log_axis = False
        series = self.data
        if series is None:
            self.refresh()
            return
        title = f"test accuracy vs {series.name}"
        if series.categorical:
            # In the order searched (1; 6,6; 128,128), not the order the points ended.
            labels: list[str] = [str(value) for value in series.order]
            for value in series.x:
                if value not in labels:
                    labels.append(value)
            xs = [float(labels.index(value) + 1) for value in series.x]
            self._scatter(xs, list(series.y), series.run_ids, highlight)
            plt.xticks([float(i + 1) for i in range(len(labels))], labels)
            xlim = (0.5, len(labels) + 0.5)
        else:
            xs = [float(x) for x in series.x]
            self.log_axis = series.log_axis and min(xs) > 0
            if self.log_axis:
                plt.xscale("log")
                title += " (log x)"
            self._scatter(xs, list(series.y), series.run_ids, highlight)
            values = [float(v) for v in series.order] or xs
            xlim = padded(min(values + xs), max(values + xs), self.log_axis)
            if series.order:  # ticks at the values searched, labelled as written
                plt.xticks(values, [f"{v:g}" for v in values])
        if highlight is not None and highlight in series.run_ids:
            index = series.run_ids.index(highlight)
            mark = f"◆ #{highlight} {acc(series.y[index])} · "
            title = mark + title
            # plotext drops a title wider than the plot: the point's name matters most.
            if len(title + note) > max(10, self.size.width - 6):
                title = mark + series.name
        plt.title(title + note)
        plt.xlabel(series.name)
        # After clear_data(): limits were reset and must be set again.
        plt.xlim(*xlim)
        low_y = max(0.0, min(series.y) - 0.05)
        plt.ylim(low_y, max(min(1.0, max(series.y) + 0.05), low_y + 0.1))
        self.refresh()

    def _scatter(
        self, xs: list[float], ys: list[float], run_ids: list[int], highlight: int | None
    ) -> None:
        """The points as ``●``, the highlighted run's as ``◆`` on top in another colour."""
        plt = self.plt
        keep = [i for i in range(len(xs)) if i >= len(run_ids) or run_ids[i] != highlight]
        if keep:
            plt.scatter([xs[i] for i in keep], [ys[i] for i in keep], color=TEST_COLOR,
                        marker="●")  # fmt: skip
        if highlight is not None and highlight in run_ids:
            index = run_ids.index(highlight)
            plt.scatter([xs[index]], [ys[index]], color=HIGHLIGHT_COLOR, marker="◆")

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("…", style="dim")
        if self.data is None:
            return Text(f"test accuracy per hyperparameter\n\n{self.empty_text}", style="dim")
        try:
            return super().render()
        except Exception as error:  # plotext can fail on odd sizes; never crash the app
            return Text(f"(chart unavailable: {error})", style="dim")
