"""The Charts tab: train vs test accuracy per epoch of one run (live while it trains),
its loss curve, its verdict with the numbers, and the decision regions of 2-D runs;
or the test curves of several marked runs overlaid."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.visual import visualize
from textual.widget import Widget
from textual.widgets import Static

from tui.format import acc, verdict_name, verdict_numbers
from tui.messages import RegionsReady
from tui.usertext import one_line
from tui.widgets.charts.plots import (
    LOSS_COLOR,
    OVERLAY_COLORS,
    TEST_COLOR,
    TRAIN_COLOR,
    CurvePlot,
    Series,
)
from tui.widgets.charts.regions import RegionsView

if TYPE_CHECKING:
    from core.results import EpochPoint
    from core.store import RunRecord

#: Bundled datasets with more than two features: no regions to draw.
NOT_2D = ("iris", "wine", "breast_cancer", "digits")
REGIONS_DELAY_S = 0.3
#: From this width the decision regions show beside the curves.
WIDE_WIDTH = 70
#: Below this height only one chart shows (l swaps accuracy and loss).
SHORT_HEIGHT = 26
#: A live run's curves are redrawn at least this often (see ChartsPane._plots_due).
LIVE_PLOT_MAX_AGE_S = 1.0


@dataclass
class RunView:
    """What the charts show about one run."""

    run_id: int
    label: str
    dataset_label: str
    status: str
    planned_epochs: int
    curve: list[EpochPoint]
    params: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    verdict: dict[str, Any] | None = None
    stop_reason: str = ""
    error: str = ""


def accuracy_ylim(curve: list[EpochPoint]) -> tuple[float, float]:
    """From a round value below the lowest accuracy (at most 0.5) up to 1."""
    values = [p.train_accuracy for p in curve] + [p.test_accuracy for p in curve]
    return _ylim_above(min([0.5, *values]))


def _ylim_above(low: float) -> tuple[float, float]:
    return (max(0.0, math.floor((low - 0.05) * 10) / 10), 1.0)


class _Columns:
    """A run's curve as columns (epochs, train, test, and the finite losses), extended
    in place while the same run's curve grows: a live redraw then costs the new
    epochs, not the whole curve (10 ms a redraw at 10,000 epochs otherwise)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last: EpochPoint | None = None
        self.epochs: list[float] = []
        self.train: list[float] = []
        self.test: list[float] = []
        self.loss_epochs: list[float] = []
        self.losses: list[float] = []

    def extends(self, run_id: int, curve: list[EpochPoint]) -> bool:
        """Whether ``curve`` is this run's curve so far plus new epochs."""
        n = len(self.epochs)
        return run_id == self.run_id and len(curve) >= n and (n == 0 or curve[n - 1] is self.last)

    def extend(self, curve: list[EpochPoint]) -> None:
        isfinite = math.isfinite
        for point in curve[len(self.epochs) :]:
            epoch = float(point.epoch)
            self.epochs.append(epoch)
            self.train.append(point.train_accuracy)
            self.test.append(point.test_accuracy)
            if isfinite(point.loss):
                self.loss_epochs.append(epoch)
                self.losses.append(point.loss)
        self.last = curve[-1] if curve else None


