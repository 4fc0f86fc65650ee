"""What the dataset pane says about a CSV file, as plain text: the short kind and
action of each column for the table, the line about the highlighted column, the
summary (rows, dropped rows, classes) and the --drop/--keep changes a key makes.

Everything here works on :class:`core.inspection.TableReport` and its column dicts
(:class:`core.tabular.ColumnInfo`); nothing is parsed again. User text (column names,
class labels, paths) is passed through :func:`tui.usertext.one_line` by the callers
that show it, or here where a line is built.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from core.tabular import parse_names
from tui.usertext import one_line

if TYPE_CHECKING:
    from core.inspection import TableReport

#: core's kind -> the table's word (narrow: the left column is 32-42 cells wide).
KINDS = {"numeric": "number", "categorical": "category"}
#: What an automatically ignored column's kind means, for the line under the table.
#: Classes named in the summary before "… N more".
SHOWN_CLASSES = 6


def short_kind(column: dict[str, Any]) -> str:
    """``number``, ``category``, ``text``, ``id``, ``index``, ``date``, ``constant``,
    ``empty`` or ``target``."""
    return KINDS.get(column["kind"], column["kind"])


def short_action(column: dict[str, Any]) -> str:
    """What training does with ``column``, in a few cells (the left column is 32-42
    cells wide): ``feature``, ``imputed``, ``one-hot 3``, ``target``, ``ignored`` (the
    kind says why: text, id, index, date, constant, empty) or ``dropped`` (by the
    user: --drop); `` (kept)`` marks a --keep."""
    action: str = column["action"]
    if column["kind"] == "target":
        return "target"
    if action == "ignored: --drop":
        return "dropped"
    if action.startswith("ignored"):
        return "ignored"
    kept = " (kept)" if "(--keep)" in action else ""
    if column["kind"] == "categorical":
        # Gaps in a category column show in the NA column; the line under the table
        # says how they are filled (no room for it here at 80 columns).
        return f"one-hot {max(column.get('distinct', 1), 1)}{kept}"
    return ("imputed" if column["missing"] else "feature") + kept


def is_used(column: dict[str, Any]) -> bool:
    """True for a column that goes into the network (as core.tabular.ColumnInfo.used)."""
    return column["kind"] in ("numeric", "categorical") and not column["action"].startswith(
        "ignored"
    )


def column_line(column: dict[str, Any]) -> str:
    """The line under the table about the highlighted column: core's full action and
    what the keys do with it."""
    name = one_line(column["name"], 40)
    missing = f"{column['missing']} missing" if column["missing"] else "no gaps"
    if column["kind"] == "target":
        return f"{name}: the target (t on another column changes it)"
    if column["action"] == "ignored: --drop":
        action, key = "dropped by you (--drop)", "x uses it again"
    else:
        action = column["action"].replace("(--keep)", "(kept by you: --keep)")
        if column["kind"] == "empty":
            key = "it has no values"
        else:
            key = "x ignores it" if is_used(column) else "x uses it"
    return f"{name}: {short_kind(column)}, {missing}; {action}. t: target, {key}"


def toggled(
    name: str, column: dict[str, Any], drop: str | None, keep: str | None
) -> tuple[str | None, str | None]:
    """``drop`` and ``keep`` (the --drop/--keep texts) after the toggle key on ``column``:
    out of --drop or --keep if it is in one (back to the automatic choice), else a used
    column goes to --drop and an ignored one to --keep."""
    dropped, kept = parse_names(drop), parse_names(keep)
    if name in dropped:
        dropped.remove(name)
    elif name in kept:
        kept.remove(name)
    elif is_used(column):
        dropped.append(name)
    else:
        kept.append(name)
    return ",".join(dropped) or None, ",".join(kept) or None


def without(name: str, names: str | None) -> str | None:
    """``names`` (a --drop/--keep text) without ``name``."""
    rest = [n for n in parse_names(names) if n != name]
    return ",".join(rest) or None


def toggle_refusal(name: str, column: dict[str, Any]) -> str:
    """Why the toggle key cannot act on ``column`` ("" when it can)."""
    if column["kind"] == "target":
        return "that column is the target: press t on another column to change the target"
    if column["kind"] == "empty":
        return f"column {one_line(name, 40)} has no values: it cannot be used"
    # --drop/--keep are comma-separated names without control characters (as the CLI).
    if "," in name or not name.isprintable() or name != name.strip():
        return f"column {one_line(name, 40)} cannot be named in --drop/--keep (commas, spaces)"
    return ""


#: core's note about an ignored column ends with the CLI flag that uses it.
_KEEP_HINT = re.compile(r"\(--keep .* uses it\)$")


def pane_note(note: str) -> str:
    """core's note in the pane's terms (the x key rather than --keep)."""
    return _KEEP_HINT.sub("(x in the column table uses it)", note)


def summary_text(report: TableReport, test_file: str | None = None) -> str:
    """Rows used and dropped, network inputs, the target and its classes with counts."""
    name = one_line(os.path.basename(report.file), 60)
    dropped = f", {report.dropped_rows} dropped (no target)" if report.dropped_rows else ""
    test = f" + test file {one_line(os.path.basename(test_file), 40)}" if test_file else ""
    total = max(sum(report.classes.values()), 1)
    classes = "  ".join(
        f"{one_line(label, 30)}: {count} ({100 * count / total:.0f}%)"
        for label, count in list(report.classes.items())[:SHOWN_CLASSES]
    )
    if len(report.classes) > SHOWN_CLASSES:
        classes += f"  … {len(report.classes) - SHOWN_CLASSES} more"
    where = "last column, " if report.target_is_default else ""
    n_classes = len(report.classes)
    plural = "class" if n_classes == 1 else "classes"
    return (
        f"CSV {name}{test}: {report.rows} of {report.rows_read} rows used{dropped}; "
        f"{report.inputs} network inputs\n"
        f"target {one_line(report.target, 40)} ({where}{n_classes} {plural}): {classes}"
    )
