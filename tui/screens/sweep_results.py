"""F7: what a sweep found. The stored sweeps, the chosen one's leaderboard (best test
accuracy first), its best configuration, test accuracy against each searched
hyperparameter and the test curves of the top 5. Every number comes from
:mod:`core.search.results`, read in thread workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from core.errors import PerceptuneError
from core.search.results import sweep_title
from tui.errors import show_error
from tui.format import acc, cv_score, verdict_name
from tui.usertext import one_line
from tui.widgets.charts.pane import accuracy_ylim, int_ticks, status_color
from tui.widgets.charts.plots import OVERLAY_COLORS, CurvePlot, Series
from tui.widgets.keybar import KeyBar
from tui.widgets.sweep.results import LeaderboardTable, ParamPlot
from tui.widgets.tables import AppTable

if TYPE_CHECKING:
    from core.results import EpochPoint
    from core.search.results import LeaderboardRow, ParamSeries
    from core.store import RunRecord

#: Below this height the charts and the leaderboard take turns (g swaps them).
SHORT_HEIGHT = 32
SWEEP_COLUMNS = (("id", "sweep"), ("name", "name"), ("strategy", "strategy"),
                 ("status", "status"), ("points", "points"))  # fmt: skip


@dataclass
class SweepsListed(Message, bubble=False):
    """Stored sweeps, newest last, with their point counts."""

    sweeps: list[dict[str, Any]]
    counts: dict[int, int]


@dataclass
class SweepResultsLoaded(Message, bubble=False):
    """Everything the screen shows about one sweep."""

    sweep_id: int
    rows: list[LeaderboardRow]
    best: RunRecord | None
    series: list[ParamSeries] = field(default_factory=list)
    curves: list[tuple[LeaderboardRow, list[EpochPoint]]] = field(default_factory=list)


class SweepResultsScreen(ModalScreen[None]):
    """Pick a sweep above; its leaderboard, best point and charts below."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("b", "load_best", "Best → form", tooltip="Load the best configuration"),
        Binding("e", "load_row", "Point → form", tooltip="Load the highlighted point"),
        Binding("n", "next_chart(1)", "Next chart", tooltip="Accuracy vs the next parameter"),
        Binding("g", "toggle_charts", "Charts", tooltip="Swap leaderboard and charts (short)"),
        Binding("shift+n", "next_chart(-1)", "Prev chart", show=False),
        Binding("c", "export_csv", "CSV", tooltip="Write the leaderboard as CSV"),
        Binding("p", "export_script", "Best .py", tooltip="Write the best run as a script"),
        Binding("r", "reload", "Refresh", tooltip="Read the sweep again"),
    ]

    def __init__(self, sweep_id: int | None = None) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.rows: list[LeaderboardRow] = []
        self.best: RunRecord | None = None
        self.names: dict[int, str] = {}  # sweep id -> its name, once listed
        self.series: list[ParamSeries] = []
        self.chart_index = 0
        self.loaded = 0  # results shown so far (tests wait on it)

    def compose(self) -> ComposeResult:
        with Vertical(classes="sweep-dialog"):
            yield Static("Sweep results", classes="sweep-title")
            yield AppTable(columns=SWEEP_COLUMNS, cursor_type="row", id="sweep-list")
            yield Static("", id="results-title", markup=False)
            yield LeaderboardTable(cursor_type="row", zebra_stripes=True, id="leaderboard")
            yield Static("", id="sweep-best")
            with Horizontal(id="sweep-charts"):
                yield ParamPlot(id="param-plot")
                yield CurvePlot("test accuracy of the top 5", ylabel="", id="top-plot")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#top-plot", CurvePlot).empty_text = "no finished point yet"
        self.set_class(self.app.size.height < SHORT_HEIGHT, "-short")
        self.leaderboard.focus()
        self._list_sweeps()

    @property
    def leaderboard(self) -> LeaderboardTable:
        return self.query_one(LeaderboardTable)

    @property
    def store(self) -> Any:
        return self.app.store  # type: ignore[attr-defined]

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sweep-list", exit_on_error=False, name="Sweeps")
    def _list_sweeps(self) -> None:
        sweeps = self.store.list_sweeps()
        counts = {sweep["id"]: self.store.count_runs(sweep_id=sweep["id"]) for sweep in sweeps}
        self.post_message(SweepsListed(sweeps, counts))

    def on_sweeps_listed(self, message: SweepsListed) -> None:
        self.names = {sweep["id"]: sweep["name"] or "" for sweep in message.sweeps}
        table = self.query_one("#sweep-list", DataTable)
        table.clear()
        for sweep in message.sweeps:
            spec = sweep["spec"] if isinstance(sweep["spec"], dict) else {}
            search = spec.get("search", {}) if isinstance(spec.get("search"), dict) else {}
            table.add_row(
                f"#{sweep['id']}",
                sweep["name"] or "",
                str(search.get("strategy", "?")),
                Text(sweep["status"], style=status_color(sweep["status"])),
                str(message.counts.get(sweep["id"], 0)),
                key=str(sweep["id"]),
            )
        ids = [sweep["id"] for sweep in message.sweeps]
        if not ids:
            self.query_one("#results-title", Static).update(
                "No sweep yet: build one with F6 (or run `perceptune sweep FILE`)."
            )
            return
        if self.sweep_id not in ids:
            self.sweep_id = ids[-1]
        table.move_cursor(row=ids.index(self.sweep_id), animate=False)
        self._load(self.sweep_id)

    @on(DataTable.RowHighlighted, "#sweep-list")
    def _sweep_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is None:
            return
        sweep_id = int(event.row_key.value)
        if sweep_id != self.sweep_id:
            self.sweep_id = sweep_id
            self._load(sweep_id)

    def action_reload(self) -> None:
        self._list_sweeps()

    @work(thread=True, exclusive=True, group="sweep-results", exit_on_error=False, name="Results")
    def _load(self, sweep_id: int) -> None:
        from core.search.results import all_param_series, best_run, leaderboard, top_curves

        rows = leaderboard(self.store, sweep_id)
        best = best_run(self.store, sweep_id)
        series = all_param_series(self.store, sweep_id)
        curves = top_curves(self.store, sweep_id)
        self.post_message(SweepResultsLoaded(sweep_id, rows, best, series, curves))

    def on_sweep_results_loaded(self, message: SweepResultsLoaded) -> None:
        if message.sweep_id != self.sweep_id:
            return
        self.rows, self.best, self.series = message.rows, message.best, message.series
        if self.chart_index >= len(self.series):
            self.chart_index = 0
        table = self.leaderboard
        selected = table.selected_id()
        table.show(message.rows, cv=any(r.cv_accuracy is not None for r in message.rows))
        ids = [row.run_id for row in message.rows]
        if selected in ids:
            table.move_cursor(row=ids.index(selected), animate=False)
        done = sum(1 for row in message.rows if row.status == "done")
        title = sweep_title(message.sweep_id, self.names.get(message.sweep_id, ""))
        # Ranked as everywhere (core.search.results.rank_key): finished points first.
        score = "cv" if any(r.cv_accuracy is not None for r in message.rows) else "test"
        self.query_one("#results-title", Static).update(
            f"{title[0].upper()}{title[1:]}: {len(message.rows)} points, {done} done · "
            f"best {score} accuracy first"
        )
        self.query_one("#sweep-best", Static).update(self._best_text(message))
        self._draw_param_chart()
        self._draw_curves(message.curves)
        self.loaded += 1

    def _best_text(self, message: SweepResultsLoaded) -> Text:
        best = message.best
        text = Text()
        if best is None:
            text.append("Best: no point finished yet", style="dim")
            return text
        row = next((r for r in message.rows if r.run_id == best.id), None)
        text.append("Best ", style="bold")
        if best.dataset.get("cv"):  # ranked by the folds' mean (GridSearchCV's)
            score = f"cv {cv_score(best.cv_accuracy, best.cv_std, True)}, test "
        else:
            score = "test "
        text.append(f"run #{best.id}: {score}{acc(best.test_accuracy)}", style="bold green")
        text.append(
            f" · train {acc(best.train_accuracy)} · gap {acc(best.gap)} · "
            f"{verdict_name(best.verdict)}"
        )
        if row is not None and row.point:
            text.append(f"\n{one_line(row.point_text())}", style="bold")
        text.append("  (b loads it into the form)", style="dim")
        return text

    def _draw_param_chart(self) -> None:
        plot = self.query_one(ParamPlot)
        if not self.series:
            plot.draw(None)
            return
        series = self.series[self.chart_index]
        note = ""
        if len(self.series) > 1:
            note = f"  {self.chart_index + 1}/{len(self.series)} (n)"
        # The leaderboard's highlighted point, marked and named on the chart.
        plot.draw(series, note, highlight=self.leaderboard.selected_id())

    @on(DataTable.RowHighlighted, "#leaderboard")
    def _point_highlighted(self, event: DataTable.RowHighlighted) -> None:
        plot = self.query_one(ParamPlot)
        if event.row_key.value is not None and plot.highlight != int(event.row_key.value):
            self._draw_param_chart()

    def _draw_curves(self, curves: list[tuple[LeaderboardRow, list[EpochPoint]]]) -> None:
        series: list[Series] = []
        xmax = 2.0
        points: list[EpochPoint] = []
        for index, (row, curve) in enumerate(curves):
            epochs = tuple(float(p.epoch) for p in curve)
            if epochs:
                xmax = max(xmax, epochs[-1])
            points.extend(curve)
            color = OVERLAY_COLORS[index % len(OVERLAY_COLORS)]
            series.append(
                Series(f"#{row.run_id}", epochs, tuple(p.test_accuracy for p in curve), color)
            )
        plot = self.query_one("#top-plot", CurvePlot)
        xlim = (1.0, xmax)
        plot.draw(series, xlim=xlim, ylim=accuracy_ylim(points), title="test curves of the top 5")
        if plot.series:
            ticks = int_ticks(*xlim)
            plot.set_xticks(ticks, [str(int(t)) for t in ticks])

    # -- actions ---------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_HEIGHT, "-short")

    def action_toggle_charts(self) -> None:
        self.toggle_class("-charts")

    def action_next_chart(self, delta: int) -> None:
        if self.series:
            self.chart_index = (self.chart_index + delta) % len(self.series)
            self._draw_param_chart()

    def action_load_best(self) -> None:
        if self.best is None:
            self.notify("No point of this sweep has finished yet.", markup=False, timeout=3)
            return
        self._load_into_form(self.best.params, self.best.dataset, f"run #{self.best.id}")

    def action_load_row(self) -> None:
        run_id = self.leaderboard.selected_id()
        row = next((r for r in self.rows if r.run_id == run_id), None)
        if row is None:
            return
        dataset = self.best.dataset if self.best is not None else None
        self._load_into_form(row.params, dataset, f"run #{row.run_id}")

    def _load_into_form(
        self, params: dict[str, Any], dataset: dict[str, Any] | None, what: str
    ) -> None:
        from core.config import RunConfig
        from core.datasets import DatasetSpec

        try:
            config = RunConfig.from_mapping(params)
            spec = DatasetSpec.from_mapping(dataset) if dataset else None
        except PerceptuneError as error:
            show_error(self, str(error))
            return
        app: Any = self.app
        self.dismiss(None)
        app.call_after_refresh(app.load_into_form, config, spec, what)

    def action_export_csv(self) -> None:
        if self.sweep_id is not None:
            self._export_csv(self.sweep_id)

    @work(thread=True, group="export", exit_on_error=False, name="Export")
    def _export_csv(self, sweep_id: int) -> None:
        from core.export import export_name, write_new_file
        from core.search.results import leaderboard, leaderboard_csv

        rows = leaderboard(self.store, sweep_id)
        # Never over an existing file: _2, _3... instead.
        name = export_name("sweep_csv", sweep_id)
        path = write_new_file(Path.cwd(), name, leaderboard_csv(rows))
        self.app.call_from_thread(
            self.app.notify, f"Wrote {path}", title="Exported leaderboard", markup=False
        )

    def action_export_script(self) -> None:
        if self.sweep_id is not None:
            self._export_script(self.sweep_id)

    @work(thread=True, group="export", exit_on_error=False, name="Export")
    def _export_script(self, sweep_id: int) -> None:
        from core.export import export_name, write_new_file
        from core.search.results import best_script

        text = best_script(self.store, sweep_id)  # NotFoundError: no point finished
        path = write_new_file(Path.cwd(), export_name("sweep_best", sweep_id), text)
        self.app.call_from_thread(
            self.app.notify, f"Wrote {path}", title="Exported best run", markup=False
        )
