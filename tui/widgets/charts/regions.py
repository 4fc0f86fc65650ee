"""Decision regions of a 2-D run: the predicted class over a grid as coloured cells,
with the test points on top as letters of their true class.

Where the grid comes from (never computed in the UI process): the worker that trained
the run predicted it and it is in the store (``core.regions``), so showing it is a
store read on a thread. A run stored before grids were kept is trained again in one
of the app's worker processes (its executor, the same pool the runs use), with its
progress shown and ``d`` (or choosing another run) cancelling it; the grid it gives is
stored, so that happens once per run.

A wide Charts pane shows this widget beside the curves. A narrow one never shows it:
``d`` puts :meth:`RegionsView.picture` in the chart's place (the chart is the
:attr:`RegionsView.stand_in`, drawn for on the reading thread too), a repaint of that
chart alone, where showing this widget instead of the curves laid the whole screen out
again (``bench/bench_regions.py``).
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import RenderResult
from textual.message import Message
from textual.visual import Visual, visualize
from textual.widget import Widget

from tui.messages import RegionsReady
from tui.usertext import one_line
from tui.widgets.charts.plots import CurvePlot, Picture, PictureTarget

if TYPE_CHECKING:
    from core.executors import RunHandle

#: Region backgrounds and point glyphs; all exist in the 16-colour palette.
REGION_COLORS = ("blue", "red", "green", "yellow", "magenta", "cyan", "white", "bright_black")
POINT_GLYPHS = "ox+*#@%&"
#: Bundled datasets with more than two features: no regions to draw.
NOT_2D = ("iris", "wine", "breast_cancer", "digits")
#: Run statuses that leave a model to draw.
FINISHED = ("done", "pruned")
#: Runs stored before grids were kept: training again is the user's choice (it takes
#: as long as the run did, on one of the workers that train the queue).
MISSING_NOTE = "decision regions: not stored with this run (an older version): d trains it again"
#: Progress of a retraining is shown at most this often.
PROGRESS_EVERY_S = 0.25
#: The header of the regions shown in a chart's place (a narrow pane).
PICTURE_TITLE = "decision regions"
PICTURE_NOTE = "d: curves"


def regions_picture(run_id: int | None, regions: Any, note: str) -> Picture:
    """The regions of run ``run_id`` (or ``note`` when there are none) as a picture
    for a chart's place: "decision regions  d: curves" on its header line."""
    header = Text(PICTURE_TITLE, style="bold")
    header.append(f"  {PICTURE_NOTE}", style="dim")

    def draw(width: int, height: int) -> Text:
        if regions is None or width < 4 or height < 3:
            return Text(note, style="dim")
        return render_regions(regions, width, height)

    return Picture(("regions", run_id, id(regions), note), header, draw)


