"""A train CSV (and optional test CSV) as labels and typed feature frames, and their
encoding into the float matrices a run trains on.

:func:`read_csv_pair` reads each file once (:func:`core.tabular.read_table`), checks
that a test file matches its train file, and turns the label texts into classes.
:func:`encode` fits the :func:`core.tabular.make_transformer` pipeline on the train
part only and transforms both parts once: training and per-epoch scoring then work on
plain float64 matrices. Nothing in a file is ever evaluated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.encoding import Encoded
from core.errors import DataError
from core.lazy import lazy_module
from core.tabular import (
    Table,
    features_of,
    make_transformer,
    no_features_message,
    numeric_groups,
    read_frame,
    read_table,
    release_free_memory,
)

np = lazy_module("numpy")

_INT_LABEL = re.compile(r"[+-]?\d{1,18}")  # fits int64: longer digit strings stay text


@dataclass(slots=True)
class CsvPair:
    """What a train file (and a test file) hold, before any split."""

    table: Table  # the train file, typed and planned
    y: Any  # classes of the train file's kept rows (int64 or str array)
    test_features: Any = None  # pandas DataFrame of the test file's feature columns
    y_test: Any = None
    test_rows: int = 0
    test_dropped: int = 0
    notices: list[str] = field(default_factory=list)


def convert_labels(*label_lists: Sequence[str]) -> list[np.ndarray]:
    """Turn label texts into arrays: integers if every label of every list is a whole
    number that fits 64 bits (so train and test files agree), else strings."""
    distinct = set().union(*(set(labels) for labels in label_lists))  # few: check those
    if all(_INT_LABEL.fullmatch(label) for label in distinct):
        number = {label: int(label) for label in distinct}
        return [
            np.fromiter(map(number.__getitem__, labels), dtype=np.int64, count=len(labels))
            for labels in label_lists
        ]
    return [np.array(list(labels), dtype=str) for labels in label_lists]


def coded_labels(table: Table) -> Any:
    """:func:`convert_labels` of the table's labels, from their few distinct values."""
    return label_values(table)[table.label_codes]


def label_values(table: Table) -> Any:
    """Each distinct label of the table (``label_uniques``) as :func:`convert_labels`
    turns it: int64 if every label is a whole number, else str."""
    uniques = table.label_uniques.tolist()
    if all(_INT_LABEL.fullmatch(label) for label in uniques):
        return np.array([int(label) for label in uniques], dtype=np.int64)
    return np.array(uniques, dtype=str)


def read_csv_pair(spec: Any, keep_scratch: bool = False) -> CsvPair:
    """Read ``spec.train`` (and ``spec.test``) with the spec's CSV options.
    ``keep_scratch``: as :func:`core.tabular.read_table` says (the caller encodes
    next and hands the parser's freed memory back itself)."""
    try:
        return _read_csv_pair(spec)
    finally:
        if not keep_scratch:
            release_free_memory()


def _read_csv_pair(spec: Any) -> CsvPair:
    options = {
        "sep": spec.sep,
        "decimal": spec.decimal,
        "na": spec.na_values,
        "header": spec.header,
    }
    table = read_table(
        spec.train,
        target=spec.target,
        drop=spec.drop,
        keep=spec.keep,
        test_size=spec.test_size,
        keep_scratch=True,
        **options,
    )
    if table.unusable:
        raise DataError(table.unusable, path=spec.train, column=table.target)
    if spec.test is None:
        pair = CsvPair(table, coded_labels(table))
    else:
        pair = _with_test_file(spec, table, options)
    # Without a test file every distinct label has rows: sort those few, not every row.
    classes = np.unique(label_values(table) if spec.test is None else pair.y)
    if classes.size < 2:
        raise DataError(
            f"the target has only one class ({classes[0].item()!r}); need at least 2 classes"
            " (is the right column the target? use --target NAME)",
            path=spec.train,
            column=table.target,
        )
    if not table.numeric and not table.categorical:
        raise DataError(no_features_message(table), path=spec.train)
    if table.dropped_rows:
        pair.notices.insert(
            0, f"{table.dropped_rows} row(s) with a missing target {table.target!r} dropped"
        )
    return pair


def _with_test_file(spec: Any, table: Table, options: dict[str, Any]) -> CsvPair:
    import pandas as pd

    frame, lines, _ = read_frame(spec.test, target=table.target, **options)
    _check_test_columns(list(frame.columns), table, spec.test, spec.train)
    if frame.empty:
        raise DataError("no data rows after the header; add at least one row", path=spec.test)
    has_label = frame[table.target].notna().to_numpy()
    dropped = int((~has_label).sum())
    frame, lines = frame[has_label], lines[has_label]
    test_labels = frame[table.target].str.strip().to_numpy(dtype=object)
    y, y_test = convert_labels(table.labels, test_labels)
    unseen = ~np.isin(y_test, np.unique(y))
    if unseen.any():
        first = int(np.argmax(unseen))
        shown = ", ".join(str(v) for v in np.unique(y).tolist()[:10])
        raise DataError(
            f"test file has class {y_test[first].item()!r} not in the train file "
            f"{spec.train}; classes there: {shown}",
            path=spec.test,
            row=int(lines[first]),
            column=table.target,
        )
    features = features_of(frame, table, lines, spec.test)
    notices = [f"test file: {dropped} row(s) with a missing target dropped"] if dropped else []
    for name in table.categorical:
        known = set(table.texts[name].uniques.tolist())
        new = pd.Series(features[name]).dropna()
        new = new[~new.isin(known)]
        if len(new):
            notices.append(
                f"test file: {len(new)} row(s) of column {name!r} have categories not in the "
                f"train file (e.g. {str(new.iloc[0])[:30]!r}); encoded as all zeros"
            )
    return CsvPair(table, y, features, y_test, len(frame), dropped, notices)


