"""The sweeps of this session on the Queue tab, above the runs: one row per sweep
with its progress (points done / total), best test accuracy so far and ETA.
Hidden while there is none."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from tui.format import DASH, acc, duration, progress_bar
from tui.widgets.charts.pane import status_color
from tui.widgets.sweep.model import SweepItem
from tui.widgets.tables import AppTable

COLUMNS = (("id", "sweep"), ("status", "status"), ("progress", "points"), ("best", "best"),
           ("eta", "ETA"), ("label", "name"))  # fmt: skip


class SweepTable(AppTable):
    BINDINGS = [
        Binding("enter", "app.sweep_results_selected", "Results", tooltip="Leaderboard"),
        Binding("c", "app.sweep_cancel", "Cancel sweep", tooltip="Stop the sweep's runs"),
    ]


class SweepStrip(Vertical):
    """Rows keyed by sweep id."""

    def compose(self) -> ComposeResult:
        yield SweepTable(columns=COLUMNS, cursor_type="row", id="sweep-table")

    @property
    def table(self) -> SweepTable:
        return self.query_one(SweepTable)

    def selected_id(self) -> int | None:
        return self.table.selected_id()

    def show(self, items: list[SweepItem], snapshot: bool = False) -> None:
        self.set_class(bool(items), "-shown")
        table = self.table
        current = [str(row.key.value) for row in table.ordered_rows]
        wanted = [str(item.sweep_id) for item in items]
        if current != wanted:
            selected = self.selected_id()
            table.clear_rows()
            for item in items:
                table.add_row(*cells(item, snapshot), key=str(item.sweep_id))
            if selected is not None and str(selected) in wanted:
                table.move_cursor(row=wanted.index(str(selected)), animate=False)
            return
        for item in items:
            for (key, _), cell in zip(COLUMNS, cells(item, snapshot)):
                table.set_cell(str(item.sweep_id), key, cell)


def cells(item: SweepItem, snapshot: bool = False) -> tuple[Any, ...]:
    status = "stopping…" if item.status == "stopping" else item.status
    best = DASH if item.best is None else f"{acc(item.best)} #{item.best_run}"
    eta = DASH if snapshot or item.ended else duration(item.eta_s)
    return (
        f"#{item.sweep_id}",
        Text(status, style=status_color(item.status)),
        f"{progress_bar(item.done, item.total, 6)} {item.done}/{item.total}",
        best,
        eta,
        f"{item.label} ({item.strategy})",
    )
