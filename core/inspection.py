"""What perceptune will make of a CSV file, without training or storing anything.

:func:`inspect_csv` is the one call behind ``perceptune inspect`` and the TUI's dataset
pane: it reads the file once (cached on the file's path, size and modification time
and the reading options, so a pane that redraws does not parse again) and returns a
:class:`TableReport` with the column table (name, kind, missing count, action), the
rows used and dropped, the classes and every warning at once.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from core.tabular import read_table

if TYPE_CHECKING:
    from core.datasets import DatasetSpec

#: Reports kept by :func:`inspect_csv` (a pane flips between a few targets).
_CACHE_SIZE = 8
_cache: dict[tuple[Any, ...], TableReport] = {}


@dataclass(frozen=True, slots=True)
class TableReport:
    """Everything ``inspect`` shows about one CSV file."""

    file: str  # the path as given
    rows: int  # rows used (with a target)
    rows_read: int  # data rows in the file (blank rows not counted)
    dropped_rows: int  # rows dropped: missing target
    sep: str  # separator used ("," ";" "\t" "|" or " " for runs of spaces)
    decimal: str
    target: str
    target_is_default: bool  # True when no --target was given (the last column)
    classes: dict[str, int]  # label -> rows, most common first
    inputs: int  # network inputs after encoding
    columns: list[dict[str, Any]]  # core.tabular.ColumnInfo dicts, file order
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    #: The warnings that stop a run (one class, no usable feature, a continuous
    #: target): empty when the file can train as it is.
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (what ``inspect --json`` prints)."""
        return asdict(self)

    def target_line(self) -> str:
        """``target: 'year' (last column; 3 classes)``."""
        where = "last column; " if self.target_is_default else ""
        return f"target: {self.target!r} ({where}{len(self.classes)} classes)"


def inspect_spec(spec: DatasetSpec) -> TableReport:
    """:func:`inspect_csv` of a validated CSV spec's train file, with its reading
    options, target and test share (what ``perceptune inspect`` and the app's
    dataset pane show)."""
    assert spec.train is not None
    return inspect_csv(
        spec.train,
        target=spec.target,
        sep=spec.sep,
        decimal=spec.decimal,
        na_values=spec.na_values,
        header=spec.header,
        drop=spec.drop,
        keep=spec.keep,
        test_size=spec.test_size,
    )


def inspect_csv(
    path: str,
    *,
    target: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    na_values: str | None = None,
    header: bool = True,
    drop: str | None = None,
    keep: str | None = None,
    test_size: float = 0.25,
) -> TableReport:
    """Read ``path`` and report on it; raises :class:`~core.errors.DataError` only
    when the file cannot be used at all. Arguments are the DatasetSpec fields."""
    options = (target, sep, decimal, na_values, header, drop, keep, test_size)
    try:
        info = os.stat(os.path.expanduser(path))
        key: tuple[Any, ...] | None = (path, info.st_size, info.st_mtime_ns, *options)
    except OSError:
        key = None  # read_table says what is wrong with the path
    if key is not None and key in _cache:
        return _cache[key]
    table = read_table(
        path,
        target=target,
        sep=sep,
        decimal=decimal,
        na=na_values,
        header=header,
        drop=drop,
        keep=keep,
        test_size=test_size,
    )
    counts = Counter(table.labels.tolist())
    notices = list(table.notices)
    if table.dropped_rows:
        notices.insert(0, f"{table.dropped_rows} row(s) with a missing target dropped")
    report = TableReport(
        file=path,
        rows=len(table.labels),
        rows_read=table.rows_read,
        dropped_rows=table.dropped_rows,
        sep=table.sep,
        decimal=table.decimal,
        target=table.target,
        target_is_default=target is None,
        classes=dict(counts.most_common()),
        inputs=table.encoded_width(),
        columns=[c.to_dict() for c in table.columns],
        warnings=list(table.warnings),
        notices=notices,
        problems=_problems(table, counts),
    )
    if key is not None:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = report
    return report


def _problems(table: Any, counts: Counter) -> list[str]:
    from core.tabular import no_features_message

    problems = [table.unusable] if table.unusable else []
    if len(counts) < 2:
        problems.append(next(w for w in table.warnings if "only one class" in w))
    if not table.numeric and not table.categorical:
        problems.append(no_features_message(table))
    return problems


def report_lines(report: TableReport) -> list[str]:
    """The text ``perceptune inspect`` prints."""
    seps = {",": "','", ";": "';'", "\t": "tab", "|": "'|'", " ": "spaces"}
    lines = [
        f"{report.file}: {report.rows} rows used of {report.rows_read}"
        f" ({report.dropped_rows} dropped: missing target); separator {seps[report.sep]}, "
        f"decimal mark {report.decimal!r}",
        report.target_line()
        + ": "
        + ", ".join(f"{str(k)[:30]} {v}" for k, v in list(report.classes.items())[:20])
        + (", ..." if len(report.classes) > 20 else ""),
    ]
    width = min(30, max(6, *(len(c["name"]) for c in report.columns)))
    lines.append(f"{'column':<{width}}  {'kind':<11} {'missing':>7}  action")
    for c in report.columns:
        name = c["name"] if len(c["name"]) <= width else c["name"][: width - 1] + "…"
        lines.append(f"{name:<{width}}  {c['kind']:<11} {c['missing']:>7}  {c['action']}")
    lines.append(f"network inputs after encoding: {report.inputs}")
    lines += [f"warning: {w}" for w in report.warnings]
    lines += [f"note: {n}" for n in report.notices]
    return lines
