"""Small helpers shared by the app's tables."""

from __future__ import annotations

from textual.widgets import DataTable


def selected_row_id(table: DataTable) -> int | None:
    """The integer key of the row under the cursor (rows are keyed by run or sweep
    id), or None for an empty table."""
    if table.row_count == 0:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # the cursor is outside the rows while the table refills
        return None
    return int(key.value) if key.value is not None else None
