"""Real-world CSV tables: read with pandas, type every column, plan what each becomes.

:func:`read_table` reads a file once (pandas' C parser; separator, decimal mark and
header sniffed by :mod:`core.csvfile`) and types every column from the whole file:

- numeric: numbers (``None``/``-`` cells there count as missing): median-imputed if it
  has gaps, standardised;
- categorical: text with few distinct values: one-hot columns;
- text: text unique or nearly unique per row (names, tickets): ignored;
- id: a column named like ``id`` with unique values: ignored;
- index: an unnamed first column, or a first column of row numbers 1..N: ignored;
- date: ISO dates are expanded into year, month and weekday numbers (the parts that
  vary), other dates ignored;
- constant (one value), empty (no value): ignored;
- target: the class column.

:func:`make_transformer` is the scikit-learn ``ColumnTransformer`` that encodes the
kept columns; it is fit on the train part only (``core.datasets``) and exported scripts
build the very same one; :mod:`core.encoding` builds its output directly, bit for bit.
pandas and scikit-learn are imported on first use.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from core.csvfile import check_file, check_row_widths, clean_name, looks_numeric, sniff, utf8_error
from core.errors import DataError
from core.factorize import factorize_cells
from core.lazy import lazy_module

np = lazy_module("numpy")

#: Cells read as missing in every column (``--na-values`` replaces them).
NA_VALUES = ("", "NA", "N/A", "n/a", "NaN", "nan", "?", "null", "NULL")
#: Cells that are missing in a number column but a category in a text column
#: (Cars93 ``AirBags = None``, survey ``Exer = -``).
SOFT_NA = frozenset({"None", "none", "-", "--", "missing"})
#: A text column with more distinct values than this is not a category.
MAX_CATEGORIES = 100
#: A class label longer than this is refused (a wrong target column).
MAX_LABEL_CHARS = 200
#: A class with fewer expected test rows than this gets a warning.
FEW_TEST_ROWS = 10

_ID_NAME = re.compile(r"(^|[^a-z])id$|^(index|rownames|row\.names|row_names)$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9](Id|ID)$")  # PassengerId, customerID (not "paid")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_UNNAMED = "unnamed {}"  # an empty header cell
_NUMBERED = "column {}"  # --no-header


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One column of a table and what training does with it."""

    name: str
    kind: str  # numeric, categorical, text, id, index, date, constant, empty, target
    missing: int  # missing cells among the rows used
    action: str  # "feature", "imputed (median)", "one-hot: 3 columns", "ignored: ...", "target"
    distinct: int = -1  # distinct non-missing values (-1: not counted, for numbers)

    @property
    def used(self) -> bool:
        """True for a feature that goes into the network."""
        return self.kind != "target" and not self.action.startswith("ignored")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict with every field (what ``asdict`` gives, without its deep
        copies: every load describes each column)."""
        return {f: getattr(self, f) for f in self.__slots__}


@dataclass(slots=True)
class Table:
    """A read and typed CSV: the rows with a target, and the plan for every column."""

    path: str
    sep: str
    decimal: str
    read_options: dict[str, Any]  # the pandas.read_csv arguments (but dtype) used
    names: list[str]  # every column, in file order
    columns: list[ColumnInfo]  # same order
    target: str
    numeric: list[str]  # feature columns, file order (a date's parts at its place)
    categorical: list[str]
    #: Column name -> values, one per kept row: float64 arrays for ``numeric`` (with
    #: NaN), object arrays of str/NaN for ``categorical``.
    features: Any
    label_codes: Any  # each kept row's label as a position in label_uniques
    label_uniques: Any  # object array: the distinct labels, in order of appearance
    lines: Any  # numpy int array: the 1-based file line of each kept row
    rows_read: int  # data rows in the file (blank rows not counted)
    dropped_rows: int  # rows dropped because the target was missing
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Why training cannot use this target (a continuous one); ``inspect`` shows it
    #: as a warning, a run refuses the file with it.
    unusable: str = ""
    #: Each categorical column factorised (codes and distinct values), for the encoder.
    texts: dict[str, Text] = field(default_factory=dict)
    #: Each expanded date column -> the names of its numeric parts.
    dates: dict[str, list[str]] = field(default_factory=dict)
    #: Number column -> its largest ``|value|`` in ``features`` (as typed; a date's
    #: parts are not here): the encoder need not look again whether a column can be
    #: scaled when every value is known to be small enough.
    largest: dict[str, float] = field(default_factory=dict)

    @property
    def labels(self) -> Any:
        """The label text of each kept row (an object array, made on each call)."""
        return self.label_uniques[self.label_codes]

    def encoded_width(self) -> int:
        """Inputs of the network: one per numeric column, one per category."""
        width = len(self.numeric)
        by_name = {c.name: c for c in self.columns}
        return width + sum(max(by_name[name].distinct, 1) for name in self.categorical)


def parse_names(text: str | None) -> list[str]:
    """Column names from ``a,b,c`` text (``--drop``/``--keep``)."""
    if not text:
        return []
    return [clean_name(part) for part in text.split(",") if part.strip()]


def na_values(text: str | None) -> list[str]:
    """The missing-value markers: ``--na-values`` text (comma-separated) or the default."""
    if text is None:
        return list(NA_VALUES)
    return [part.strip() for part in text.split(",")]


def read_frame(
    path: str,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    na: str | None = None,
    header: bool = True,
    target: str | None = None,
    whole_target: bool = False,
) -> tuple[Any, Any, dict[str, Any]]:
    """Read ``path`` with pandas: returns ``(frame, lines, options)`` where ``lines``
    holds each row's 1-based line in the file and ``options`` the ``pandas.read_csv``
    keyword arguments used (but ``dtype``: the target column, named by ``target`` or
    the last column, is read as ``str`` so labels keep their spelling).

    ``whole_target``: the target column may also come back as integers (int64 or
    uint64, no missing cell), when the first rows' targets are whole numbers written
    plainly (:func:`target_text` turns them into labels): a ``dtype`` for one column
    sends pandas down a slower, single-threaded gathering of every column."""
    check_file(path)
    sniffed = sniff(path, sep, decimal)
    names = [name or _UNNAMED.format(i) for i, name in enumerate(sniffed.names, start=1)]
    if not header:
        names = [_NUMBERED.format(i) for i in range(1, len(names) + 1)]
    _check_header(names, sniffed.header_line, path, header)
    import pandas as pd

    target_name = resolve_target(names, target, path)
    options = {
        "sep": r"\s+" if sniffed.sep == " " else sniffed.sep,
        "decimal": sniffed.decimal,
        "quotechar": sniffed.quotechar,
        "names": names,
        "header": 0 if header else None,
        "skiprows": sniffed.header_line - 1,
        "skip_blank_lines": False,
        "na_values": na_values(na),
        "keep_default_na": False,
        "encoding": "utf-8-sig",
    }
    as_text = {target_name: str}
    plain = whole_target and _plain_whole_numbers(
        sniffed, names.index(target_name), header, options["na_values"]
    )
    try:
        one_malloc_arena()
        frame = pd.read_csv(path, **options, dtype=None if plain else as_text, engine="c")
        if plain and frame[target_name].dtype.kind not in "iu":
            # Text, decimals, a missing or a true/false cell below the first rows:
            # only the cells' text says how they were written.
            del frame
            frame = pd.read_csv(path, **options, dtype=as_text, engine="c")
    except UnicodeDecodeError:
        raise utf8_error(path) from None
    except pd.errors.ParserError as error:
        raise _parser_error(error, path, sniffed.header_line, len(names)) from None
    except (ValueError, MemoryError, OverflowError) as error:
        raise DataError(f"not a readable CSV file ({_first_line(error)})", path=path) from None
    # The parser's freed scratch stays with this process until the caller is done
    # (release_free_memory): typing and encoding reuse those pages instead of
    # faulting in fresh ones (slow on a VM), and the peak stays the parse's.
    no_target = frame[target_name].isna().to_numpy()
    last_missing = no_target if target_name == names[-1] else frame.iloc[:, -1].isna()
    if len(frame) and last_missing.any():
        # A short row gets missing cells at its end: only then count fields per line.
        check_row_widths(path, sniffed)
    first = sniffed.header_line + (1 if header else 0)
    lines = np.arange(first, first + len(frame))
    # Blank lines and rows of bare commas (their target is missing too: look only there).
    if no_target.any():
        blank = np.zeros(len(frame), dtype=bool)
        blank[no_target] = frame[no_target].isna().all(axis=1).to_numpy()
        if blank.any():
            frame, lines = frame[~blank], lines[~blank]
    return frame, lines, options


#: A whole number as ``str(int(text))`` writes it (no sign, no leading zero).
_PLAIN_WHOLE = re.compile(r"-?(0|[1-9]\d{0,17})")
#: Rows of the file's start whose targets decide how the target column is read.
TARGET_SAMPLE_ROWS = 50


def _plain_whole_numbers(sniffed: Any, position: int, header: bool, na: list[str]) -> bool:
    """Whether the target cells (column ``position``) of the file's first
    :data:`TARGET_SAMPLE_ROWS` data rows are all whole numbers written as
    ``str(int(cell))`` writes them: then pandas reads the column as integers and
    ``str`` of each gives its text back (a later cell that is not such a number
    makes the column text or decimals: see :func:`read_frame`). The rows are those
    :func:`core.csvfile.sniff` kept (the file is not read again)."""
    import csv

    rows = list(sniffed.lines[1:] if header else sniffed.lines)[:TARGET_SAMPLE_ROWS]
    if not rows:
        return False
    if sniffed.sep == " ":
        cells = [line.split() for line in rows]
    else:
        try:
            cells = list(csv.reader(rows, delimiter=sniffed.sep, quotechar=sniffed.quotechar))
        except csv.Error:  # a NUL byte, say: read as text, and let pandas judge
            return False
    missing = set(na)
    for fields in cells:
        if len(fields) <= position:
            return False
        cell = fields[position]
        if cell in missing or not _PLAIN_WHOLE.fullmatch(cell.strip()):
            return False
    return True


def target_text(series: Any) -> Text:
    """The target column factorised as :meth:`Text.of` does, also when pandas read
    it as integers (:func:`read_frame` with ``whole_target``): each distinct number
    becomes its ``str``."""
    if series.dtype.kind not in "iu":
        return Text.of(series)
    import pandas as pd

    codes, uniques = pd.factorize(series.to_numpy())
    return Text(codes, np.array([str(value) for value in uniques.tolist()], dtype=object))


def one_malloc_arena() -> None:
    """Before the first parse: let every thread allocate from glibc's main arena.

    pandas parses a big file in threads, and glibc gives each thread its own arena;
    what those threads free stays stranded there (~14 MiB per 100k x 30 file, which
    the main thread can never reuse), so a run's peak would be the parse plus that
    plus the arrays. With one arena, :func:`release_free_memory` returns it all. Only
    the first call in a process can set it (glibc fixes the arena limit when a thread
    first needs one); glibc only, a no-op elsewhere."""
    libc = _libc()
    if libc is not None and not _state.get("arenas"):
        _state["arenas"] = True
        libc.mallopt(-8, 1)  # M_ARENA_MAX = 1


def release_free_memory() -> None:
    """Hand memory freed by the CSV parser back to the system (``malloc_trim``, about a
    millisecond): once the columns are typed and encoded (until then they reuse it),
    so that training does not keep the parser's scratch."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