class RegionsView(Widget):
    """Draws a ``core.regions.Regions`` object scaled to the widget's size, and finds
    the grid of the run asked for (:meth:`request`)."""

    DEFAULT_CSS = """
    RegionsView { height: 1fr; }
    """

    class Changed(Message):
        """The regions shown (or the note about them) changed."""

    class Progress(Message, bubble=False):
        def __init__(self, run_id: int, text: str) -> None:
            super().__init__()
            self.run_id = run_id
            self.text = text

    class MissingGrid(Message, bubble=False):
        """The store has no grid for this run: train it again in a worker process."""

        def __init__(self, run_id: int, params: dict[str, Any], dataset: dict[str, Any]):
            super().__init__()
            self.run_id = run_id
            self.params = params
            self.dataset = dataset

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(RegionsView.auto_links, False)  # no links: no scan per frame
        self.regions: Any = None
        self.note = "decision regions: select a finished run on a 2-D dataset"
        self.run_id: int | None = None
        self._cache: dict[int, tuple[Any, str]] = {}
        self._pending: int | None = None  # the run whose grid is being found
        self.activity = ""  # what finding it is doing now, in a few words
        self._drawn: tuple[tuple[int, int, int], Any] | None = None  # the last drawing
        #: Runs stored without a grid (older versions), with what to say about them.
        self._missing: dict[int, str] = {}
        self._handle: RunHandle | None = None  # its retraining in a worker process
        #: The chart that shows the regions in its place (a narrow pane), or None.
        self.stand_in: CurvePlot | None = None

    # -- what is shown ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A grid is being read or computed."""
        return self._pending is not None

    def missing(self, run_id: int) -> bool:
        """The store has no grid for ``run_id``: :meth:`retrain` makes one."""
        return run_id in self._missing and self._pending != run_id

    @property
    def retraining(self) -> RunHandle | None:
        """The run being trained again for its grid, if any."""
        return self._handle

    @property
    def ready(self) -> bool:
        """Regions (not just a note) are shown."""
        return self.regions is not None

    def show(self, run_id: int | None, regions: Any, note: str = "") -> None:
        if (run_id, note) == (self.run_id, self.note) and regions is self.regions:
            return  # the live charts ask 10 times a second: repaint only on a change
        self.run_id, self.regions, self.note = run_id, regions, note
        self.refresh()
        self.post_message(self.Changed())

    def picture(self) -> Picture:
        """What is shown (regions or the note about them), for a chart's place."""
        return regions_picture(self.run_id, self.regions, self.note)

    def render(self) -> RenderResult:
        regions = self.regions
        width, height = self.size
        if regions is None or width < 4 or height < 3:
            return Text(self.note, style="dim")
        key = (id(regions), width, height)
        if self._drawn is None or self._drawn[0] != key:
            self._drawn = (key, render_regions(regions, width, height))
        return self._drawn[1]

    # -- finding the grid ---------------------------------------------------------------

    def request(
        self,
        run_id: int,
        status: str,
        params: dict[str, Any],
        dataset: dict[str, Any],
        wanted: bool,
    ) -> None:
        """Show run ``run_id``'s regions: from the cache, else (when ``wanted``) read
        from the store, else trained again in a worker process."""
        name = dataset.get("name")
        if self._pending is not None and self._pending != run_id:
            self.cancel()
        if name in NOT_2D:
            self.show(run_id, None, f"decision regions: {name} is not 2-D")
            return
        if status not in FINISHED:
            self.show(run_id, None, "decision regions: when the run has finished")
            return
        cached = self._cache.get(run_id)
        if cached is not None:
            self.show(run_id, *cached)
            return
        if not wanted:
            self.show(run_id, None, "decision regions: press d")
            return
        if self._pending == run_id:
            return
        if run_id in self._missing:
            self.show(run_id, None, self._missing[run_id])
            return
        self._pending = run_id
        # For drawing on the reading thread: this widget (when it shows) and the chart
        # standing in for it, at their sizes now.
        own = (*self.size, self.visual_style) if self.display else None
        stand_in = self.stand_in
        target = (stand_in, stand_in.picture_target()) if stand_in is not None else None
        self.activity = "reading"
        self.show(run_id, None, "decision regions: reading…")
        self._read(run_id, own, target)

    def retrain(self, run_id: int, params: dict[str, Any], dataset: dict[str, Any]) -> None:
        """Train run ``run_id`` again in one of the app's worker processes for its grid
        (its progress shows here; :meth:`cancel` stops it)."""
        if self._pending is not None:
            self.cancel()
        self._pending = run_id
        self._missing.pop(run_id, None)
        self.post_message(self.MissingGrid(run_id, params, dataset))

    def forget(self) -> None:
        """Nothing to show (an overlay): stop any work for the last run."""
        self.cancel()
        self.show(None, None, "decision regions: not in overlay mode")

    def cancel(self) -> None:
        """Stop finding the grid (a retraining stops after its current epoch)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()
        if self._pending is not None:
            run_id, self._pending = self._pending, None
            note = "decision regions: cancelled; d trains the run again"
            self._missing[run_id] = note
            self.show(run_id, None, note)

    @work(thread=True, exclusive=True, group="regions-read", exit_on_error=False)
    def _read(
        self,
        run_id: int,
        own: tuple[int, int, Any] | None,
        target: tuple[CurvePlot, PictureTarget] | None,
    ) -> None:
        """Read, decode and draw the grid off the UI thread: ``own`` (width, height,
        style) draws it for this widget, ``target`` for the chart standing in for it;
        the UI thread then only shows the strips (drawing a 60x25 grid costs ~10 ms,
        longer on a busy machine: event-loop lag)."""
        from core.regions import Regions

        metrics = self.app.store.metrics(run_id) or {}
        grid = metrics.get("regions")
        if grid is not None:
            try:
                regions = Regions.from_dict(grid)
            except ValueError:
                pass  # a damaged grid: compute it again
            else:
                self._prebuild(run_id, regions, own, target)
                self.post_message(RegionsReady(run_id, regions, ""))
                return
        self.post_message(RegionsReady(run_id, None, MISSING_NOTE))

    def _prebuild(
        self,
        run_id: int,
        regions: Any,
        own: tuple[int, int, Any] | None,
        target: tuple[CurvePlot, PictureTarget] | None,
    ) -> None:
        """On the reading thread: ``regions`` drawn into strips for this widget and
        for the chart standing in for it, posted before the regions themselves (the
        same queue: they are there when the regions are shown)."""
        from tui.widgets.charts.plots import _Prebuilt

        drawn = None
        if own is not None and own[0] >= 4 and own[1] >= 3:  # else render() draws it
            width, height, style = own
            try:
                text = render_regions(regions, width, height)
                visual = visualize(self, text, markup=False)
                strips = Visual.to_strips(self, visual, width, height, style)
                drawn = ((id(regions), width, height), _Prebuilt(strips, width))
            except Exception:
                drawn = None  # render() draws it, and shows any error
        built = None
        if target is not None:
            chart, where = target
            built = (chart, chart.build_picture(regions_picture(run_id, regions, ""), where))
        if drawn is not None or built is not None:
            self.post_message(self.Drawn(drawn, built))

    class Drawn(Message, bubble=False):
        """Regions drawn on a thread: for this widget (``own``: (key, visual)) and for
        the chart standing in for it (``stand_in``: (chart, what build_picture gave))."""

        def __init__(self, own: Any, stand_in: Any) -> None:
            super().__init__()
            self.own = own
            self.stand_in = stand_in

    def on_regions_view_drawn(self, message: Drawn) -> None:
        if message.own is not None:
            self._drawn = message.own
        if message.stand_in is not None:
            chart, built = message.stand_in
            chart.keep_picture(built)

    def on_regions_view_missing_grid(self, message: MissingGrid) -> None:
        if self._pending != message.run_id:
            return
        from core.config import RunConfig
        from core.datasets import DatasetSpec
        from core.errors import PerceptuneError
        from core.worker import RunRequest

        try:
            request = RunRequest(
                message.run_id,
                RunConfig.from_mapping(message.params),
                DatasetSpec.from_mapping(message.dataset),
            )
        except PerceptuneError as error:
            self._ended(message.run_id, None, f"decision regions: {one_line(error)}")
            return
        run_id = message.run_id
        last = [0.0]

        def progress(_run_id: int, point: Any) -> None:  # an executor thread
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                self.post_message(self.Progress(run_id, f"epoch {point.epoch}"))

        self.activity = "training again in a worker"
        self.show(run_id, None, f"decision regions: {self.activity}… (d cancels)")
        self._handle = self.app.executor.submit(request, progress)
        self._handle.future.add_done_callback(lambda future: self._trained(run_id, future))

    def on_regions_view_progress(self, message: Progress) -> None:
        if self._pending == message.run_id:
            self.activity = f"training again, {message.text}"
            self.show(message.run_id, None, f"decision regions: {self.activity} (d cancels)")

    def _trained(self, run_id: int, future: Future) -> None:
        """An executor thread: the retraining ended."""
        from core.errors import StoreError
        from core.regions import Regions

        try:
            outcome = future.result()
        except Exception as error:  # a broken pool, a lost cluster
            self.post_message(RegionsReady(run_id, None, f"decision regions: {one_line(error)}"))
            return
        grid = (outcome.metrics or {}).get("regions")
        if grid is None:
            why = outcome.error or outcome.status
            note = f"decision regions: the run again ended {one_line(why, 80)}"
            self.post_message(RegionsReady(run_id, None, note))
            return
        store = self.app.store
        with contextlib.suppress(StoreError):  # shown anyway; computed again next time
            store.set_metrics(run_id, {**(store.metrics(run_id) or {}), "regions": grid})
        self.post_message(RegionsReady(run_id, Regions.from_dict(grid), ""))

    def on_regions_ready(self, message: RegionsReady) -> None:
        self._ended(message.run_id, message.regions, message.note)

    def _ended(self, run_id: int, regions: Any, note: str) -> None:
        if self._pending != run_id:
            return  # cancelled meanwhile: the note says so
        self._pending = None
        self._handle = None
        if note == MISSING_NOTE:
            self._missing[run_id] = note
        elif regions is not None or "cancel" not in note:
            self._cache[run_id] = (regions, note)
        self.show(run_id, regions, note)

    def on_unmount(self) -> None:
        self.cancel()


def regions_legend(classes: list[str], width: int = 0) -> str:
    """``test points o=0  x=1 · black: wrong``: the glyph of each class's points. In
    ``width`` cells (0: any) it drops the words "test points", then breaks the line
    before "black: wrong" rather than inside a phrase."""
    points = "  ".join(
        f"{POINT_GLYPHS[i % len(POINT_GLYPHS)]}={one_line(name, 40)}"
        for i, name in enumerate(classes)
    )
    full = f"test points {points} · black: wrong"
    if width <= 0 or len(full) <= width:
        return full
    if len(short := f"{points} · black: wrong") <= width:
        return short
    return f"{points}\nblack: wrong"


def render_regions(regions: Any, width: int, height: int) -> Text:
    """The grid scaled to ``width`` x ``height`` cells, the legend on its last rows
    (wrapped, so it is never cut)."""
    xs, ys, labels = list(regions.x), list(regions.y), regions.labels
    if not xs or not ys or not labels:
        return Text("no regions", style="dim")
    legend = regions_legend(list(regions.classes), width)
    wrapped = sum(max(1, -(-len(line) // max(width, 1))) for line in legend.split("\n"))
    legend_rows = min(wrapped, max(1, height // 3))
    height = max(1, height - legend_rows)
    n_x, n_y = len(xs), len(ys)
    # Cell (col, row) -> grid index; row 0 is the top (largest y).
    grid: list[list[int]] = []
    for row in range(height):
        j = n_y - 1 - min(n_y - 1, int(row * n_y / height))
        line = labels[j]
        grid.append([int(line[min(n_x - 1, int(col * n_x / width))]) for col in range(width)])
    points: dict[tuple[int, int], int] = {}
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    for px, py, label in zip(regions.points_x, regions.points_y, regions.points_label):
        if x1 == x0 or y1 == y0:
            break
        col = round((px - x0) / (x1 - x0) * (width - 1))
        row = round((y1 - py) / (y1 - y0) * (height - 1))
        if 0 <= col < width and 0 <= row < height:
            points[(col, row)] = int(label)
    # Styles made once, and runs of equal cells appended as one piece: a 60x25 pane
    # is then ~100 appends instead of 1,500 (it is drawn on the UI thread).
    blank = [Style(bgcolor=color) for color in REGION_COLORS]
    text = Text()
    for row, cells in enumerate(grid):
        run_class, run_length = -1, 0
        for col, cls in enumerate(cells):
            true_class = points.get((col, row))
            if true_class is None and cls == run_class:
                run_length += 1
                continue
            if run_length:
                text.append(" " * run_length, blank[run_class % len(blank)])
            run_class, run_length = cls, 0
            if true_class is None:
                run_length = 1
                continue
            run_class = -1
            glyph = POINT_GLYPHS[true_class % len(POINT_GLYPHS)]
            text.append(
                glyph,
                Style(
                    bgcolor=REGION_COLORS[cls % len(REGION_COLORS)],
                    color="bright_white" if true_class == cls else "black",
                    bold=True,
                ),
            )
        if run_length:
            text.append(" " * run_length, blank[run_class % len(blank)])
        text.append("\n")
    text.append(legend, style="dim")
    return text