def needed_columns(table: Table) -> list[str]:
    """The train file's columns a test file must have: the target and every column
    training uses (a date column, not its parts), in train-file order."""
    parts = {part for names in table.dates.values() for part in names}
    used = set(table.categorical) | set(table.dates) | (set(table.numeric) - parts)
    return [name for name in table.names if name in used or name == table.target]


def _check_test_columns(header: list[str], table: Table, path: str, train: str) -> None:
    """A separate test file is matched to its train file by column name: it needs
    every column training uses (in any order; others are not read)."""
    present = set(header)
    missing = [name for name in needed_columns(table) if name not in present]
    if missing:
        shown = ", ".join(repr(name[:40]) for name in missing[:5])
        shown += ", ..." if len(missing) > 5 else ""
        raise DataError(
            f"no column {shown} here, but the train file {train} uses "
            f"{'it' if len(missing) == 1 else 'them'}; the test file needs the same "
            f"column names (it has: {', '.join(header[:20])[:200]})",
            path=path,
        )


def encode(
    table: Table,
    train: Any,
    train_rows: Any,
    test: Any,
    test_rows: Any,
    scale: bool,
    test_path: str | None = None,
    consume: bool = False,
    typed: bool | None = None,
) -> Encoded:
    """Fit the encoding pipeline on the train rows only and transform both parts.

    ``train``/``test``: mappings from column name to values (the table's features, or
    a separate test file's); ``train_rows``/``test_rows``: the rows of each to use, in
    order (None: all). Returns C-ordered float64 arrays and the encoded column names,
    equal to what the :func:`core.tabular.make_transformer` pipeline gives.
    ``consume``: the mappings (dicts) may be emptied as soon as their values are
    copied (the caller is done with them: peak memory). ``typed``: ``train`` holds
    the table's own typed features, whose missing cells and bounds the typing
    counted (None: when it is ``table.features``)."""
    from core.encoding import encode_direct

    typed = train is table.features if typed is None else typed
    if typed:
        # Rows of the table itself: its typing counted each column's missing cells.
        missing = {column.name: column.missing for column in table.columns}
        gaps = {name for name in table.numeric if _missing_in(name, table, missing)}
        if test is not train:  # a separate test file: its own gaps too
            gaps.update(numeric_groups(table, test)[1])
    else:
        gaps = set(numeric_groups(table, train, test if test is not train else None)[1])
    largest = table.largest if typed else {}
    return encode_direct(
        table, train, train_rows, test, test_rows, gaps, scale, test_path, consume, largest
    )


def _missing_in(name: str, table: Table, missing: dict[str, int]) -> bool:
    """Whether number column ``name`` of ``table`` has a missing cell (a date's part
    is missing exactly where its date is)."""
    for column, parts in table.dates.items():
        if name in parts:
            return missing[column] > 0
    return missing[name] > 0


def encode_with_transformer(
    table: Table, train: Any, test: Any, scale: bool, test_path: str | None = None
) -> Encoded:
    """:func:`encode` through the fitted ``ColumnTransformer`` itself (feature frames of
    the train and test rows): the reference the direct encoder is checked against."""
    complete, gaps = numeric_groups(table, train, test)
    if scale:  # a value past ~1e154 squares to inf: say which column, not "not finite"
        from core.scaling import check_scalable

        numbers = list(complete) + list(gaps)
        for part in (train, test):
            values = part[numbers].to_numpy(dtype=np.float64, na_value=np.nan)
            values = np.nan_to_num(values, nan=0.0, posinf=np.inf, neginf=-np.inf)
            check_scalable(values, numbers, test_path if part is test and test_path else table.path)
    transformer = make_transformer(complete, gaps, table.categorical, scale)
    X_train = np.ascontiguousarray(transformer.fit_transform(train), dtype=np.float64)
    X_test = np.ascontiguousarray(transformer.transform(test), dtype=np.float64)
    if not np.isfinite(X_test).all():
        raise DataError(
            "a feature is not a finite number (inf or a value too large); features must be finite",
            path=test_path or table.path,
        )
    names = [str(name) for name in transformer.get_feature_names_out()]
    mean = spread = None
    if scale and (complete or gaps):
        steps = transformer.named_transformers_
        scalers = [steps["numbers"]] if "numbers" in steps else []
        scalers += [steps["gaps"].named_steps["scale"]] if "gaps" in steps else []
        mean = np.concatenate([s.mean_ for s in scalers])  # in the output's column order
        spread = np.concatenate([s.scale_ for s in scalers])
    return Encoded(X_train, X_test, names, mean, spread)


def describe_text(pair: CsvPair, spec: Any) -> str:
    """One line: rows, features (raw and encoded), target."""
    table = pair.table
    where = f"{len(table.label_codes)} rows"  # not labels: made on each call
    if spec.test is not None:
        where += f" + {pair.test_rows} test rows in {os.path.basename(spec.test)}"
    n_features = len(table.numeric) + len(table.categorical)
    return (
        f"CSV {os.path.basename(spec.train)}: {where}, {n_features} features "
        f"({table.encoded_width()} inputs), target {table.target!r}"
    )
