"""The History tab: every stored run, sorted and filtered in SQL and shown a page at a
time (the stock DataTable is fast with a few hundred rows, slow with 10,000)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.format import acc, cv_score, duration, verdict_color, verdict_name
from tui.messages import HistoryLoaded
from tui.settings_text import data_text, run_text, short_verdict
from tui.widgets.charts.pane import status_color
from tui.widgets.tables import CV_COLUMN, AppTable, with_cv

if TYPE_CHECKING:
    from core.store import RunRecord

PAGE_SIZE = 200
#: (label, statuses or None for all)
FILTERS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("all", None),
    ("done", ("done",)),
    ("failed/diverged", ("failed", "diverged")),
    ("stopped", ("cancelled", "interrupted", "pruned")),
    ("active", ("queued", "running")),
)
#: (store sort key, label, natural direction descending?)
SORTS: tuple[tuple[str, str, bool], ...] = (
    ("id", "newest", True),
    ("test_accuracy", "test acc", True),
    ("cv_accuracy", "cv acc", True),
    ("train_accuracy", "train acc", True),
    ("gap", "gap", False),
    ("duration", "duration", False),
    ("n_epochs", "epochs", True),
    ("status", "status", False),
)
#: Train before test as in the Queue; the verdict within 44 columns (the tabs' width at
#: 80x24 with the form shown), then what tells runs apart: changed settings and data.
COLUMNS = (("mark", "✓"), ("id", "#"), ("train", "train"), ("test", "test"), ("gap", "gap"),
           ("verdict", "verdict"), ("config", "settings"), ("data", "data"),
           ("status", "status"), ("epochs", "ep"), ("duration", "time"))  # fmt: skip
#: Clicking these column headers sorts by the store key.
HEADER_SORT = {
    "id": "id",
    "status": "status",
    "test": "test_accuracy",
    "cv": "cv_accuracy",
    "train": "train_accuracy",
    "gap": "gap",
    "epochs": "n_epochs",
    "duration": "duration",
}


class HistoryTable(AppTable):
    BINDINGS = [
        Binding("enter", "app.show_selected", "Chart", tooltip="Show this run in Charts"),
        Binding("space", "toggle_mark", "Mark", tooltip="Mark this run (again: unmark)"),
    ]

    def action_toggle_mark(self) -> None:
        pane = self.parent
        if isinstance(pane, HistoryPane):
            pane.toggle_mark()

    def on_focus(self) -> None:
        # The run under the cursor is the one e, r, p act on, even before a key moves it.
        pane = self.parent
        if isinstance(pane, HistoryPane):
            pane.announce()


class HistoryPane(Vertical):
    """A page of runs; the app asks :meth:`reload` when runs change."""

    BINDINGS = [
        Binding("o", "app.overlay", "Overlay", tooltip="Overlay the marked runs' curves"),
        Binding("e", "app.edit_selected", "Edit in form", tooltip="Load this run into the form"),
        Binding(
            "r", "app.rerun_selected", "Rerun", tooltip="Queue it again (resume if interrupted)"
        ),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column"),
        Binding("i", "invert_sort", "Invert", tooltip="Reverse the sort order"),
        Binding("f", "cycle_filter", "Filter", tooltip="Show runs by status"),
        Binding("right_square_bracket", "page(1)", "Next page", key_display="]"),
        Binding("left_square_bracket", "page(-1)", "Prev page", key_display="["),
        Binding("p", "app.export_script", "Export .py", tooltip="Write a Python script"),
        Binding("v", "app.export_csv", "Export CSV", tooltip="Write the history as CSV"),
    ]

    class Highlighted(Message):
        """The user moved to another run in the table."""

        def __init__(self, run_id: int) -> None:
            super().__init__()
            self.run_id = run_id

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sort_index = 0
        self.descending = True
        self.filter_index = 0
        self.page = 0
        self.total = 0
        self.records: list[RunRecord] = []
        self.marked: set[int] = set()
        self.loaded = 0  # how many pages have been shown (tests wait on it)
        self.show_cv = False  # the page has a cross-validated run: the cv column is shown

    def compose(self) -> ComposeResult:
        yield Static("History: loading…", id="history-summary", markup=False)
        yield HistoryTable(
            columns=COLUMNS, cursor_type="row", zebra_stripes=True, id="history-table"
        )

    def on_mount(self) -> None:
        self.reload()

    @property
    def table(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    @property
    def order_by(self) -> str:
        return SORTS[self.sort_index][0]

    @property
    def statuses(self) -> tuple[str, ...] | None:
        return FILTERS[self.filter_index][1]

    def selected_id(self) -> int | None:
        return self.table.selected_id()

    def announce(self) -> None:
        """Tell the app which run the cursor is on (it becomes the selected run)."""
        run_id = self.selected_id()
        if run_id is not None:
            self.post_message(self.Highlighted(run_id))

    def selected_record(self) -> RunRecord | None:
        run_id = self.selected_id()
        return next((r for r in self.records if r.id == run_id), None)

    # -- loading ---------------------------------------------------------------------------

    def reload(self) -> None:
        self._load(self.order_by, self.descending, self.statuses, self.page)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(
        self, order_by: str, descending: bool, statuses: tuple[str, ...] | None, page: int
    ) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        total = store.count_runs(statuses=statuses)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages - 1)
        records = store.list_runs(
            statuses=statuses,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
            order_by=order_by,
            descending=descending,
        )
        self.post_message(HistoryLoaded(records, total, page))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        self.records, self.total, self.page = message.records, message.total, message.page
        table = self.table
        selected = self.selected_id()
        # The cursor follows the first row (the newest run by default) while it is
        # there: History opens on the run just made. Moved elsewhere, it stays on its run.
        on_top = table.cursor_row <= 0
        table.clear_rows()
        self.show_cv = any(record.dataset.get("cv") for record in message.records)
        if self.show_cv != (CV_COLUMN[0] in table.columns):
            table.set_columns(with_cv(COLUMNS) if self.show_cv else COLUMNS)
        fixed = bool(getattr(self.app, "snapshot_mode", False))
        for record in message.records:
            table.add_row(*self._cells(record, fixed), key=str(record.id))
        ids = [r.id for r in message.records]
        if selected in ids and not on_top:
            table.move_cursor(row=ids.index(selected), animate=False)
        if table.has_focus:
            self.announce()
        self._update_summary()
        self.loaded += 1

    def _cells(self, record: RunRecord, fixed: bool) -> tuple[Any, ...]:
        verdict = verdict_name(record.verdict)
        # A run without a verdict (failed, cancelled, running) shows its status there.
        if record.verdict:
            result = Text(short_verdict(verdict), style=verdict_color(verdict))
        else:
            result = Text(record.status, style=status_color(record.status))
        cv = (cv_score(record.cv_accuracy, record.cv_std, bool(record.dataset.get("cv"))),)
        return (
            Text("●", style="bold yellow") if record.id in self.marked else "",
            str(record.id),
            acc(record.train_accuracy),
            acc(record.test_accuracy),
            *(cv if self.show_cv else ()),
            acc(record.gap),
            result,
            run_text(record.params, record.label),
            data_text(record.dataset),
            Text(record.status, style=status_color(record.status)),
            str(record.n_epochs),
            "—" if fixed else duration(record.duration_s),
        )

    def _update_summary(self) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        label, _ = FILTERS[self.filter_index]
        arrow = "↓" if self.descending else "↑"
        marked = f" · {len(self.marked)} marked" if self.marked else ""
        # One line at 80x24 (44 columns): the page only when there are pages.
        paging = f" · page {self.page + 1}/{pages}" if pages > 1 else ""
        self.query_one("#history-summary", Static).update(
            f"{self.total} run{'' if self.total == 1 else 's'}{paging}"
            f" · sort {SORTS[self.sort_index][1]} {arrow} · filter {label}{marked}"
        )

    # -- actions -----------------------------------------------------------------------------

    def toggle_mark(self) -> None:
        run_id = self.selected_id()
        if run_id is None:
            return
        if run_id in self.marked:
            self.marked.discard(run_id)
        else:
            self.marked.add(run_id)
        self.table.update_cell(
            str(run_id),
            "mark",
            Text("●", style="bold yellow") if run_id in self.marked else "",
            update_width=True,
        )
        self._update_summary()  # the cursor stays: space again unmarks the same run

    def action_cycle_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.descending = SORTS[self.sort_index][2]
        self.page = 0
        self.reload()

    def sort_by(self, order_by: str, descending: bool | None = None) -> None:
        index = next(i for i, s in enumerate(SORTS) if s[0] == order_by)
        if descending is None:
            descending = not self.descending if index == self.sort_index else SORTS[index][2]
        self.sort_index, self.descending, self.page = index, descending, 0
        self.reload()

    def action_invert_sort(self) -> None:
        self.descending = not self.descending
        self.page = 0
        self.reload()

    def action_cycle_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.page = 0
        self.reload()

    def action_page(self, delta: int) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        page = min(max(self.page + delta, 0), pages - 1)
        if page != self.page:
            self.page = page
            self.reload()

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        order_by = HEADER_SORT.get(str(event.column_key.value))
        if order_by is not None:
            self.sort_by(order_by)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus and event.row_key.value is not None:
            self.post_message(self.Highlighted(int(event.row_key.value)))
