"""Read a CSV of numeric features and a class column, refusing anything doubtful.

Only the standard ``csv`` module and ``float()``/``int()`` touch the text: nothing in a
file is ever evaluated. Every problem is a :class:`DataError` naming the file, the
1-based line in the file (the header is row 1) and the column, so a user can find it.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import DataError
from core.lazy import lazy_module

np = lazy_module("numpy")  # numpy on first use: start-up stays light

#: Cells people write for "no value"; named as missing rather than "not a number".
_MISSING_MARKERS = frozenset({"na", "n/a", "null", "none", "?", "-", "missing"})
_INT_LABEL = re.compile(r"[+-]?\d+")


@dataclass(frozen=True, slots=True)
class CsvTable:
    """The validated content of one CSV file."""

    path: str  # the path as the user gave it (used in messages)
    header: tuple[str, ...]  # column names, stripped, in file order
    target: str  # name of the class column
    feature_names: list[str]  # every other column, in file order
    X: np.ndarray  # float64, shape (n_rows, n_features), all finite
    labels: list[str]  # the target cell of each row, stripped text
    rows: list[int]  # the 1-based file line of each data row (for later messages)


def read_csv(
    path: str,
    target: str | None = None,
    *,
    expected_header: Sequence[str] | None = None,
    expected_from: str | None = None,
) -> CsvTable:
    """Read and validate ``path``.

    ``target`` names the class column (default: the last one). ``expected_header``, when
    given, is the header the file must have (a test file must match its train file, whose
    path ``expected_from`` is quoted in the message).
    """
    text = _read_text(path)
    # strict: a stray quote is an error rather than silently becoming part of a value.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header, header_row = _read_header(reader, path)
        if expected_header is not None:
            _check_same_header(
                header, tuple(expected_header), path, header_row, expected_from or ""
            )
        target_index = _target_index(header, target, path)
        return _read_rows(reader, path, header, header_row, target_index)
    except csv.Error as error:
        # Malformed quoting, a NUL byte, an over-long field: the csv module's own words.
        raise DataError(
            f"not a readable CSV file ({error})", path=path, row=reader.line_num
        ) from None


def convert_labels(*label_lists: Sequence[str]) -> list[np.ndarray]:
    """Turn label texts into arrays: integers if every label of every list is a whole
    number (so train and test files agree), else strings."""
    all_ints = all(_INT_LABEL.fullmatch(label) for labels in label_lists for label in labels)
    if all_ints:
        try:
            return [
                np.array([int(label) for label in labels], dtype=np.int64) for labels in label_lists
            ]
        except OverflowError:
            pass  # a "label" wider than 64 bits is an identifier: keep it as text
    return [np.array(list(labels), dtype=str) for labels in label_lists]


def _read_text(path: str) -> str:
    full = os.path.expanduser(path)
    if os.path.isdir(full):
        raise DataError("is a directory; expected a CSV file", path=path)
    try:
        with open(full, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise DataError("no such file", path=path) from None
    except OSError as error:
        raise DataError(f"cannot read the file ({error.strerror or error})", path=path) from None
    try:
        text = raw.decode("utf-8-sig")  # -sig: Excel puts a byte-order mark first
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8 CSV",
            path=path,
            row=line,
        ) from None
    if not text.strip():
        raise DataError("file is empty; expected a header row and data rows", path=path)
    return text


def _is_blank(row: list[str]) -> bool:
    # Blank lines and rows of bare commas (spreadsheet leftovers) carry no data.
    return all(not cell.strip() for cell in row)


def _read_header(reader: Any, path: str) -> tuple[tuple[str, ...], int]:
    for row in reader:
        if _is_blank(row):
            continue
        header = tuple(cell.strip() for cell in row)
        line = reader.line_num
        if len(header) < 2:
            hint = ""
            if ";" in header[0] or "\t" in header[0]:
                hint = "; fields must be separated by commas, not ';' or tabs"
            raise DataError(
                f"header has 1 column; need at least one feature column and a target column{hint}",
                path=path,
                row=line,
            )
        seen: dict[str, int] = {}
        for position, name in enumerate(header, start=1):
            if not name:
                raise DataError(
                    f"empty column name in the header (column {position}); "
                    "every column needs a name",
                    path=path,
                    row=line,
                )
            if name in seen:
                raise DataError(
                    f"column {name!r} appears twice in the header (columns {seen[name]} and "
                    f"{position}); column names must be unique",
                    path=path,
                    row=line,
                    column=name,
                )
            seen[name] = position
        return header, line
    raise DataError("file is empty; expected a header row and data rows", path=path)


def _check_same_header(
    header: tuple[str, ...],
    expected: tuple[str, ...],
    path: str,
    header_row: int,
    expected_from: str,
) -> None:
    if header == expected:
        return
    if len(header) != len(expected):
        raise DataError(
            f"header has {len(header)} columns but the train file {expected_from} has "
            f"{len(expected)}; both files need the same columns in the same order",
            path=path,
            row=header_row,
        )
    position = next(i for i, (a, b) in enumerate(zip(header, expected, strict=True)) if a != b)
    raise DataError(
        f"header differs from the train file {expected_from}: column {position + 1} is "
        f"{header[position]!r} here but {expected[position]!r} there; both files need the "
        "same columns in the same order",
        path=path,
        row=header_row,
    )


def _target_index(header: tuple[str, ...], target: str | None, path: str) -> int:
    if target is None:
        return len(header) - 1
    name = target.strip()
    if name in header:
        return header.index(name)
    raise DataError(
        f"no column named {name!r} for the target; available: {', '.join(header)}",
        path=path,
        column=name,
    )


def _read_rows(
    reader: Any,
    path: str,
    header: tuple[str, ...],
    header_row: int,
    target_index: int,
) -> CsvTable:
    width = len(header)
    target = header[target_index]
    names = [name for i, name in enumerate(header) if i != target_index]
    values: list[list[float]] = []
    labels: list[str] = []
    rows: list[int] = []
    for row in reader:
        if _is_blank(row):
            continue
        line = reader.line_num
        if len(row) != width:
            raise DataError(
                f"row has {len(row)} fields but the header has {width}", path=path, row=line
            )
        label = row.pop(target_index)
        try:
            # Fast path: float() takes surrounding spaces; anything odd goes the slow way.
            numbers = list(map(float, row))
            if not all(map(math.isfinite, numbers)):
                raise ValueError
        except ValueError:
            numbers = [_number(row[i], path, line, names[i]) for i in range(len(row))]
        values.append(numbers)
        label = label.strip()
        if not label:
            raise DataError(
                "missing class label (empty cell); every row needs one",
                path=path,
                row=line,
                column=target,
            )
        labels.append(label)
        rows.append(line)
    if not rows:
        raise DataError(
            f"no data rows after the header (row {header_row}); add at least one row", path=path
        )
    X = np.array(values, dtype=np.float64).reshape(len(rows), len(names))
    return CsvTable(
        path=path,
        header=header,
        target=target,
        feature_names=names,
        X=X,
        labels=labels,
        rows=rows,
    )


def _number(cell: str, path: str, line: int, column: str) -> float:
    text = cell.strip()
    if not text or text.lower() in _MISSING_MARKERS:
        shown = "empty cell" if not text else repr(text)
        raise DataError(
            f"missing value ({shown}); fill it in or drop the row",
            path=path,
            row=line,
            column=column,
        )
    try:
        number = float(text)
    except ValueError:
        raise DataError(
            f"{text!r} is not a number; feature columns must be numeric",
            path=path,
            row=line,
            column=column,
        ) from None
    if not math.isfinite(number):
        raise DataError(
            f"{text!r} is not a finite number; features must not be nan or inf",
            path=path,
            row=line,
            column=column,
        )
    return number
