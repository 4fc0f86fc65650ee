"""Plotext charts that keep their data as plain series and survive tiny sizes.

plotext traps handled here: ``clear_data()`` also resets the axis limits (they are
set again after it); a labelled series without points crashes ``build()`` (empty
series are never plotted); colours are always given. ``plt`` is only touched on the
UI thread (from :meth:`CurvePlot.draw`).

Cost (``bench/bench_tui_lag.py``): plotext builds a chart in Python, about 4 ms
plus 11 ms per 1,000 points, and turning its output into Textual strips costs as much
again; done on the event loop 10 times a second while runs train, that stalled keys
and timers. So a series longer than two points per column is thinned to each column's
lowest and highest point (the same picture: a column shows no more); a new draw is
built on a thread from a snapshot of the series, on a figure of its own, while the
UI keeps showing the previous frame; and a built chart is reused until its data,
size or theme changes. Only the first frame, a new size or theme, and direct use of
``plt`` build on the UI thread, as before.

A chart can also show a :class:`Picture` in place of its curves (the decision regions
in a narrow Charts pane): a change of content in a widget whose size stays the same,
so Textual repaints that widget alone. Showing or hiding a widget instead lays the
whole screen out again and repaints it (~45 ms a swap, ``bench/bench_regions.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import RenderResult
from textual.css.styles import RulesMap
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual, visualize
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

#: Colours (plotext names) that exist in the 16-colour palette and read on dark and
#: light themes.
TRAIN_COLOR = "cyan"
TEST_COLOR = "red"
LOSS_COLOR = "orange"  # plotext's name for the palette's yellow
#: One colour per run when several runs share a chart: never the train or test colour,
#: so a run's colour is never read as "train" or "test".
OVERLAY_COLORS = ("green", "magenta", "orange", "blue+", "white", "green+", "magenta+", "gray")
MIN_WIDTH = 16
MIN_HEIGHT = 5
#: Columns between two dots of a dotted series (a train curve in the overlay).
DOT_SPACING = 3


#: On a light theme, the colours that would vanish into the background: yellow
#: (plotext's "orange": the loss, an overlay run) and white (an overlay run).
LIGHT_SWAPS = {"orange": "black", "white": "blue"}


def readable(color: str, dark: bool = True) -> str:
    """``color`` (a plotext name), or what replaces it on a light theme (``dark``
    False) where it would not read: :data:`LIGHT_SWAPS`."""
    return color if dark else LIGHT_SWAPS.get(color, color)


def rich_color(color: str, dark: bool = True) -> str:
    """The Rich name of a plotext colour, for legends drawn next to a chart (``dark``:
    the theme is dark; on a light one, :func:`readable` first)."""
    color = readable(color, dark)
    special = {"gray": "bright_black", "gray+": "white", "orange": "yellow"}
    if color in special:
        return special[color]
    base = color.rstrip("+").replace("orange", "yellow")
    return f"bright_{base}" if color.endswith("+") else base


@dataclass(frozen=True)
class Series:
    """One line of a chart; ``dotted`` draws it as spaced dots instead of a line."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    color: str
    dotted: bool = False


def legend_text(series: Sequence[Series], dark: bool = True) -> Text:
    """``━ train  ━ test`` in the series' colours (``• `` for dotted ones); ``dark``:
    the theme is dark (see :func:`readable`)."""
    text = Text()
    for index, s in enumerate(series):
        if not s.label:
            continue
        if index:
            text.append("  ")
        text.append("• " if s.dotted else "━ ", style=f"bold {rich_color(s.color, dark)}")
        text.append(s.label)
    return text


