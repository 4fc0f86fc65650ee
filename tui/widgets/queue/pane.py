"""The Queue tab: waiting, running and finished runs with a progress bar each."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui.format import acc, progress_bar
from tui.queue_model import QueueItem
from tui.widgets.charts.pane import status_color
from tui.widgets.sweep.strip import SweepStrip
from tui.widgets.tables import AppTable

COLUMNS = (("id", "#"), ("status", "status"), ("train", "train"), ("test", "test"),
           ("progress", "progress"), ("config", "config"), ("data", "data"))  # fmt: skip


def progress_text(item: QueueItem, width: int = 8) -> str:
    """``████░░░░ 50/100``; a run that finished before its planned epochs (scikit-learn's
    own stop on tol, or early stopping) is complete: a full bar and ``25/500 early stop``."""
    if item.status == "done" and 0 < item.epoch < item.epochs:
        return f"{progress_bar(1, 1, width)} {item.epoch}/{item.epochs} early stop"
    return f"{progress_bar(item.epoch, item.epochs, width)} {item.epoch}/{item.epochs}"


def workers_note(parallel: int, running: int, waiting: int) -> str:
    """What the workers setting means right now, after ``workers 1/4`` in the summary:
    paused, or fewer workers than runs in flight (``-`` pressed while they train: they
    finish, never cut, and new runs wait until fewer than ``parallel`` run)."""
    if parallel == 0:
        if running:
            return f" (paused: the {running} running finish, none starts)"
        return " (paused: press + to start)" if waiting else ""
    if running > parallel:
        return f" ({running} running: new runs wait until fewer than {parallel} run)"
    return ""


class QueueTable(AppTable):
    """The queue rows; keyed by run id. Its keys act on the highlighted row; they are app
    actions so the command palette lists them too."""

    BINDINGS = [
        Binding("enter", "app.queue_run_now", "Run next", tooltip="Start this queued run next"),
        Binding("c", "app.queue_cancel", "Cancel", tooltip="Stop this run after its epoch"),
        Binding("r", "app.queue_retry", "Retry", tooltip="Queue this run again as a new run"),
        Binding("x,delete", "app.queue_remove", "Remove", tooltip="Take the run off the queue"),
        Binding("u", "app.queue_move(-1)", "Up", tooltip="Move the queued run up"),
        Binding("d", "app.queue_move(1)", "Down", tooltip="Move the queued run down"),
        Binding("f", "app.queue_clear", "Clear finished", tooltip="Drop ended runs"),
        Binding("plus,equals_sign", "app.workers(1)", "+Worker", tooltip="Train more at once"),
        Binding("minus", "app.workers(-1)", "-Worker", tooltip="Train fewer at once (0 pauses)"),
    ]


class QueuePane(Vertical):
    """The sweeps strip (shown while sweeps exist), a summary line and the queue table.

    The tab is this one widget, not a container of several: a tab switch repaints the
    widget it shows from scratch, about 0.2 ms a line for a container.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._latest: tuple[list[QueueItem], int, int] | None = None
        self._shown_status: dict[str, str] = {}  # run id -> status its row shows
        self._shown_cells: dict[str, tuple[Any, ...]] = {}  # run id -> its row's cells

    def on_show(self) -> None:
        if self._latest is not None:
            self.show(*self._latest)

    def compose(self) -> ComposeResult:
        yield SweepStrip(id="sweep-strip")
        yield Static("", id="queue-summary", markup=False)
        yield QueueTable(columns=COLUMNS, cursor_type="row", zebra_stripes=True, id="queue-table")

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def selected_id(self) -> int | None:
        return self.table.selected_id()

    def show(self, items: list[QueueItem], parallel: int, max_parallel: int) -> None:
        """Bring the table in line with the model, keeping the highlighted run.

        While the tab is hidden, a running run's progress (epoch, accuracies) waits
        until the tab shows: a hidden widget that repaints makes Textual lay out the
        whole screen again, 10 times a second while runs train. Rows and statuses
        are always kept up to date."""
        self._latest = (items, parallel, max_parallel)
        hidden = not all(
            node.display for node in self.ancestors_with_self if isinstance(node, Widget)
        )
        table = self.table
        selected = self.selected_id()
        current = [str(row.key.value) for row in table.ordered_rows]
        wanted = [str(item.run_id) for item in items]
        if current != wanted:
            table.clear()
            self._shown_status = {}
            self._shown_cells = {}
            for item in items:
                cells = self._cells(item)
                table.add_row(*cells, key=str(item.run_id))
                self._shown_status[str(item.run_id)] = item.status
                self._shown_cells[str(item.run_id)] = cells
            if selected is not None and str(selected) in wanted:
                table.move_cursor(row=wanted.index(str(selected)), animate=False)
        else:
            for item in items:
                row = str(item.run_id)
                if hidden and item.status == "running" and self._shown_status.get(row) == "running":
                    continue
                self._shown_status[row] = item.status
                cells = self._cells(item)
                shown = self._shown_cells.get(row, ())
                # Only the cells that changed: each set_cell repaints the table.
                for index, ((key, _), cell) in enumerate(zip(COLUMNS, cells)):
                    if index >= len(shown) or shown[index] != cell:
                        table.set_cell(row, key, cell)
                self._shown_cells[row] = cells
        running = sum(1 for i in items if i.status == "running")
        waiting = sum(1 for i in items if i.status == "queued")
        ended = len(items) - running - waiting
        text = (
            f"{running} running · {waiting} waiting · {ended} finished · "
            f"workers {parallel}/{max_parallel}{workers_note(parallel, running, waiting)}"
        )
        summary = self.query_one("#queue-summary", Static)
        # Called 10 times a second while runs train: an update re-lays out the screen.
        if summary.content != text:
            summary.update(text)

    @staticmethod
    def _cells(item: QueueItem) -> tuple[Any, ...]:
        status = item.status + ("…" if item.stopping else "")
        return (
            str(item.run_id),
            Text(status, style=status_color(item.status)),
            acc(item.train),
            acc(item.test),
            progress_text(item),
            item.settings or item.label,
            item.data or item.dataset,
        )