_state: dict[str, Any] = {}


def _libc() -> Any:
    """glibc through ctypes (None when not on Linux/glibc)."""
    if "libc" not in _state:
        import ctypes
        import sys

        libc = None
        if sys.platform.startswith("linux"):
            try:
                found = ctypes.CDLL("libc.so.6")
                if hasattr(found, "malloc_trim") and hasattr(found, "mallopt"):
                    libc = found
            except OSError:
                libc = None
        _state["libc"] = libc
    return _state["libc"]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def _parser_error(error: Exception, path: str, header_line: int, width: int) -> DataError:
    text = _first_line(error)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        return DataError(
            f"row has {match.group(3)} fields but the header has {width}",
            path=path,
            row=int(match.group(2)) + header_line - 1,
        )
    match = re.search(r"inside string starting at row (\d+)", text)
    if match:
        return DataError(
            "not a readable CSV file (a quote is never closed)",
            path=path,
            row=int(match.group(1)) + header_line,
        )
    return DataError(
        f"not a readable CSV file ({text.removeprefix('Error tokenizing data. ')})", path=path
    )


def _check_header(names: list[str], line: int, path: str, header: bool) -> None:
    if len(names) < 2:
        raise DataError(
            "header has 1 column; need at least one feature column and a target column "
            "(separate fields with , ; tab or spaces, or give --sep)",
            path=path,
            row=line,
        )
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise DataError(
                f"column {name!r} appears twice in the header (columns {seen[name]} and "
                f"{position}); column names must be unique",
                path=path,
                row=line,
                column=name,
            )
        seen[name] = position
    numbers = [name for name in names if looks_numeric(name)]
    if header and numbers:
        shown = ", ".join(repr(n) for n in numbers[:3])
        raise DataError(
            f"the first row looks like data, not column names ({shown} "
            f"{'is a number' if len(numbers) == 1 else 'are numbers'}); name every column "
            "in a header row, or use --no-header if the file has none",
            path=path,
            row=line,
        )