def spaced(
    xs: Sequence[float], ys: Sequence[float], columns: int
) -> tuple[list[float], list[float]]:
    """Every k-th point, about :data:`DOT_SPACING` columns apart (last point kept)."""
    n = len(xs)
    step = max(1, round(n * DOT_SPACING / max(columns, 1)))
    keep = list(range(0, n, step))
    if keep and keep[-1] != n - 1:
        keep.append(n - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def thin(xs: Sequence[float], ys: Sequence[float], columns: int) -> tuple[list[float], list[float]]:
    """At most about ``2 * columns`` points that draw the same line in ``columns``
    columns: each column's share keeps its lowest and highest point (in x order), and
    the first and last points stay."""
    n = len(xs)
    if columns < 1 or n <= 2 * columns + 2:
        return list(xs), list(ys)
    values = list(ys)
    keep = {0, n - 1}
    for column in range(columns):
        low, high = column * n // columns, (column + 1) * n // columns
        part = values[low:high]
        keep.add(low + part.index(min(part)))
        keep.add(low + part.index(max(part)))
    order = sorted(keep)
    return [xs[i] for i in order], [values[i] for i in order]


@dataclass(frozen=True, eq=False)
class Picture:
    """Something a chart shows in place of its curves, under a header line.

    ``key`` names what it shows (two pictures with the same key draw the same);
    ``header`` is the line above it (what it is, which key goes back); ``draw(width,
    height)`` draws the rest of the chart's cells and must be safe on any thread (it
    runs on one, see :meth:`CurvePlot.build_picture`)."""

    key: Hashable
    header: Text
    draw: Callable[[int, int], Text]


def picture_frame(picture: Picture, width: int, height: int) -> Text:
    """``picture``'s header line (cut to ``width``), then its drawing below it."""
    text = picture.header.copy()
    text.truncate(width)
    text.append("\n")
    text.append_text(picture.draw(width, max(1, height - 1)))
    return text


#: Where a picture is drawn: (width, height, app theme, the widget's visual style).
PictureTarget = tuple[int, int, str, Style]
#: Pictures drawn for a chart that are kept (sizes and pictures it showed lately).
KEEP_PICTURES = 6


#: What a figure is made of: (dotted, xs, ys, colour) per series, already thinned.
Plotted = list[tuple[bool, list[float], list[float], str]]


class _Prebuilt(Visual):
    """Strips built off the UI thread, handed to Textual as they are."""

    def __init__(self, strips: list[Strip], width: int) -> None:
        self.strips = strips
        self.width = width

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.strips)


def _configure(
    plt: Plot,
    header: Text,
    xlabel: str,
    ylabel: str,
    plotted: Plotted,
    xlim: tuple[float, float] | None,
    ylim: tuple[float, float] | None,
    xticks: tuple[list[float], list[str]] | None,
) -> None:
    # No plotext title or legend: the header line above the plot (title and legend in
    # colour) says what is drawn, so nothing covers the data.
    plt.clear_data()
    plt.clear_figure()
    plt.xlabel(xlabel)
    if ylabel:
        plt.ylabel(ylabel)
    for dotted, xs, ys, color in plotted:
        if len(xs) == 1 or dotted:
            plt.scatter(xs, ys, color=color, marker="dot" if dotted else "●")
        else:
            plt.plot(xs, ys, color=color, marker="braille")
    # After clear_data(): limits were reset and must be set again.
    if xlim is not None and xlim[1] > xlim[0]:
        plt.xlim(*xlim)
    if ylim is not None and ylim[1] > ylim[0]:
        plt.ylim(*ylim)
    if xticks is not None:
        plt.xticks(*xticks)


def _frame(plt: Plot, header: Text, width: int, height: int, theme: str) -> Text:
    """The header line, then the plot in the rest of ``height``."""
    plt.plotsize(width, height - 1)
    plt._set_size(width, height - 1)  # as PlotextPlot.render does
    plt.theme(theme)
    text = header.copy()
    text.truncate(width)
    text.append("\n")
    text.append_text(Text.from_ansi(plt.build()))
    return text


