"""What the app's tables share: a DataTable that draws cheaper, fills its columns from
(key, label) pairs, shows text cells as data (never markup, one line), and says which
run or sweep id is under the cursor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from tui.usertext import as_text, one_line


def cell(value: Any) -> Any:
    """A cell as the table shows it: text (a name, a path, a label) as a plain
    :class:`~rich.text.Text` on one line. DataTable would parse a ``str`` as markup:
    ``[/b]`` in a file name raises ``MarkupError`` and a newline splits the row."""
    return as_text(value) if isinstance(value, str) else value


#: A cross-validated run's score column (folds' mean ± std), placed after "test" only
#: where a table shows such a run: runs without cross-validation keep the width.
CV_COLUMN = ("cv", "cv ± std")


def with_cv(columns: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``columns`` (key, label pairs with a "test" one) with :data:`CV_COLUMN` after "test"."""
    at = [key for key, _ in columns].index("test") + 1
    return (*columns[:at], CV_COLUMN, *columns[at:])


class AppTable(DataTable[Any]):
    """A DataTable that works out its style once per draw instead of once per line.

    ``DataTable.render_line`` reads ``rich_style``, which walks every ancestor's styles
    each time: for a 36-line table, about 4 ms of the UI thread whenever it is drawn
    afresh (a tab switch to it, say; ``bench/bench_tui_lag.py``). The style cannot change
    while one ``render_lines`` call runs, so it is computed once there.
    """

    _style_this_draw: Style | None = None

    def __init__(self, *, columns: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for key, label in columns:
            self.add_column(label, key=key)

    def set_columns(self, columns: Sequence[tuple[str, str]]) -> None:
        """Replace every column (and row) with ``columns``: (key, label) pairs."""
        self.clear(columns=True)
        for key, label in columns:
            self.add_column(label, key=key)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style_this_draw = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._style_this_draw = None

    @property
    def rich_style(self) -> Style:
        return self._style_this_draw or super().rich_style

    def add_row(self, *cells: CellType, **kwargs: Any) -> RowKey:
        """``DataTable.add_row`` with every text cell (and a text row label) as data."""
        if isinstance(kwargs.get("label"), str):
            kwargs["label"] = cell(kwargs["label"])
        return super().add_row(*(cell(value) for value in cells), **kwargs)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, cell(value), update_width=update_width)

    def update_cell_at(
        self, coordinate: Coordinate, value: CellType, *, update_width: bool = False
    ) -> None:
        super().update_cell_at(coordinate, cell(value), update_width=update_width)

    def set_cell(self, row_key: str, column_key: str, value: Any) -> None:
        """Update one cell if it shows something else (the column may widen). Called
        for every cell of the queue 10 times a second while runs train: an unchanged
        text cell costs a string comparison, not a new ``Text``."""
        current = self.get_cell(row_key, column_key)
        if isinstance(value, str):
            same = isinstance(current, Text) and not current.spans
            if same and current.plain == one_line(value):
                return
        elif current == value:
            return
        self.update_cell(row_key, column_key, value, update_width=True)

    def clear_rows(self) -> None:
        """Remove every row and let the columns fit the rows added next.

        ``clear()`` keeps each column as wide as the widest cell it ever held: after a
        page, a filter or a run that was ``running`` and is now ``done``, columns would
        stay too wide, and how wide would depend on when the table was filled.
        """
        self.clear()
        for column in self.columns.values():
            if column.auto_width:
                column.content_width = column.label.cell_len

    def selected_id(self) -> int | None:
        """The integer key of the row under the cursor (rows are keyed by run or sweep
        id), or None for an empty table."""
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # the cursor is outside the rows while the table refills
            return None
        return int(key.value) if key.value is not None else None