def resolve_target(names: list[str], target: str | None, path: str) -> str:
    """The target column's name: ``target``, or the last column."""
    if target is None:
        return names[-1]
    name = clean_name(target)
    if name in names:
        return name
    folded = [n for n in names if n.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    raise DataError(
        f"no column named {name[:80]!r} for the target{hint}; available: {shown}",
        path=path,
        column=name[:80],
    )


def read_table(
    path: str,
    *,
    target: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    na: str | None = None,
    header: bool = True,
    drop: str | None = None,
    keep: str | None = None,
    test_size: float = 0.25,
    keep_scratch: bool = False,
) -> Table:
    """Read ``path`` and plan every column; raises :class:`DataError` only when the
    file cannot be used at all. ``keep_scratch``: leave the parser's freed memory
    with the process (the caller encodes next, then calls
    :func:`release_free_memory`); else it is handed back once the columns are typed."""
    try:
        return _read_table(path, target, sep, decimal, na, header, drop, keep, test_size)
    finally:
        if not keep_scratch:
            release_free_memory()


def _read_table(
    path: str,
    target: str | None,
    sep: str | None,
    decimal: str | None,
    na: str | None,
    header: bool,
    drop: str | None,
    keep: str | None,
    test_size: float,
) -> Table:
    frame, lines, options = read_frame(
        path, sep=sep, decimal=decimal, na=na, header=header, target=target, whole_target=True
    )
    names = list(frame.columns)
    target_name = resolve_target(names, target, path)
    if frame.empty:
        raise DataError("no data rows after the header; add at least one row", path=path)
    rows_read = len(frame)
    labels_text = target_text(frame[target_name])  # labels factorised once, stripped
    has_label = labels_text.codes >= 0
    dropped = int((~has_label).sum())
    # Rows without a label are left out column by column (no copy of the whole frame).
    keep_rows = None if dropped == 0 else has_label
    if keep_rows is not None:
        lines = lines[keep_rows]
    if dropped == rows_read:
        raise DataError(
            f"every row's target is missing ({rows_read} rows); is {target_name!r} the class "
            "column? use --target NAME",
            path=path,
            column=target_name,
        )
    label_codes = labels_text.codes if keep_rows is None else labels_text.codes[keep_rows]
    label_uniques = labels_text.uniques
    _check_labels(label_uniques, label_codes, lines, path, target_name)
    dropped_names, kept_names = parse_names(drop), parse_names(keep)
    for name in (*dropped_names, *kept_names):
        if name not in names:
            raise DataError(
                f"no column named {name[:80]!r} to drop or keep; available: "
                + ", ".join(names[:30]),
                path=path,
            )
        if name == target_name:
            raise DataError(f"{name!r} is the target; it cannot be dropped or kept", path=path)
    columns: list[ColumnInfo] = []
    features: dict[str, Any] = {}
    largest: dict[str, float] = {}
    numeric: list[str] = []
    categorical: list[str] = []
    notices: list[str] = []
    texts: dict[str, Text] = {}
    dates: dict[str, list[str]] = {}
    for position, name in enumerate(names):
        if name == target_name:
            n_classes = len(label_uniques)
            columns.append(ColumnInfo(name, "target", 0, f"target ({n_classes} classes)"))
            continue
        series = frame[name] if keep_rows is None else frame[name][keep_rows]
        info, values = _type_column(series, name, position, len(series), lines, path, largest)
        if name in dropped_names:
            info = ColumnInfo(name, info.kind, info.missing, "ignored: --drop", info.distinct)
        elif name in kept_names and not info.used and info.kind != "empty":
            info, values = _forced(series, info)
        if isinstance(values, dict) and any(part in names for part in values):
            info = ColumnInfo(
                name,
                "date",
                info.missing,
                f"ignored: dates (a column is named {next(iter(values))!r})",
            )
        if info.used and isinstance(values, dict):  # a date's numeric parts
            features.update(values)
            numeric.extend(values)
            dates[name] = list(values)
        elif info.used and isinstance(values, Text):
            features[name] = values.values()
            texts[name] = values
            categorical.append(name)
        elif info.used:
            features[name] = values
            numeric.append(name)
        columns.append(info)
        automatic = info.action.startswith("ignored") and info.action != "ignored: --drop"
        if automatic and (
            info.kind in ("text", "date") or info.action.startswith("ignored: row numbers")
        ):
            why = info.action.removeprefix("ignored: ")
            notices.append(f"column {name!r} ignored: {why} (--keep {name} uses it)")
    table = Table(
        path=path,
        sep=" " if options["sep"] == r"\s+" else options["sep"],
        decimal=options["decimal"],
        read_options=options,
        names=names,
        columns=columns,
        target=target_name,
        numeric=numeric,
        categorical=categorical,
        features=features,
        label_codes=label_codes,
        label_uniques=label_uniques,
        lines=lines,
        rows_read=rows_read,
        dropped_rows=dropped,
        notices=notices,
        texts=texts,
        dates=dates,
        largest=largest,
    )
    _check_target(table, test_size)
    if not features:
        table.warnings.append(no_features_message(table))
    return table


def no_features_message(table: Table) -> str:
    """Why no column can be a feature (every one but the target is ignored)."""
    ignored = "; ".join(f"{c.name!r} {c.action}" for c in table.columns if c.kind != "target")
    return (
        f"no usable feature column (every column but the target is ignored: {ignored[:300]}); "
        "use --keep COL to use one"
    )


def _check_labels(uniques: Any, codes: Any, lines: Any, path: str, target: str) -> None:
    """Refuse an empty or overlong label (``uniques``: the distinct labels, ``codes``:
    each row's)."""
    longest = max(range(len(uniques)), key=lambda i: len(uniques[i]), default=None)
    shortest = min(range(len(uniques)), key=lambda i: len(uniques[i]), default=None)
    if longest is not None and len(uniques[longest]) > MAX_LABEL_CHARS:
        label = uniques[longest]
        raise DataError(
            f"class label of {len(label):,} characters ({label[:20]!r}...); labels are at "
            f"most {MAX_LABEL_CHARS} characters (is {target!r} the class column? use --target)",
            path=path,
            row=int(lines[int(np.argmax(codes == longest))]),
            column=target,
        )
    if shortest is not None and not uniques[shortest]:
        raise DataError(
            "missing class label (empty cell); every row needs one",
            path=path,
            row=int(lines[int(np.argmax(codes == shortest))]),
            column=target,
        )


def _check_target(table: Table, test_size: float) -> None:
    """Warnings about the target; `table.unusable` when no classifier can use it."""
    import pandas as pd

    per_code = np.bincount(table.label_codes, minlength=len(table.label_uniques)).tolist()
    # As value_counts(): most rows first, ties in file order (the codes' order). Plain
    # lists: a few classes, and pandas' Series machinery costs more than the sort.
    order = sorted(range(len(per_code)), key=lambda code: -per_code[code])
    counts = {table.label_uniques[code]: per_code[code] for code in order}
    if len(counts) > 20:
        numbers = pd.to_numeric(pd.Series(list(counts), dtype=object), errors="coerce")
        if numbers.notna().all():
            whole = bool((numbers == numbers.round()).all())
            if not whole or len(counts) > 50:
                _refuse_continuous_target(table, len(counts))
    if len(counts) < 2:
        table.warnings.append(
            f"the target {table.target!r} has only one class ({str(next(iter(counts)))[:30]!r}); "
            "training needs at least 2 (use --target COL)"
        )
    if table.dropped_rows > table.rows_read / 2:
        table.warnings.append(
            f"the target {table.target!r} is missing in {table.dropped_rows} of "
            f"{table.rows_read} rows: is it the class column? (use --target COL)"
        )
    rare = [str(label) for label, n in counts.items() if n * test_size < FEW_TEST_ROWS]
    if rare:
        shown = ", ".join(repr(r[:30]) for r in rare[:5]) + (", ..." if len(rare) > 5 else "")
        table.warnings.append(
            f"{len(rare)} class(es) will have fewer than {FEW_TEST_ROWS} test rows ({shown}): "
            "their test scores are noisy"
        )
    for column in table.columns:
        if column.kind == "id":
            table.warnings.append(f"column {column.name!r} looks like an ID: ignored")


def _refuse_continuous_target(table: Table, distinct: int) -> None:
    """Mark ``table`` unusable: its target looks continuous (``distinct`` numbers)."""
    import pandas as pd

    few = [  # counted only now: distinct numbers are not counted while typing
        name
        for name in table.numeric + table.categorical
        if 2 <= pd.Series(table.features[name]).nunique() <= 10
    ]
    hint = f"; columns with few values: {', '.join(few[:5])}" if few else ""
    table.unusable = (
        f"the target {table.target!r} looks continuous ({distinct} distinct numbers); "
        f"perceptune trains classifiers: pick a column with a few classes (--target "
        f"COL){hint}"
    )
    table.warnings.append(table.unusable)


def _type_column(
    series: Any,
    name: str,
    position: int,
    n_rows: int,
    lines: Any,
    path: str,
    largest: dict[str, float] | None = None,
) -> tuple[ColumnInfo, Any]:
    """The kind of one feature column, and its values ready for the encoder: a float64
    array (numeric), a :class:`Text` (categorical) or a dict of float64 arrays
    (an expanded date). ``largest``: where a number column's largest ``|value|`` is
    recorded (see :attr:`Table.largest`)."""
    if series.dtype.kind in "iufb":
        values = series.to_numpy(dtype=np.float64)  # no copy for float64
        # min and max give NaN when a cell is missing: only then count those and
        # take the bounds again without them (most number columns are full).
        low, high = np.min(values, initial=np.inf), np.max(values, initial=-np.inf)
        missing = 0
        if np.isnan(low) or np.isnan(high):
            missing = int(np.count_nonzero(np.isnan(values)))  # count_nonzero: no int cast
            low = high = None
        if missing == n_rows:
            return ColumnInfo(name, "empty", missing, "ignored: no values"), None
        if position == 0 and name == _UNNAMED.format(1):
            return ColumnInfo(name, "index", missing, _ROW_NAMES), None
        whole = series.dtype.kind in "iu"
        rownum = series.index.to_numpy() if whole and position == 0 else None
        return _type_numeric(
            values,
            whole,
            name,
            position,
            missing,
            n_rows,
            lines,
            path,
            rownum,
            (low, high),
            largest,
        )
    text = Text.of(series)
    missing = text.missing
    if missing == n_rows:
        return ColumnInfo(name, "empty", missing, "ignored: no values"), None
    if position == 0 and name == _UNNAMED.format(1):
        return ColumnInfo(name, "index", missing, _ROW_NAMES), None
    numbers = text.soft_numbers()
    if numbers is not None:  # numbers with a few "None"/"-" cells: those are missing
        missing = int(np.count_nonzero(np.isnan(numbers)))
        return _type_numeric(
            numbers, False, name, position, missing, n_rows, lines, path, largest=largest
        )
    return _type_text(text, name, n_rows - missing)


_ROW_NAMES = "ignored: row names (unnamed first column)"


@dataclass(slots=True)
class Text:
    """A text column factorised once: each row's code into ``uniques`` (-1: missing).

    Every question about the column (missing cells, distinct values, numbers, dates)
    is answered from its few distinct values instead of its many rows."""

    codes: Any  # int array, one per row
    uniques: Any  # object array of distinct str values, stripped of surrounding spaces
    #: The column's own cells when they are already what :meth:`values` gives (str
    #: cells, nothing stripped, missing as NaN): no per-row copy is made then.
    cells: Any = None

    @classmethod
    def of(cls, series: Any) -> Text:
        """Factorise ``series`` (text cells, missing as NaN), stripping spaces."""
        import pandas as pd

        cells = series.to_numpy(dtype=object)
        codes, uniques = factorize_cells(cells)
        cleaned = [value.strip() if isinstance(value, str) else str(value) for value in uniques]
        if cleaned != list(uniques):  # " a" and "a" are one category
            remap, uniques = pd.factorize(np.array(cleaned, dtype=object))
            codes = np.where(codes >= 0, remap[codes], -1)
            return cls(codes, np.asarray(uniques, dtype=object))
        # pandas' text dtype keeps a missing cell as NaN (an object column might hold
        # None or pd.NA instead: those are rebuilt by values()).
        as_is = isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is np.nan
        return cls(codes, np.asarray(uniques, dtype=object), cells if as_is else None)

    @property
    def missing(self) -> int:
        """Rows without a value."""
        return int(np.count_nonzero(self.codes < 0))

    def values(self) -> Any:
        """One object per row: its text, or NaN (read-only when they are the column's
        own cells)."""
        if self.cells is not None:
            view = self.cells.view()
            view.flags.writeable = False
            return view
        if not len(self.uniques):
            return np.full(len(self.codes), np.nan, dtype=object)
        cells = self.uniques[self.codes]
        cells[self.codes < 0] = np.nan
        return cells

    def soft_numbers(self) -> Any:
        """The column as float64 when every value is a number but a few missing
        markers (``None``, ``-``, see :data:`SOFT_NA`); else None."""
        import pandas as pd

        numbers = pd.to_numeric(pd.Series(self.uniques), errors="coerce").to_numpy(np.float64)
        failed = np.isnan(numbers)
        if not failed.any() or failed.all():
            return None
        if not all(value in SOFT_NA for value in self.uniques[failed]):
            return None
        values = numbers[self.codes]
        values[self.codes < 0] = np.nan
        return values

    def sample(self, size: int = 200) -> list[str]:
        """The first ``size`` present values, in row order."""
        head = self.codes[: size * 4]  # enough rows unless most are missing
        present = head[head >= 0][:size]
        if len(present) < size and len(head) < len(self.codes):
            present = self.codes[self.codes >= 0][:size]
        return self.uniques[present].tolist()

    def __len__(self) -> int:
        return len(self.codes)


def _type_numeric(
    values: Any,
    whole: bool,
    name: str,
    position: int,
    missing: int,
    n_rows: int,
    lines: Any,
    path: str,
    rownum: Any = None,
    bounds: tuple[Any, Any] = (None, None),
    largest: dict[str, float] | None = None,
) -> tuple[ColumnInfo, Any]:
    """``rownum``: each row's 0-based position among the file's data rows (None: not
    an integer first column, so not checked for row numbers); ``bounds``: the values'
    min and max when the caller has them (None: taken here, missing cells skipped)."""
    present = n_rows - missing
    if missing == n_rows:
        return ColumnInfo(name, "empty", missing, "ignored: no values"), None
    low, high = bounds
    if low is None or high is None:
        low, high = np.nanmin(values), np.nanmax(values)
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = int(np.flatnonzero(np.isinf(values))[0])
        raise DataError(
            f"{values[bad]!r} is not a finite number; features must not be inf",
            path=path,
            row=int(lines[bad]),
            column=name,
        )
    if low == high:
        return ColumnInfo(name, "constant", missing, f"ignored: constant ({low:g})", 1), None
    if missing == 0 and whole:
        # Row numbers 0..N-1 or 1..N in the first column (counted over every data row
        # of the file, also those dropped for a missing target): an index, not data.
        if position == 0 and n_rows >= 10 and rownum is not None:
            for offset in (0, 1):
                if values[0] == rownum[0] + offset and np.array_equal(values, rownum + offset):
                    return ColumnInfo(
                        name, "index", 0, f"ignored: row numbers {values[0]:g}..{high:g}"
                    ), None
        if looks_like_id(name) and len(np.unique(values)) >= 0.9 * present:
            return ColumnInfo(name, "id", 0, "ignored: ID-like (unique per row)"), None
    action = f"imputed (median): {missing} missing" if missing else "feature"
    if largest is not None:
        largest[name] = float(max(-low, high))
    return ColumnInfo(name, "numeric", missing, action), values


#: An ISO date, optionally with a time: the only dates expanded (03/04/2024 is
#: ambiguous: day first or month first).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?")
#: What an expanded date becomes: numeric features named ``<column>_<part>``.
DATE_PARTS = ("year", "month", "weekday")
_DATE_FIELDS = {"year": "year", "month": "month", "weekday": "day_of_week"}  # pandas names


def looks_like_id(name: str) -> bool:
    """A column name like ``id``, ``ID``, ``patient_id``, ``PassengerId``, ``rownames``."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def _type_text(text: Text, name: str, present: int) -> tuple[ColumnInfo, Any]:
    missing = len(text) - present
    distinct = len(text.uniques)
    if distinct == 1:
        return ColumnInfo(name, "constant", missing, "ignored: constant", 1), None
    sample = text.sample()
    if sum(bool(_DATE.fullmatch(v)) for v in sample) > 0.95 * len(sample):
        return _type_date(text, name, missing, distinct)
    if looks_like_id(name) and distinct >= 0.9 * present:
        return ColumnInfo(name, "id", missing, "ignored: ID-like (unique per row)", distinct), None
    if distinct > MAX_CATEGORIES or (distinct > 0.5 * present and distinct > 10):
        why = (
            "free text or ID (unique per row)"
            if distinct >= 0.9 * present
            else f"too many distinct values ({distinct}) for categories"
        )
        return ColumnInfo(name, "text", missing, f"ignored: {why}", distinct), None
    action = f"one-hot: {distinct} columns" + (
        f", imputed (most frequent): {missing} missing" if missing else ""
    )
    return ColumnInfo(name, "categorical", missing, action, distinct), text


def _type_date(text: Text, name: str, missing: int, distinct: int) -> tuple[ColumnInfo, Any]:
    """A column of dates: expanded to year, month and weekday when every value is a
    clean ISO date (or date and time), else ignored."""
    parts = date_parts(text.uniques)
    if parts is None:
        why = "ignored: dates, not all ISO YYYY-MM-DD (so not expanded)"
        return ColumnInfo(name, "date", missing, why, distinct), None
    values = {}
    for part, numbers in zip(DATE_PARTS, parts, strict=True):
        column = numbers[text.codes]
        column[text.codes < 0] = np.nan
        if np.nanmin(column) != np.nanmax(column):  # a part that never changes says nothing
            values[f"{name}_{part}"] = column
    kept = [part for part in DATE_PARTS if f"{name}_{part}" in values]
    if not kept:
        return ColumnInfo(name, "date", missing, "ignored: dates, all on one day", distinct), None
    same = [part for part in DATE_PARTS if part not in kept]
    action = (
        "expanded: "
        + ", ".join(kept)
        + (f" ({', '.join(same)} constant)" if same else "")
        + (f"; imputed (median): {missing} missing" if missing else "")
    )
    return ColumnInfo(name, "date", missing, action, distinct), values


def date_parts(cells: Any) -> tuple[Any, Any, Any] | None:
    """Year, month and weekday (Monday 0) of ISO date texts as float64 arrays; None
    if any text is not a clean ISO date. Missing cells (NaN) give NaN."""
    import pandas as pd

    cells = pd.Series(np.asarray(cells, dtype=object))
    present = cells.dropna()
    if not all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in present.tolist()):
        return None
    when = pd.to_datetime(cells, format="ISO8601", errors="coerce")
    if when[cells.notna()].isna().any():
        return None  # 2024-02-30: shaped like a date, but not one
    return tuple(
        getattr(when.dt, _DATE_FIELDS[part]).to_numpy(dtype=np.float64, na_value=np.nan)
        for part in DATE_PARTS
    )


def _forced(series: Any, info: ColumnInfo) -> tuple[ColumnInfo, Any]:
    """``--keep``: use a column the automatic rules ignored."""
    if series.dtype.kind in "iufb":
        values = series.to_numpy(dtype=np.float64)
        return ColumnInfo(info.name, "numeric", info.missing, "feature (--keep)"), values
    text = Text.of(series)
    distinct = len(text.uniques)
    action = f"one-hot: {distinct} columns (--keep)"
    return ColumnInfo(info.name, "categorical", info.missing, action, distinct), text


def features_of(
    frame: Any,
    table: Table,
    lines: Any,
    path: str,
) -> dict[str, Any]:
    """A test file's columns prepared as :func:`read_table` prepared the train file's
    (``table``); text in a number column (other than a missing marker) is refused."""
    import pandas as pd

    out: dict[str, Any] = {}
    for name, parts in table.dates.items():
        cells = Text.of(frame[name]).values()
        clean = date_parts(cells)
        if clean is None:  # parse what parses; the rest is imputed like a missing cell
            when = pd.to_datetime(pd.Series(cells), format="ISO8601", errors="coerce")
            clean = tuple(
                getattr(when.dt, _DATE_FIELDS[part]).to_numpy(dtype=np.float64, na_value=np.nan)
                for part in DATE_PARTS
            )
        every = dict(zip((f"{name}_{part}" for part in DATE_PARTS), clean, strict=True))
        out.update((part, every[part]) for part in parts)
    for name in table.numeric:
        if name in out:
            continue
        series = frame[name]
        converted = pd.to_numeric(series, errors="coerce")
        if series.dtype.kind == "O" or isinstance(series.dtype, pd.StringDtype):
            failed = converted.isna() & series.notna()
            failed &= ~series.astype(str).str.strip().isin(SOFT_NA)
            if failed.any():
                i = int(np.argmax(failed.to_numpy()))
                raise DataError(
                    f"{str(series.iloc[i])[:40]!r} is not a number, but {name!r} is a number "
                    "column in the train file",
                    path=path,
                    row=int(lines[i]),
                    column=name,
                )
        out[name] = converted.to_numpy(dtype=np.float64, na_value=np.nan)
    for name in table.categorical:
        out[name] = Text.of(frame[name]).values()
    return out


def numeric_groups(table: Table, *frames: Any) -> tuple[list[str], list[str]]:
    """The number columns without and with missing cells in any of ``frames``
    (mappings from column name to values; only those with gaps get an imputer: a
    median over 100k rows costs more than the read)."""
    gaps = {
        name
        for frame in frames
        if frame is not None
        for name in table.numeric
        if np.isnan(np.asarray(frame[name], dtype=np.float64)).any()
    }
    return [n for n in table.numeric if n not in gaps], [n for n in table.numeric if n in gaps]


def make_transformer(
    complete: list[str], gaps: list[str], categorical: list[str], scale: bool
) -> Any:
    """The ``ColumnTransformer`` that encodes a table: numbers standardised (with
    ``scale``), those with missing cells median-imputed first; categories
    most-frequent-imputed and one-hot encoded (a category unseen in training becomes
    all zeros). Output columns: ``complete``, ``gaps``, then the one-hot columns."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    number_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True))
    ]
    if scale:
        number_steps.append(("scale", StandardScaler()))
    parts: list[tuple[str, Any, list[str]]] = []
    if complete:
        parts.append(("numbers", StandardScaler() if scale else "passthrough", complete))
    if gaps:
        parts.append(("gaps", Pipeline(number_steps), gaps))
    if categorical:
        category_steps = [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
        parts.append(("categories", Pipeline(category_steps), categorical))
    return ColumnTransformer(parts, verbose_feature_names_out=False)