def int_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Whole-number epoch ticks from ``low`` to ``high``."""
    if high <= low:
        return [low]
    step = max(1, math.ceil((high - low) / max(count - 1, 1)))
    ticks = list(range(int(low), int(high) + 1, step))
    if ticks[-1] != int(high) and high - ticks[-1] > step / 2:
        ticks.append(int(high))
    return [float(t) for t in ticks]


class ChartsPane(Vertical):
    """One run's curves and verdict, or an overlay of several runs' test curves."""

    can_focus = True

    BINDINGS = [
        Binding("d", "toggle_regions", "Regions", tooltip="Show decision regions (2-D data)"),
        Binding("l", "toggle_loss", "Loss", tooltip="Swap accuracy and loss (short screens)"),
        Binding("e", "app.edit_selected", "Edit in form", tooltip="Load this run into the form"),
        Binding("p", "app.export_script", "Export .py", tooltip="Write a Python script"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.overlay_ids: list[int] = []
        self.draws = 0  # how often the charts were redrawn (tests check the rate)
        self._regions_cache: dict[int, tuple[Any, str]] = {}
        self._regions_pending: int | None = None
        self._regions_timer: Timer | None = None
        self._columns: _Columns | None = None
        self._undrawn = False  # show_run came while the pane was hidden
        #: (run id, status, epochs, time) of the curves drawn last by show_run.
        self._plots_drawn: tuple[int, str, int, float] | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            "No run yet: set the hyperparameters and press ctrl+r.",
            id="chart-title",
            markup=False,
        )
        with Horizontal(id="plots"):
            with Vertical(id="curves"):
                yield CurvePlot("accuracy", id="accuracy-plot")
                yield CurvePlot("loss", id="loss-plot")
            yield RegionsView(id="regions")
        yield Static("", id="verdict", markup=False)

    @property
    def accuracy(self) -> CurvePlot:
        return self.query_one("#accuracy-plot", CurvePlot)

    @property
    def loss(self) -> CurvePlot:
        return self.query_one("#loss-plot", CurvePlot)

    @property
    def regions(self) -> RegionsView:
        return self.query_one("#regions", RegionsView)

    # -- one run -------------------------------------------------------------------------

    def show_run(self, view: RunView) -> None:
        """Draw ``view`` (called at most ~10x/s by the app's redraw timer). While the
        pane is hidden (another tab shows) only the view is kept: it is drawn when the
        pane shows, so hidden charts cost the UI nothing while runs train."""
        self.view = view
        self.overlay_ids = []
        if not all(node.display for node in self.ancestors_with_self if isinstance(node, Widget)):
            self._undrawn = True
            return
        self._undrawn = False
        curve = view.curve
        columns = self._columns
        if columns is None or not columns.extends(view.run_id, curve):
            columns = self._columns = _Columns(view.run_id)
        columns.extend(curve)
        if self._plots_due(view):
            self._draw_plots(view, columns)
        self._set_text("#chart-title", self._title(view))
        self._set_text("#verdict", self._verdict_text(view))
        self._update_regions()

    def _plots_due(self, view: RunView) -> bool:
        """Whether the curves must be drawn again for ``view``.

        A live run is redrawn once its curve has grown by a dot's worth of epochs
        (plotext draws two braille dots per column) or LIVE_PLOT_MAX_AGE_S after the
        last draw, whichever comes first: a 20,000-epoch run on an 80-column chart
        moves a dot every ~250 epochs, so 10 redraws a second showed the same picture
        and cost the UI process about a fifth of a core (``bench/bench_tui_lag.py``).
        Anything else (another run, a new status, a short run) draws at once.
        """
        now = time.monotonic()
        drawn = self._plots_drawn
        if drawn is not None and view.status == "running" and drawn[:2] == (view.run_id, "running"):
            dot = view.planned_epochs / (2 * max(1, self.accuracy.size.width))
            if len(view.curve) - drawn[2] < dot and now - drawn[3] < LIVE_PLOT_MAX_AGE_S:
                return False
        self._plots_drawn = (view.run_id, view.status, len(view.curve), now)
        return True

    def _draw_plots(self, view: RunView, columns: _Columns) -> None:
        self.draws += 1
        epochs = tuple(columns.epochs)
        xmax = float(max(view.planned_epochs, int(epochs[-1]) if epochs else 1, 2))
        xlim = (1.0, xmax)
        low = min([0.5, *(min(c) for c in (columns.train, columns.test) if c)])
        self.accuracy.draw(
            [
                Series("train", epochs, tuple(columns.train), TRAIN_COLOR),
                Series("test", epochs, tuple(columns.test), TEST_COLOR),
            ],
            xlim=xlim,
            ylim=_ylim_above(low),
            title="accuracy",
        )
        self.loss.draw(
            [Series("loss", tuple(columns.loss_epochs), tuple(columns.losses), LOSS_COLOR)],
            xlim=xlim,
            title="loss",
        )
        self._set_ticks(xlim)

    def _set_ticks(self, xlim: tuple[float, float]) -> None:
        ticks = int_ticks(*xlim)
        labels = [str(int(t)) for t in ticks]
        for plot in (self.accuracy, self.loss):
            if plot.series:
                plot.set_xticks(ticks, labels)

    def _set_text(self, selector: str, text: Text) -> None:
        """Update a Static above or below the charts, 10 times a second while a run
        trains. Nothing when the text is the same; no layout pass (the whole screen,
        a few ms) when its height stays the same."""
        static = self.query_one(selector, Static)
        if isinstance(static.content, Text) and static.content == text:
            return
        width = static.content_region.width
        layout = True
        if width > 0:
            rules = static.styles
            new_height = visualize(static, text, markup=False).get_height(rules, width)
            layout = new_height != static.visual.get_height(rules, width)
        static.update(text, layout=layout)

    @staticmethod
    def _title(view: RunView) -> Text:
        done = view.curve[-1].epoch if view.curve else 0
        text = Text()
        text.append(f"#{view.run_id} ", style="bold")
        text.append(f"{one_line(view.label)} · {one_line(view.dataset_label)} · ")
        text.append(view.status, style=f"bold {status_color(view.status)}")
        text.append(f" · epoch {done}/{view.planned_epochs}")
        if view.curve:
            last = view.curve[-1]
            text.append(f" · train {acc(last.train_accuracy)} test {acc(last.test_accuracy)}")
        return text

    @staticmethod
    def _verdict_text(view: RunView) -> Text:
        text = Text()
        if view.error:
            text.append("failed: ", style="bold red")
            text.append(one_line(view.error))
            return text
        if view.verdict:
            name = verdict_name(view.verdict)
            summary = str(view.verdict.get("summary", "")) or name
            style = f"bold {verdict_color(name)}"
            if summary.startswith(name):
                text.append(name, style=style)
                text.append(summary[len(name) :])
            else:
                text.append(name, style=style)
                text.append(f": {summary}")
            numbers = verdict_numbers(view.verdict)
            if numbers:
                text.append(f"\n{numbers}", style="dim")
        elif view.status == "running":
            text.append("training… the verdict appears when the run ends", style="dim")
        elif view.status == "queued":
            text.append("waiting in the queue", style="dim")
        if view.stop_reason:
            text.append(f"\nstopped: {one_line(view.stop_reason)}", style="dim")
        return text

    # -- overlay ---------------------------------------------------------------------------

    def show_overlay(self, records: list[RunRecord], curves: dict[int, list[EpochPoint]]) -> None:
        """Test curves (top) and train curves (bottom) of several runs in one chart."""
        self.view = None
        self._plots_drawn = None
        self.overlay_ids = [r.id for r in records]
        test_series: list[Series] = []
        train_series: list[Series] = []
        xmax = 2.0
        for index, record in enumerate(records):
            curve = curves.get(record.id, [])
            color = OVERLAY_COLORS[index % len(OVERLAY_COLORS)]
            epochs = tuple(float(p.epoch) for p in curve)
            if epochs:
                xmax = max(xmax, epochs[-1])
            test_series.append(
                Series(f"#{record.id}", epochs, tuple(p.test_accuracy for p in curve), color)
            )
            train_series.append(
                Series(f"#{record.id}", epochs, tuple(p.train_accuracy for p in curve), color)
            )
        xlim = (1.0, xmax)
        every = [p for record in records for p in curves.get(record.id, [])]
        ylim = accuracy_ylim(every)
        self.accuracy.draw(test_series, xlim=xlim, ylim=ylim, title="test accuracy")
        self.loss.draw(train_series, xlim=xlim, ylim=ylim, title="train accuracy")
        self._set_ticks(xlim)
        title = Text()
        title.append("Overlay ", style="bold")
        title.append(f"of {len(records)} runs: test curves on top, train curves below")
        self.query_one("#chart-title", Static).update(title)
        lines = Text()
        for index, record in enumerate(records):
            if index:
                lines.append("  ")
            color = OVERLAY_COLORS[index % len(OVERLAY_COLORS)]
            lines.append(f"#{record.id}", style=f"bold {color}")
            lines.append(
                f" test {acc(record.test_accuracy)} gap {acc(record.gap)} "
                f"{verdict_name(record.verdict)}"
            )
        self.query_one("#verdict", Static).update(lines)
        self.regions.show(None, None, "decision regions: not in overlay mode")

    # -- decision regions ----------------------------------------------------------------

    def on_show(self) -> None:
        if self._undrawn and self.view is not None:
            self.show_run(self.view)

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        self.set_class(width >= WIDE_WIDTH, "-wide")
        self.set_class(height < SHORT_HEIGHT, "-short")
        self._update_regions()

    def action_toggle_loss(self) -> None:
        self.toggle_class("-loss")

    def action_toggle_regions(self) -> None:
        self.toggle_class("-regions")
        self._update_regions()

    def _regions_wanted(self) -> bool:
        return self.has_class("-regions") or self.has_class("-wide")

    def _update_regions(self) -> None:
        view = self.view
        if view is None:
            return
        name = view.dataset.get("name")
        if name in NOT_2D:
            self.regions.show(None, None, f"decision regions: {name} is not 2-D")
            return
        if view.status not in ("done", "diverged", "pruned"):
            self.regions.show(None, None, "decision regions: when the run has finished")
            return
        cached = self._regions_cache.get(view.run_id)
        if cached is not None:
            self.regions.show(view.run_id, *cached)
            return
        if not self._regions_wanted() or self._regions_pending == view.run_id:
            return
        # Drawing regions retrains the model: wait until the selection rests.
        self._regions_pending = view.run_id
        self.regions.show(None, None, "decision regions: computing…")
        if self._regions_timer is not None:
            self._regions_timer.stop()
        self._regions_timer = self.set_timer(REGIONS_DELAY_S, self._start_regions)

    @property
    def regions_busy(self) -> bool:
        """Decision regions are waiting to be or being computed."""
        return self._regions_pending is not None

    def _start_regions(self) -> None:
        self._regions_timer = None
        view = self.view
        if view is None or view.run_id != self._regions_pending:
            self._regions_pending = None
            if view is not None:
                self._update_regions()
            return
        self._compute_regions(view.run_id, view.params, view.dataset)

    @work(thread=True, exclusive=True, group="regions", exit_on_error=False)
    def _compute_regions(
        self, run_id: int, params: dict[str, Any], dataset: dict[str, Any]
    ) -> None:
        from core.config import RunConfig
        from core.datasets import DatasetSpec
        from core.errors import InputError
        from core.regions import decision_regions

        try:
            regions = decision_regions(
                RunConfig.from_mapping(params), DatasetSpec.from_mapping(dataset)
            )
        except InputError as error:
            self.post_message(RegionsReady(run_id, None, f"decision regions: {one_line(error)}"))
            return
        except Exception:
            self.post_message(RegionsReady(run_id, None, "decision regions: failed"))
            raise  # to the app's one error handler
        self.post_message(RegionsReady(run_id, regions, ""))

    def on_regions_ready(self, message: RegionsReady) -> None:
        self._regions_cache[message.run_id] = (message.regions, message.note)
        if self._regions_pending == message.run_id:
            self._regions_pending = None
        elif self._regions_pending is not None and self._regions_timer is None:
            self._update_regions()
        if self.view is not None and self.view.run_id == message.run_id:
            self.regions.show(message.run_id, message.regions, message.note)


#: Colours that exist among the 16 standard ones, so they read the same everywhere.
STATUS_COLORS = {
    "done": "green",
    "running": "cyan",
    "queued": "blue",
    "failed": "red",
    "diverged": "red",
    "cancelled": "yellow",
    "interrupted": "yellow",
    "pruned": "magenta",
}
VERDICT_COLORS = {
    "good fit": "green",
    "overfitting": "yellow",
    "underfitting": "magenta",
    "diverged": "red",
}


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "white")


def verdict_color(verdict: str) -> str:
    return VERDICT_COLORS.get(verdict, "white")
