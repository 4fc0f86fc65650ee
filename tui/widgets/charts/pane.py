"""The Charts tab: train vs test accuracy per epoch of one run (live while it trains),
its loss curve, its verdict with the numbers, and the decision regions of 2-D runs;
or several marked runs overlaid, with a table of what sets them apart."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.visual import visualize
from textual.widget import Widget
from textual.widgets import Static

from tui.format import acc, verdict_color, verdict_name, verdict_numbers
from tui.usertext import one_line
from tui.widgets.charts.axes import (
    accuracy_ylim,
    epoch_ticks,
    fitted_ylim,
    int_ticks,
    stop_label,
)
from tui.widgets.charts.band import (
    CV_LABEL,
    CV_MEAN_LABEL,
    TRAIN_LABEL,
    BandLoaded,
    band_series,
    band_values,
    is_cv,
    overlay_band_series,
    read_band,
)
from tui.widgets.charts.compare import (
    compact_overlay_table,
    differing,
    overlay_table,
    run_label,
)
from tui.widgets.charts.plots import (
    LOSS_COLOR,
    OVERLAY_COLORS,
    TEST_COLOR,
    TRAIN_COLOR,
    CurvePlot,
    Series,
    rich_color,
)
from tui.widgets.charts.regions import RegionsView
from tui.widgets.charts.words import stop_sentence

if TYPE_CHECKING:
    from core.results import EpochPoint
    from core.store import RunRecord

__all__ = ["ChartsPane", "RunView", "accuracy_ylim", "int_ticks", "status_color", "verdict_color"]

#: From this width the decision regions show beside the curves.
WIDE_WIDTH = 70
#: Below this height only one chart shows (l swaps accuracy and loss): the accuracy
#: chart needs ACCURACY_ROWS and the loss chart LOSS_ROWS beside the title and verdict.
ACCURACY_ROWS, LOSS_ROWS = 12, 10  # 7 and 5 rows of curve inside the axes and labels
SHORT_HEIGHT = 2 + ACCURACY_ROWS + LOSS_ROWS + 7  # title, the charts, the verdict
#: Rows of text under the charts for the verdict (tcss #verdict max-height, less its
#: border), and in a pane narrower than WIDE_WIDTH (ChartsPane.-narrow #verdict).
VERDICT_ROWS, NARROW_VERDICT_ROWS = 6, 9
#: Below this width the overlay's table shortens its verdicts.
NARROW_TABLE = 60
#: Rows the overlay's table may take (tcss ChartsPane.-overlay #verdict max-height,
#: less its border); on a short pane at most SHORT_TABLE_ROWS, leaving its chart
#: OVERLAY_PLOT_ROWS (#accuracy-plot min-height there), else the chart keeps
#: ACCURACY_ROWS.
OVERLAY_TABLE_ROWS, SHORT_TABLE_ROWS, OVERLAY_PLOT_ROWS = 16, 10, 5
#: A live run's curves are redrawn at most this often, and at least this often
#: while they grow (see ChartsPane._plots_due).
LIVE_PLOT_MIN_S, LIVE_PLOT_MAX_AGE_S = 1.5, 3.0
#: A training CV run's band is read again this often (its folds end one by one).
BAND_READ_S = 1.0
FINISHED = ("done", "diverged", "pruned", "cancelled", "interrupted", "failed")


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

    @property
    def epochs_run(self) -> int:
        return self.curve[-1].epoch if self.curve else 0

    @property
    def stopped_early(self) -> bool:
        """Finished before its planned epochs (scikit-learn's stop, a prune, a cancel)."""
        return self.status in FINISHED and 0 < self.epochs_run < self.planned_epochs


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
        self.low = math.inf  # lowest and highest accuracy so far
        self.high = -math.inf

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
            self.low = min(self.low, point.train_accuracy, point.test_accuracy)
            self.high = max(self.high, point.train_accuracy, point.test_accuracy)
            if isfinite(point.loss):
                self.loss_epochs.append(epoch)
                self.losses.append(point.loss)
        self.last = curve[-1] if curve else None


class ChartsPane(Vertical):
    """One run's curves and verdict, or an overlay of several runs."""

    can_focus = True

    BINDINGS = [
        Binding("d", "toggle_regions", "Regions", tooltip="Show or hide the decision regions"),
        Binding("l", "toggle_loss", "Loss", tooltip="Swap the accuracy and loss charts"),
        Binding("y", "toggle_range", "0–1", tooltip="Accuracy axis: fitted to the data or 0 to 1"),
        Binding("e", "app.edit_selected", "Edit in form", tooltip="Load this run into the form"),
        Binding("p", "app.export_script", "Export .py", tooltip="Write a Python script"),
        # The overlay's table, when its runs do not all fit (its last line says so).
        Binding("down", "scroll_table(1)", "More runs", show=False),
        Binding("up", "scroll_table(-1)", "Runs above", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: RunView | None = None
        self.overlay_ids: list[int] = []
        self.full_range = False  # y: the accuracy axis spans 0 to 1
        self.draws = 0  # how often the charts were redrawn (tests check the rate)
        #: d in a narrow pane: the regions show instead of the curves (once found).
        self._regions_swap = False
        #: d in a wide pane: the regions beside the curves are hidden.
        self._regions_hidden = False
        #: The regions show in a chart's place (narrow pane, d, grid found).
        self._regions_only = False
        self._columns: _Columns | None = None
        self._undrawn = False  # show_run came while the pane was hidden
        #: (run id, status, epochs, time) of the curves drawn last by show_run.
        self._plots_drawn: tuple[int, str, int, float] | None = None
        self._overlay: tuple[list[RunRecord], dict[int, list[EpochPoint]], Any] | None = None
        self._table_parts: tuple[Any, ...] | None = None  # the overlay table's rows
        self._table_first = 0  # the first run the overlay's table shows (↓ scrolls)
        self._table_hidden = False  # some of its runs are not shown (↑/↓ reach them)
        #: CV runs' bands: run id -> (the status it was read for, when, the band).
        self._bands: dict[int, tuple[str, float, list[Any]]] = {}
        self._band_reading: int | None = None  # the run whose band a worker reads
        self._band_recheck: Timer | None = None  # a band read asked for later
        #: What the verdict was worked out for, and the content that shows it.
        self._verdict_shown: tuple[tuple[Any, ...] | None, object] = (None, None)

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

    @property
    def regions_busy(self) -> bool:
        """Decision regions are being read or computed."""
        return self.regions.busy

    @property
    def short(self) -> bool:
        """Only one of the accuracy and loss charts fits (l swaps them)."""
        return self.has_class("-short")

    # -- keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that would do nothing here are left off the key line."""
        overlay = bool(self.overlay_ids)
        if action == "toggle_regions":
            return self.view is not None and not overlay
        if action == "toggle_loss":
            # Offered while the regions show too (l then shows the other chart): the
            # key line stays the same on d, so a d press repaints the chart alone (a
            # key line repaint widens the screen area composed again to the bottom).
            return not overlay and self.short
        if action == "toggle_range":
            return self.view is not None or overlay
        if action == "scroll_table":
            return overlay and self._table_hidden
        return True

    def action_scroll_table(self, step: int) -> None:
        """Show the overlay table's next (``step`` 1) or previous (-1) run."""
        if self._table_parts is None:
            return
        last = max(0, len(self._table_parts[0]) - 1)
        first = min(last, max(0, self._table_first + step))
        if first != self._table_first:
            self._table_first = first
            self._show_table()

    def action_toggle_loss(self) -> None:
        if self._regions_only:  # the regions in a chart's place: the other chart
            self._regions_swap = False
        self.toggle_class("-loss")
        self._redraw()

    def action_toggle_range(self) -> None:
        self.full_range = not self.full_range
        self._redraw()

    def action_toggle_regions(self) -> None:
        regions, view = self.regions, self.view
        if regions.busy:  # d while they are found: cancel
            regions.cancel()
            if self._regions_swap:  # narrow: the curves show; say it on them
                self._regions_swap = False
                self.accuracy.set_note("regions cancelled")
            self._update_regions()
            return
        elif view is not None and regions.missing(view.run_id):  # d: train it again
            self._regions_hidden = False
            self._regions_swap = not self.has_class("-wide")  # shown once it is there
            regions.retrain(view.run_id, view.params, view.dataset)
        elif self.has_class("-wide"):
            self._regions_hidden = not self._regions_hidden
        else:
            self._regions_swap = not self._regions_swap
        self._update_regions()

    def _redraw(self) -> None:
        if self._overlay is not None and self.overlay_ids:
            self.show_overlay(*self._overlay)
        elif self.view is not None:
            self._plots_drawn = None
            self.show_run(self.view)
        self.refresh_bindings()

    # -- one run -------------------------------------------------------------------------

    def show_run(self, view: RunView) -> None:
        """Draw ``view`` (called at most ~10x/s by the app's redraw timer). While the
        pane is hidden (another tab shows) only the view is kept: it is drawn when the
        pane shows, so hidden charts cost the UI nothing while runs train."""
        first = self.view is None or bool(self.overlay_ids)
        self.view = view
        if self.overlay_ids:
            self.overlay_ids = []
            self._overlay = self._table_parts = None
            self.remove_class("-overlay")
        if first:
            self.refresh_bindings()
        if not all(node.display for node in self.ancestors_with_self if isinstance(node, Widget)):
            self._undrawn = True
            return
        self._undrawn = False
        curve = view.curve
        columns = self._columns
        if columns is None or not columns.extends(view.run_id, curve):
            columns = self._columns = _Columns(view.run_id)
        columns.extend(curve)
        if is_cv(view.dataset):
            self._want_band(view)
        if self._plots_due(view):
            self._draw_plots(view, columns)
        self._set_text("#chart-title", self._title(view, self._title_width()))
        self._show_verdict(view)
        self._update_regions()

    def _show_verdict(self, view: RunView) -> None:
        """The verdict under the charts, worked out again only when what it says or
        the width changed (not on every redraw tick of a live run), or when something
        else was shown there meanwhile (the overlay's table)."""
        verdict = repr(view.verdict) if view.verdict else ""
        epochs = view.epochs_run if view.stop_reason else 0
        static = self.query_one("#verdict", Static)
        key = (view.run_id, view.status, view.error, view.stop_reason, verdict, epochs,
               view.planned_epochs, static.content_region.width, self.size.width)  # fmt: skip
        shown = self._verdict_shown
        if key != shown[0] or static.content is not shown[1]:
            self._set_text("#verdict", self._fitted_verdict(view))
            self._verdict_shown = (key, static.content)

    def _plots_due(self, view: RunView) -> bool:
        """Whether the curves must be drawn again for ``view``.

        A live run is redrawn once its curve has grown by a column's worth of epochs
        but at most every LIVE_PLOT_MIN_S, or LIVE_PLOT_MAX_AGE_S after the last draw
        if it grew less: a 20,000-epoch run on an 80-column chart moves a column every
        ~250 epochs, so 10 redraws a second showed the same picture and cost the UI
        process about a fifth of a core (``bench/bench_tui_lag.py``); a redraw of both
        charts costs ~20 ms of CPU (plotext's build: ~8 ms a chart), ~1 % of a core at
        one every 1.5 s, hence the cap and the column (a dot, half a column, redrew
        every 1.5 s at 120 epochs a second). Anything else (another run, a new status)
        draws at once.
        """
        now = time.monotonic()
        drawn = self._plots_drawn
        if drawn is not None and view.status == "running" and drawn[:2] == (view.run_id, "running"):
            column = view.planned_epochs / max(1, self.accuracy.size.width)
            grown, age = len(view.curve) - drawn[2], now - drawn[3]
            moved = grown >= column and age >= LIVE_PLOT_MIN_S
            if not moved and (grown <= 0 or age < LIVE_PLOT_MAX_AGE_S):
                return False
        self._plots_drawn = (view.run_id, view.status, len(view.curve), now)
        return True

    def _draw_plots(self, view: RunView, columns: _Columns) -> None:
        self.draws += 1
        epochs = tuple(columns.epochs)
        last = int(epochs[-1]) if epochs else 1
        # A finished run's axis spans the epochs it ran; a live one's those planned.
        end = last if view.status in FINISHED else max(view.planned_epochs, last)
        xlim = (1.0, float(max(end, 2)))
        stopped_at = view.epochs_run if view.stopped_early else None
        ticks = epoch_ticks(xlim, stopped_at)
        xlabel = stop_label(view.epochs_run, view.planned_epochs) if stopped_at else "epoch"
        cv, band = is_cv(view.dataset), self._band_of(view)
        labels = (TRAIN_LABEL, CV_LABEL) if band else ("train", CV_MEAN_LABEL if cv else "test")
        self.accuracy.draw(
            [
                *band_series(band, self.app.current_theme.dark),  # under the mean lines
                Series(labels[0], epochs, tuple(columns.train), TRAIN_COLOR),
                Series(labels[1], epochs, tuple(columns.test), TEST_COLOR),
            ],
            xlim=xlim,
            ylim=fitted_ylim((columns.low, columns.high, *band_values(band)), self.full_range),
            title="accuracy",
            note=" · ".join(n for n in (self._range_note(), "l: loss" if self.short else "") if n),
            xlabel=xlabel,
        )
        self.loss.draw(
            [Series("loss", tuple(columns.loss_epochs), tuple(columns.losses), LOSS_COLOR)],
            xlim=xlim,
            title="loss",
            legend=False,  # one line: the title names it
            note="l: accuracy" if self.short else "",
            xlabel=xlabel,
        )
        for plot in (self.accuracy, self.loss):
            if plot.series:
                plot.set_xticks(*ticks)

    # -- a CV run's band ------------------------------------------------------------------

    def _band_of(self, view: RunView) -> list[Any]:
        """The band read for ``view``'s run (empty: none, or not read yet)."""
        found = self._bands.get(view.run_id)
        return found[2] if found is not None else []

    def _want_band(self, view: RunView) -> None:
        """Read ``view``'s band in a thread worker when it may have changed: not read
        yet, read for another status, or every BAND_READ_S while the run trains."""
        found = self._bands.get(view.run_id)
        now = time.monotonic()
        age = now - (found[1] if found else 0.0)
        fresh = view.status != "running" or age < BAND_READ_S
        if found is not None and found[0] == view.status and fresh:
            if view.status == "running" and self._band_recheck is None:
                # Asked too soon: look again when it is due, in case nothing else asks
                # (a run that moves no more until its end would keep an old band).
                self._band_recheck = self.set_timer(BAND_READ_S - age, self._recheck_band)
            return
        if self._band_reading == view.run_id:
            return
        self._band_reading = view.run_id
        self._bands[view.run_id] = (view.status, now, found[2] if found else [])
        self._read_band(view.run_id, view.status, view.planned_epochs)

    def _recheck_band(self) -> None:
        self._band_recheck = None
        view = self.view
        if view is not None and not self.overlay_ids and is_cv(view.dataset):
            self._want_band(view)

    @work(thread=True, group="cv-band", exit_on_error=False, name="Reading band")
    def _read_band(self, run_id: int, status: str, epochs: int) -> None:
        try:
            band = read_band(self.app.store, run_id, epochs)  # type: ignore[attr-defined]
        except Exception:  # a store being written: the next read tries again
            band = []
        self.post_message(BandLoaded(run_id, status, band))

    def on_band_loaded(self, message: BandLoaded) -> None:
        self._band_reading = None
        old = self._bands.get(message.run_id)
        self._bands[message.run_id] = (message.status, time.monotonic(), message.band)
        view = self.view
        shown = view is not None and view.run_id == message.run_id and not self.overlay_ids
        if shown and (old is None or old[2] != message.band):
            assert view is not None
            self._plots_drawn = None  # draw the new band now
            self.show_run(view)
        if view is not None and view.run_id == message.run_id and view.status != message.status:
            # The run ended while its band was read mid-run: read the final band (a
            # request made meanwhile was skipped because this read was in flight).
            self._want_band(view)

    def _range_note(self) -> str:
        return "y: 0 to 1" if self.full_range else ""

    def _set_text(self, selector: str, text: Text) -> None:
        """Update a Static above or below the charts, 10 times a second while a run
        trains. Nothing when the text is the same; no layout pass (the whole screen,
        a few ms) when its height stays the same."""
        static = self.query_one(selector, Static)
        old = static.content
        if isinstance(old, Text) and old == text:
            return
        width = static.content_region.width
        layout = True
        if width > 0:
            rows, old_rows = _rows(text, width), _rows(old, width)
            if rows is None or old_rows is None:  # wrapped: as Textual counts
                rules = static.styles
                rows = visualize(static, text, markup=False).get_height(rules, width)
                old_rows = static.visual.get_height(rules, width)
            layout = rows != old_rows
        static.update(text, layout=layout)

    def _refit(self) -> None:
        """The title and the verdict again, for a new width."""
        if self.view is not None and not self.overlay_ids:
            self._set_text("#chart-title", self._title(self.view, self._title_width()))
            self._set_text("#verdict", self._fitted_verdict(self.view))

    def _title_width(self) -> int:
        """The title's width in cells (0 before the first layout)."""
        return self.query_one("#chart-title", Static).content_region.width

    @staticmethod
    def _title(view: RunView, width: int = 0) -> Text:
        """The run's name, data, status, epochs and last scores on one line; in a pane
        narrower than that (``width`` cells), on two, each cut to the width: the status
        and the scores whole on the second, the name and data cut with "…" on the first
        (a title wrapped by Textual lost its scores at 80x24)."""
        name = f"{one_line(view.label)} · {one_line(view.dataset_label)}"
        one = ChartsPane._title_parts(view, f"#{view.run_id} ", f"{name} · ", "epoch ")
        if width <= 0 or one.cell_len <= width:
            return one
        head = f"#{view.run_id} "
        rest = one_line(name, max(1, width - len(head)))
        # The second line: the words "epoch" and " · " go first when it is too long.
        for sep, epoch in ((" · ", "epoch "), (" · ", ""), (" ", "")):
            two = ChartsPane._title_parts(view, head, f"{rest}\n", epoch, sep)
            if max(Text(line).cell_len for line in two.plain.split("\n")) <= width:
                break
        return two

    @staticmethod
    def _title_parts(view: RunView, head: str, name: str, epoch: str, sep: str = " · ") -> Text:
        text = Text()
        text.append(head, style="bold")
        text.append(name)
        text.append(view.status, style=f"bold {status_color(view.status)}")
        text.append(f"{sep}{epoch}{view.epochs_run}/{view.planned_epochs}")
        if view.curve:
            last = view.curve[-1]
            # The words in their curves' colours: the title line is the legend too.
            text.append(sep)
            text.append("train", style=f"bold {rich_color(TRAIN_COLOR)}")
            text.append(f" {acc(last.train_accuracy)} ")
            # A CV run's test line is its folds' mean validation accuracy.
            word = "cv" if is_cv(view.dataset) else "test"
            text.append(word, style=f"bold {rich_color(TEST_COLOR)}")
            text.append(f" {acc(last.test_accuracy)}")
        return text

    def _fitted_verdict(self, view: RunView) -> Text:
        """The verdict text for the pane's width: the numbers line (train, test and gap
        are in the summary too) is left out when all would not fit in VERDICT_ROWS, so
        the verdict and why it stopped are never the lines cut; a narrow pane gives the
        verdict up to NARROW_VERDICT_ROWS rows."""
        text = self._verdict_text(view)
        static = self.query_one("#verdict", Static)
        width = static.content_region.width
        if width <= 0:
            return text
        narrow = self.size.width < WIDE_WIDTH
        self.set_class(narrow, "-narrow")
        rows = NARROW_VERDICT_ROWS if narrow else VERDICT_ROWS

        def height(candidate: Text) -> int:
            return visualize(static, candidate, markup=False).get_height(static.styles, width)

        if height(text) > rows:
            short = self._verdict_text(view, numbers=False)
            if height(short) < height(text):
                return short
        return text

    @staticmethod
    def _verdict_text(view: RunView, numbers: bool = True) -> Text:
        text = Text()
        if view.error:
            text.append("failed: ", style="bold red")
            text.append(one_line(view.error))
            return text
        if view.verdict:
            name = verdict_name(view.verdict)
            summary = one_line(str(view.verdict.get("summary", ""))) or name
            style = f"bold {verdict_color(name)}"
            if summary.startswith(name):
                text.append(name, style=style)
                text.append(summary[len(name) :])
            else:
                text.append(name, style=style)
                text.append(f": {summary}")
        elif view.status == "running":
            text.append("training… the verdict appears when the run ends", style="dim")
        elif view.status == "queued":
            text.append("waiting in the queue", style="dim")
        # Why it ended, in full, before the numbers (the first thing cut when short).
        sentence = stop_sentence(
            view.stop_reason, view.status, view.epochs_run, view.planned_epochs
        )
        if sentence.startswith("ran all"):
            sentence = ""  # the title's "epoch 40/40" says it: the row goes to the chart
        if sentence:
            text.append(f"\n{sentence}" if text else sentence)
        line = verdict_numbers(view.verdict) if numbers else ""
        if line:
            text.append(f"\n{line}", style="dim")
        return text

    # -- overlay ---------------------------------------------------------------------------

    def show_overlay(
        self,
        records: list[RunRecord],
        curves: dict[int, list[EpochPoint]],
        bands: dict[int, list[Any]] | None = None,
    ) -> None:
        """Every run's test curve (a line) and train curve (dots) in its own colour on
        one chart spanning the longest run, and a table of what differs, the scores
        and the verdicts under it. ``bands``: the CV runs' bands (run id -> band),
        drawn as dotted mean ± std lines in a shade of the run's colour."""
        self.view = None
        self._plots_drawn = None
        self._columns = None
        bands = bands or {}
        self._overlay = (records, curves, bands)
        self.overlay_ids = [r.id for r in records]
        self.add_class("-overlay")
        self.regions.forget()
        self._sync_regions_classes()  # hidden in the overlay
        names = differing(records)
        series: list[Series] = []
        colors: list[str] = []
        planned: dict[int, int] = {}
        xmax = 2.0
        every: list[EpochPoint] = []
        edges: list[float] = []  # the bands' edges, for the accuracy axis
        for index, record in enumerate(records):
            curve = curves.get(record.id, [])
            every.extend(curve)
            color = OVERLAY_COLORS[index % len(OVERLAY_COLORS)]
            colors.append(rich_color(color, self.accuracy.dark))
            planned[record.id] = int(record.params.get("epochs") or 0)
            epochs = tuple(float(p.epoch) for p in curve)
            if not epochs:
                continue
            xmax = max(xmax, epochs[-1])
            band = bands.get(record.id, [])
            series[:0] = overlay_band_series(band, color, self.accuracy.dark)  # under the lines
            edges.extend(band_values(band, train=False))
            label = run_label(record, names)
            series.append(Series(label, epochs, tuple(p.test_accuracy for p in curve), color))
            series.append(
                Series("", epochs, tuple(p.train_accuracy for p in curve), color, dotted=True)
            )
        xlim = (1.0, xmax)
        self.draws += 1
        self.accuracy.draw(
            series,
            xlim=xlim,
            ylim=accuracy_ylim(every, self.full_range, edges),
            title="━ test/cv  • train  · cv ± std" if edges else "━ test  • train",
            note=self._range_note(),
            legend=False,
        )
        self.loss.draw([], title="")
        if self.accuracy.series:
            self.accuracy.set_xticks(*epoch_ticks(xlim, None))
        title = Text()
        title.append(f"Overlay of {len(records)} runs", style="bold")
        if names:
            what = ", ".join("dataset" if n == "data" else n for n in names)
            title.append(f" · they differ in {one_line(what, 60)}")
        self.query_one("#chart-title", Static).update(title)
        self._table_parts = (records, colors, names, planned)
        self._table_first = 0
        self._show_table()
        self.call_after_refresh(self._show_table)  # for the size it is laid out at
        self.refresh_bindings()

    def _show_table(self) -> None:
        """The overlay's table, for the pane's width and height (drawn again when they
        change): as many runs as fit, from ``_table_first``; when some do not, its last
        line says how many are above and below and that ↑/↓ reach them."""
        if self._table_parts is None:
            return
        records, colors, names, planned = self._table_parts
        narrow = self.size.width < NARROW_TABLE
        static = self.query_one("#verdict", Static)
        width = static.content_region.width
        total = len(records)
        first = min(self._table_first, max(0, total - 1))

        def table(start: int, count: int, hint: bool) -> Group:
            end = start + count
            rows = (records[start:end], colors[start:end], names, planned)
            shown: Any = (
                compact_overlay_table(*rows, width)
                if narrow and width > 0
                else overlay_table(*rows, narrow=narrow)
            )
            if not hint:
                return Group(shown)
            words = []
            if start:
                words.append(f"↑ {start} above")
            if end < total:
                words.append(f"+{total - end} more ↓")
            return Group(shown, Text(f"{' · '.join(words)}  (↑↓ scroll)", style="dim"))

        if width <= 0:  # not laid out yet: all of it (drawn again once it is)
            group, hidden = table(0, total, False), False
        else:
            title = self.query_one("#chart-title", Static).outer_size.height
            rows = self.size.height - title - 1  # less the table's border
            short = min(SHORT_TABLE_ROWS, rows - OVERLAY_PLOT_ROWS)
            room = min(OVERLAY_TABLE_ROWS, max(rows - ACCURACY_ROWS, short))

            def height(candidate: Group) -> int:
                return visualize(static, candidate, markup=False).get_height(static.styles, width)

            # Scrolled down, and now taller: runs above come back while all fit.
            while first > 0 and height(table(first - 1, total - first + 1, first > 1)) <= room:
                first -= 1
            group, hidden = table(first, total - first, first > 0), first > 0
            if height(group) > room:  # fewer runs, and the line that says so
                for count in range(total - first - 1, 0, -1):
                    group, hidden = table(first, count, True), True
                    if height(group) <= room:
                        break
        self._table_first = first
        static.update(group)
        if hidden != self._table_hidden:
            self._table_hidden = hidden
            self.refresh_bindings()

    # -- decision regions ----------------------------------------------------------------

    def on_show(self) -> None:
        if self._undrawn and self.view is not None:
            self.show_run(self.view)

    def on_resize(self, event: events.Resize) -> None:
        width, height = event.size
        self.set_class(width >= WIDE_WIDTH, "-wide")
        self._show_table()
        if self.view is not None:  # one line or two, cut to the new width once laid out
            self.call_after_refresh(self._refit)
        short = height < SHORT_HEIGHT
        if short != self.short:
            self.set_class(short, "-short")
            # Never carry a swap made on a short screen into a later one: tall, both
            # charts show; short again, accuracy comes first.
            self.remove_class("-loss")
            self.refresh_bindings()
            if self.view is not None:
                self._plots_drawn = None
                self.call_after_refresh(self._redraw)
        self._update_regions()

    def _regions_wanted(self) -> bool:
        if self.has_class("-wide"):
            return not self._regions_hidden
        return self._regions_swap

    def _update_regions(self) -> None:
        view = self.view
        if view is None:
            return
        # The chart the regions would show in (a narrow pane): drawn for on the thread
        # that reads them.
        narrow = not self.has_class("-wide") and not self.overlay_ids
        self.regions.stand_in = self._picture_chart() if narrow else None
        self.regions.request(
            view.run_id, view.status, view.params, view.dataset, self._regions_wanted()
        )
        self._sync_regions_classes()

    def on_regions_view_changed(self, message: RegionsView.Changed) -> None:
        message.stop()
        self._sync_regions_classes()

    def _picture_chart(self) -> CurvePlot:
        """The chart a narrow pane shows the regions in: the one showing (a short pane
        shows one of the two, l swaps them), else accuracy."""
        return self.loss if self.short and self.has_class("-loss") else self.accuracy

    def _sync_regions_classes(self) -> None:
        """Beside the curves (wide) unless hidden; in place of them (narrow, d) once
        there is something to show: the curves stay while the grid is read (a few
        milliseconds) or the run is trained again for it (with its progress).

        A narrow pane's ``d`` changes what a chart shows (the regions as a picture in
        the curves' place), never which widgets show: showing or hiding one lays the
        whole screen out again and repaints it (~45 ms a press, at the lag target's
        expense: ``bench/bench_regions.py``); the chart's size stays, so only it
        repaints. A wide pane's ``d`` hides or shows the regions beside the curves
        (their width changes: that is a layout)."""
        wide = self.has_class("-wide")
        regions = self.regions
        overlay = bool(self.overlay_ids)
        self.set_class(wide, "-regions-beside")
        beside = wide and not overlay and not self._regions_hidden
        if regions.display != beside:
            regions.display = beside
        chart = self._picture_chart()
        other = self.accuracy if chart is self.loss else self.loss
        regions.stand_in = None if wide or overlay else chart
        only = not wide and not overlay and self._regions_swap and not regions.busy
        reading = regions.busy and regions.retraining is None and not overlay
        if not (reading and self._regions_swap and not wide):
            # While the grid is read, what shows stays (the curves, or another run's
            # regions) until it is there: one repaint, not two.
            chart.show_picture(regions.picture() if only else None)
        other.show_picture(None)
        self._regions_only = only
        if not wide and self._regions_swap and regions.retraining is not None:
            # Only a retraining says so on the curves: a store read takes milliseconds,
            # and changing the chart's header means building it again.
            self.accuracy.set_note(f"regions: {regions.activity} (d cancels)")
        elif self.accuracy.note.startswith("regions: "):
            self._plots_drawn = None
            if self.view is not None:
                self.show_run(self.view)


def _rows(text: object, width: int) -> int | None:
    """Rows ``text`` takes in ``width`` cells when none of its lines wraps (the title
    is cut to the width: the usual case), else None."""
    if not isinstance(text, Text) or not text.plain:
        return None  # (Textual gives empty content no rows)
    lines = text.plain.split("\n")
    return len(lines) if all(cell_len(line) <= width for line in lines) else None


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


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "white")