class CurvePlot(PlotextPlot):
    """A line chart of :class:`Series` under a header line (its title, the legend and
    a note); :attr:`series` is what it currently shows."""

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
        # A chart has no links: without this Textual scans every line of every frame
        # for them on the UI thread (~0.5 ms a frame of the regions at 100x30).
        self.set_reactive(CurvePlot.auto_links, False)
        self.chart_title = title
        self.ylabel = ylabel
        self.note = ""  # said at the end of the header line (e.g. which key swaps)
        self.xlabel = "epoch"  # under the x-axis
        self.legend = True  # the series' labels in the header line
        self.series: list[Series] = []
        self.xlim: tuple[float, float] | None = None
        self.ylim: tuple[float, float] | None = None
        self.empty_text = "no data yet"
        self._xticks: tuple[list[float], list[str]] | None = None
        self._plotted: Plotted = []
        self._figure_stale = False  # ``_plot`` does not show ``_plotted`` yet
        self._figure_dark = True  # the theme ``_plot``'s colours were chosen for
        self._thinned_for = 0  # the width (columns) the plotted points were thinned for
        self._version = 0  # bumped whenever the figure changes
        self._external = False  # ``plt`` was used directly: build on the UI thread
        self._built: tuple[tuple[Any, ...], Any] | None = None  # (key, Text or _Prebuilt)
        self._wanted = False  # a thread build is due for the current version
        self._building = False  # a thread build is running
        self._start_queued = False
        #: What shows in place of the curves (None: the curves).
        self.picture: Picture | None = None
        #: Pictures drawn, by (picture key, width, height, theme): a swap back shows at once.
        self._pictures: dict[tuple[Any, ...], Any] = {}
        self._picture_building: tuple[Any, ...] | None = None  # drawn on a thread now

    @property
    def plt(self) -> Plot:
        """The plotext figure (UI thread only). Changing it directly works as before:
        the chart is then built on the UI thread."""
        self._sync_figure()
        self._version += 1
        self._external = True
        return self._plot

    def draw(
        self,
        series: list[Series],
        *,
        xlim: tuple[float, float] | None = None,
        ylim: tuple[float, float] | None = None,
        title: str | None = None,
        note: str | None = None,
        xlabel: str = "epoch",
        legend: bool = True,
    ) -> None:
        """Replace the chart's series and redraw (UI thread only). ``title`` and
        ``note`` (when given) replace the header line's words; ``xlabel`` is said
        under the x-axis; ``legend`` puts the series' labels in the header line."""
        self.xlabel = xlabel
        self.legend = legend
        self.series = [s for s in series if s.xs]
        self.xlim, self.ylim = xlim, ylim
        if title is not None:
            self.chart_title = title
        if note is not None:
            self.note = note
        self._xticks = None
        self._plot_series()

    def set_note(self, note: str) -> None:
        """Change the words at the end of the header line (UI thread only)."""
        if note != self.note:
            self.note = note
            self._figure_stale = True
            self._changed()

    def set_xticks(self, ticks: list[float], labels: list[str]) -> None:
        """x-axis ticks for the current series (kept when the chart is thinned again)."""
        self._xticks = (list(ticks), list(labels))
        self._figure_stale = True
        self._changed()

    def _plot_series(self) -> None:
        columns = self.size.width or self.app.size.width
        self._thinned_for = columns
        self._plotted = []
        for s in self.series:
            xs, ys = spaced(s.xs, s.ys, columns) if s.dotted else thin(s.xs, s.ys, columns)
            self._plotted.append((s.dotted, xs, ys, s.color))
        self._figure_stale = True
        self._external = False
        self._changed()

    def header(self) -> Text:
        """The line above the plot: title, legend, note."""
        text = Text(self.chart_title, style="bold")
        legend = legend_text(self.series, self.dark) if self.legend else None
        if legend:
            text.append("  ")
            text.append_text(legend)
        if self.note:
            text.append(f"  {self.note}", style="dim")
        return text

    @property
    def dark(self) -> bool:
        """Whether the app's theme is dark (colours that vanish on a light one are
        swapped: :func:`readable`)."""
        try:
            return bool(self.app.current_theme.dark)
        except Exception:  # no app yet (a chart built outside one)
            return True

    def _figure(self) -> tuple[Any, ...]:
        dark = self.dark
        self._figure_dark = dark
        return (
            self.header(),
            self.xlabel,
            self.ylabel,
            [(dotted, xs, ys, readable(color, dark)) for dotted, xs, ys, color in self._plotted],
            self.xlim,
            self.ylim,
            self._xticks,
        )

    def _sync_figure(self) -> None:
        """Bring ``_plot`` up to date (only needed when the UI thread builds or ``plt``
        is used: configuring a plotext figure costs a few ms)."""
        if self._figure_stale or self._figure_dark != self.dark:  # or the theme changed
            self._figure_stale = False
            _configure(self._plot, *self._figure())

    def _changed(self) -> None:
        self._version += 1
        self._wanted = True
        if not self._start_queued:
            # After the caller's other changes (ticks): build them all at once. The
            # repaint comes with the new frame (or from _start_build if it is not
            # built on a thread): repainting the old one meanwhile costs the UI thread.
            self._start_queued = True
            self.call_later(self._start_build)

    def on_resize(self, event: events.Resize) -> None:
        # Dotted series are spaced for a width, whichever way it changes (drawn before
        # the first layout, they were spaced for the app's width); lines thinned for a
        # narrower width are thinned again when it grows.
        width = event.size.width
        if width == self._thinned_for:
            return
        wider = width > self._thinned_for and any(
            len(s.xs) > 2 * self._thinned_for + 2 for s in self.series
        )
        if wider or any(s.dotted for s in self.series):
            self._plot_series()

    def _key(self) -> tuple[Any, ...]:
        width, height = self.size
        return (width, height, self.app.theme, self.theme, self._version)

    def _start_build(self) -> None:
        self._start_queued = False
        if self._building or not self._wanted or self.picture is not None:
            # The running build starts the next one when it ends; curves hidden by a
            # picture are built when it goes (show_picture(None)).
            return
        width, height = self.size
        if (
            self._external
            or not self.series
            or width < MIN_WIDTH
            or height < MIN_HEIGHT
            or not self.is_attached
        ):
            self._wanted = False
            self.refresh()  # render() builds on the UI thread if it must
            return
        self._wanted = False
        self._building = True
        self._build(
            self._key(),
            self._figure(),
            self._get_plotext_theme_name(self.app.theme),
            self.visual_style,
        )

    @work(thread=True, group="chart-build", exit_on_error=False, name="Drawing chart")
    def _build(
        self, key: tuple[Any, ...], figure: tuple[Any, ...], theme: str, style: Style
    ) -> None:
        width, height = key[0], key[1]
        result: _Prebuilt | None = None
        try:
            plt = Plot()
            _configure(plt, *figure)
            visual = visualize(self, _frame(plt, figure[0], width, height, theme), markup=False)
            result = _Prebuilt(Visual.to_strips(self, visual, width, height, style), width)
        except Exception:
            result = None  # render() tries again on the UI thread and shows the error
        self.post_message(self.Built(key, result))  # thread-safe, never blocks

    class Built(Message):
        """A frame built on a thread (or None if that failed)."""

        bubble = False

        def __init__(self, key: tuple[Any, ...], result: _Prebuilt | None) -> None:
            super().__init__()
            self.key = key
            self.result = result

    def on_curve_plot_built(self, message: Built) -> None:
        self._building = False
        if message.result is not None and message.key == self._key():
            self._built = (message.key, message.result)
        if self._wanted:
            self._start_build()
        self.refresh()

    # -- a picture in place of the curves ---------------------------------------------------

    def show_picture(self, picture: Picture | None) -> None:
        """Show ``picture`` in place of the curves (None: the curves again), UI thread
        only. Only this widget repaints (its size does not change: no layout). A
        picture already drawn for this size (:meth:`keep_picture`) shows at once;
        otherwise it is drawn on a thread while the current frame stays up."""
        old = self.picture
        if picture is None and old is None:
            return
        if picture is not None and old is not None and picture.key == old.key:
            return
        self.picture = picture
        if picture is None:
            if self._wanted:  # the curves changed while hidden: build them now
                self._start_build()
            self.refresh()
            return
        target = self.picture_target()
        key = self._picture_key(picture, target)
        if key in self._pictures or not self._drawable(target) or not self.is_attached:
            self.refresh()  # shown now, or drawn by render() (too small: "…")
            return
        self._picture_building = key
        self._build_picture_async(picture, target)

    def picture_target(self) -> PictureTarget:
        """This chart's size, theme and style (UI thread): :meth:`build_picture` draws
        for them on another thread."""
        width, height = self.size
        return (width, height, self.app.theme, self.visual_style)

    @staticmethod
    def _drawable(target: PictureTarget) -> bool:
        return target[0] >= MIN_WIDTH and target[1] >= MIN_HEIGHT

    @staticmethod
    def _picture_key(picture: Picture, target: PictureTarget) -> tuple[Any, ...]:
        return (picture.key, target[0], target[1], target[2])

    def build_picture(
        self, picture: Picture, target: PictureTarget
    ) -> tuple[tuple[Any, ...], Any] | None:
        """``picture`` drawn into strips for ``target`` (from :meth:`picture_target`),
        on any thread; hand the result to :meth:`keep_picture` on the UI thread.
        None when the chart is too small or drawing failed (render() draws it then)."""
        if not self._drawable(target):
            return None
        width, height, _theme, style = target
        try:
            visual = visualize(self, picture_frame(picture, width, height), markup=False)
            strips = Visual.to_strips(self, visual, width, height, style)
        except Exception:
            return None
        return self._picture_key(picture, target), _Prebuilt(strips, width)

    def keep_picture(self, built: tuple[tuple[Any, ...], Any] | None) -> None:
        """Keep a picture drawn by :meth:`build_picture` (UI thread); repaint if it is
        the one waited for."""
        if built is None:
            return
        key, visual = built
        self._keep(key, visual)
        if self._picture_building == key:
            self._picture_building = None
        if self.picture is not None and key == self._picture_key(
            self.picture, self.picture_target()
        ):
            self.refresh()

    @work(thread=True, group="picture-build", exit_on_error=False, name="Drawing picture")
    def _build_picture_async(self, picture: Picture, target: PictureTarget) -> None:
        self.post_message(self.PictureBuilt(self.build_picture(picture, target)))

    class PictureBuilt(Message):
        """A picture drawn on a thread (None if that failed)."""

        bubble = False

        def __init__(self, built: tuple[tuple[Any, ...], Any] | None) -> None:
            super().__init__()
            self.built = built

    def on_curve_plot_picture_built(self, message: PictureBuilt) -> None:
        if message.built is None:
            self._picture_building = None
            self.refresh()  # render() draws it, and shows any error
        self.keep_picture(message.built)

    def _render_picture(self, picture: Picture, width: int, height: int) -> RenderResult:
        key = self._picture_key(picture, (width, height, self.app.theme, self.visual_style))
        found = self._pictures.get(key)
        if found is not None:
            return found
        built = self._built
        if self._picture_building == key and built is not None and built[0][:2] == key[1:3]:
            return built[1]  # drawn on a thread: the last frame meanwhile
        try:
            text = picture_frame(picture, width, height)
        except Exception as error:  # never crash the app over a drawing
            return Text(f"(unavailable: {error})", style="dim")
        self._keep(key, text)
        return text

    def _keep(self, key: tuple[Any, ...], visual: Any) -> None:
        if len(self._pictures) >= KEEP_PICTURES:
            self._pictures.pop(next(iter(self._pictures)))
        self._pictures[key] = visual

    def render(self) -> RenderResult:
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("…", style="dim")
        if self.picture is not None:
            return self._render_picture(self.picture, width, height)
        if not self.series:
            return Text(f"{self.chart_title}\n\n{self.empty_text}", style="dim")
        key = self._key()
        built = self._built
        if (
            built is not None
            and (
                built[0] == key
                # A build for new data is on its way: show the last frame meanwhile.
                or ((self._wanted or self._building) and built[0][:4] == key[:4])
            )
        ):
            return built[1]
        self._sync_figure()
        try:
            if self._external:  # plt was used directly: plotext draws it all
                text = super().render()
            else:
                theme = self._get_plotext_theme_name(self.app.theme)
                text = _frame(self._plot, self.header(), width, height, theme)
        except Exception as error:  # plotext can fail on odd sizes; never crash the app
            return Text(f"(chart unavailable: {error})", style="dim")
        self._built = (key, text)
        return text
