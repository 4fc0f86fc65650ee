"""The dataset pane's column table: one row per CSV column (name, kind, missing cells,
what training does with it), with keys to make the highlighted column the target or to
toggle it ignored. The pane owns the settings; the table only says what was asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from tui.usertext import one_line
from tui.widgets.dataset.report import short_action, short_kind
from tui.widgets.tables import AppTable

#: (key, header, width) of the columns after the name; each cell starts with a space
#: (no cell padding: the pane is 32-42 cells wide). An action wider than its column
#: (``one-hot 12, imputed``) scrolls sideways; the line under the table has it all.
COLUMNS = (("kind", " kind", 9), ("missing", "   NA", 5), ("action", " action", 10))
#: Narrowest the name column gets; wider when the pane has room.
MIN_NAME = 6
#: Cells the other columns take, and the vertical scrollbar.
OTHER_CELLS = sum(width for _, _, width in COLUMNS) + 1


class ColumnTable(AppTable):
    """A CSV's columns; ``t`` and ``x`` post :class:`ColumnTable.Picked`."""

    DEFAULT_CSS = """
    ColumnTable {
        height: auto;
        max-height: 12;
        padding: 0 0 0 1;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    """

    BINDINGS = [
        Binding("t", "pick('target')", "Target", tooltip="Make this column the target"),
        Binding("x", "pick('toggle')", "Use/ignore", tooltip="Ignore this column, or use it"),
    ]

    @dataclass
    class Picked(Message):
        """A key asked for ``what`` (``target`` or ``toggle``) on column ``name``."""

        what: str
        name: str
        column: dict[str, Any]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(columns=(), cursor_type="row", cell_padding=0, **kwargs)
        self.report_columns: list[dict[str, Any]] = []
        self._name_width = 0

    def show(self, columns: list[dict[str, Any]]) -> None:
        """Fill the table with ``columns`` (core ColumnInfo dicts), keeping the cursor
        on the same column name when it is still there."""
        current = self.current_column()
        self.report_columns = list(columns)
        self._rebuild(current["name"] if current else None)

    def current_column(self) -> dict[str, Any] | None:
        """The column dict under the cursor, or None for an empty table."""
        if not self.report_columns or not 0 <= self.cursor_row < len(self.report_columns):
            return None
        return self.report_columns[self.cursor_row]

    def on_resize(self) -> None:
        if self.report_columns and self._fit_width() != self._name_width:
            self._rebuild(self.current_column()["name"] if self.current_column() else None)

    def _fit_width(self) -> int:
        return max(MIN_NAME, self.size.width - OTHER_CELLS)

    def _rebuild(self, keep: str | None) -> None:
        self._name_width = self._fit_width()
        self.clear(columns=True)
        self.add_column("column", key="name", width=self._name_width)
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=None if key == "action" else width)
        row = 0
        for index, column in enumerate(self.report_columns):
            style = "bold" if column["kind"] == "target" else ""
            if column["action"].startswith("ignored"):
                style = "dim"
            name = Text(one_line(column["name"], self._name_width), style=style, no_wrap=True)
            missing = column["missing"]
            self.add_row(
                name,
                " " + short_kind(column),
                f"{missing:>5}" if missing < 10_000 else "  10k+",
                Text(" " + short_action(column), style=style),
            )
            if column["name"] == keep:
                row = index
        if self.report_columns:
            self.move_cursor(row=row, animate=False)

    def action_pick(self, what: str) -> None:
        column = self.current_column()
        if column is not None:
            self.post_message(self.Picked(what, column["name"], column))
