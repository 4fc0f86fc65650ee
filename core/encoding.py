"""Encode a typed CSV table into the float64 matrices a run trains on.

The result is, bit for bit, what the ``ColumnTransformer`` of
:func:`core.tabular.make_transformer` gives when fit on the train rows (the exported
script builds that one; ``tests/test_encoding.py`` checks the two agree), but built
column by column straight into the final arrays: no train/test copies of the feature
frame, no intermediate matrices per transformer, no ``hstack``. That keeps a 100k-row
load close to the cost and the peak memory of the parse itself.

Each statistic is still computed by scikit-learn's own estimator (``StandardScaler``,
``SimpleImputer``) on the column's contiguous train values, which is how the
``ColumnTransformer`` sees them (pandas hands it column-major data), so the numbers do
not depend on a re-implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import DataError
from core.lazy import lazy_module
from core.scaling import MAX_SCALED_VALUE
from core.tabular import release_free_memory

np = lazy_module("numpy")


@dataclass(slots=True)
class Encoded:
    """The encoded parts and what explains their columns."""

    X_train: Any  # C-ordered float64, rows in the order of the train rows given
    X_test: Any
    names: list[str]  # one per column: number columns, then ``column_category``
    mean: Any = None  # per number column, in output order (None when not scaled)
    scale: Any = None


#: Source rows copied at a time: a block of every number column, made row-major in
#: the CPU cache, then its rows go to their places in the train and test arrays.
BLOCK_ROWS = 2048
#: Number columns whose train values are copied at a time for the statistics.
STAT_COLUMNS = 9


def _check_scalable(values: Any, name: str, path: str | None) -> None:
    """As :func:`core.scaling.check_scalable`, for one column (missing cells skipped)."""
    if values.size == 0:
        return
    largest = float(np.fmax.reduce(np.abs(values)))  # fmax: NaN only if all are NaN
    if largest > MAX_SCALED_VALUE:
        raise DataError(
            f"values up to {largest:g} are too large to standardise (at most "
            f"{MAX_SCALED_VALUE:g}); rescale the column or turn scaling off (--no-scale)",
            path=path,
            column=name,
        )


def encode_direct(
    table: Any,
    train: Any,
    train_rows: Any,
    test: Any,
    test_rows: Any,
    gaps: set[str],
    scale: bool,
    test_path: str | None = None,
    consume: bool = False,
) -> Encoded:
    """Encode the train rows ``train_rows`` of ``train`` and the test rows
    ``test_rows`` of ``test`` (mappings from column name to values: the table's
    features, or a separate test file's; rows None = every row in order).

    ``gaps``: the number columns that get a median imputer (those with a missing cell
    in either part, as :func:`core.tabular.numeric_groups` says). ``consume``:
    empty ``train`` and ``test`` (dicts) once their values are copied, so their memory
    is free again before the statistics are computed."""
    complete = [name for name in table.numeric if name not in gaps]
    numbers = complete + [name for name in table.numeric if name in gaps]
    first = (table.numeric + table.categorical)[0]
    n_train = len(train_rows) if train_rows is not None else len(train[first])
    n_test = len(test_rows) if test_rows is not None else len(test[first])
    plans = [
        _categories(table.texts[name], train_rows, name, table.path) for name in table.categorical
    ]
    width = len(numbers) + sum(len(plan.names) for plan in plans)
    # zeros: fresh pages from the OS, already zero where no one-hot bit is set.
    X_train = np.zeros((n_train, width), dtype=np.float64)
    X_test = np.zeros((n_test, width), dtype=np.float64)
    paths = (table.path, test_path or table.path)
    sources = [np.asarray(train[name], dtype=np.float64) for name in numbers]
    tests = sources if test is train else [np.asarray(test[name], np.float64) for name in numbers]
    steps = _fit_numbers(numbers, sources, tests, train_rows, gaps, scale, paths)
    release_free_memory()  # the statistics' scratch copies, before the arrays fill up
    parts = [(X_train, train, train_rows), (X_test, test, test_rows)]
    if test is train:  # one source split in two: each source row is read once
        _fill_numbers(sources, parts, steps)
    else:
        _fill_numbers(sources, parts[:1], steps)
        _fill_numbers(tests, parts[1:], steps)
    del sources, tests
    for out, source, rows in parts:
        start = len(numbers)
        for name, plan in zip(table.categorical, plans, strict=True):
            plan.write(source[name], rows, out, start, same_source=source is train)
            start += len(plan.names)
    if consume:
        train.clear()
        test.clear()
    names = list(numbers)
    for name, plan in zip(table.categorical, plans, strict=True):
        names += [f"{name}_{category}" for category in plan.names]
    if scale and numbers:
        return Encoded(X_train, X_test, names, steps.means, steps.scales)
    return Encoded(X_train, X_test, names)


@dataclass(slots=True)
class _NumberSteps:
    """The fitted imputers and scaler of the number columns (in output order)."""

    fills: dict[int, float]  # column -> median of its train values (gap columns only)
    means: Any  # per column (zeros when not scaled)
    scales: Any  # per column (ones when not scaled)
    scale: bool

    def apply(self, block: Any) -> None:
        """Impute and scale a block of rows in place, as the pipeline's transform does
        (missing cells get the median; then x -= mean; x /= scale)."""
        for j, fill in self.fills.items():
            column = block[:, j]
            np.copyto(column, fill, where=np.isnan(column))
        if self.scale:
            block -= self.means
            block /= self.scales


def _fit_numbers(
    numbers: list[str],
    sources: list[Any],
    tests: list[Any],
    train_rows: Any,
    gaps: set[str],
    scale: bool,
    paths: tuple[str | None, str | None],
) -> _NumberSteps:
    """Fit the median imputers and the scaler on each number column's train values,
    a few columns at a time, copied contiguous in train-row order (as pandas hands
    them to the ColumnTransformer: column-major)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    k = len(numbers)
    steps = _NumberSteps({}, np.zeros(k), np.ones(k), scale)
    n_train = len(train_rows) if train_rows is not None else (len(sources[0]) if k else 0)
    buffer = np.empty((min(k, STAT_COLUMNS), n_train), dtype=np.float64)  # reused: few pages
    for first in range(0, k, STAT_COLUMNS):
        group = range(first, min(first + STAT_COLUMNS, k))
        values = buffer[: len(group)]
        for i, j in enumerate(group):
            if train_rows is None:
                values[i] = sources[j]
            else:
                np.take(sources[j], train_rows, out=values[i])
            if numbers[j] in gaps:
                imputer = SimpleImputer(strategy="median", keep_empty_features=True)
                steps.fills[j] = imputer.fit(values[i][:, None]).statistics_[0]
                np.copyto(values[i], steps.fills[j], where=np.isnan(values[i]))
            if scale:
                _check_scalable(values[i], numbers[j], paths[0])
                _check_scalable(tests[j], numbers[j], paths[1])
            elif np.isinf(tests[j]).any():
                raise DataError(
                    "a feature is not a finite number (inf or a value too large); "
                    "features must be finite",
                    path=paths[1],
                    column=numbers[j],
                )
        if scale:
            scaler = StandardScaler().fit(values.T)
            steps.means[first : group.stop], steps.scales[first : group.stop] = (
                scaler.mean_,
                scaler.scale_,
            )
    return steps


def _fill_numbers(
    columns: list[Any], parts: list[tuple[Any, Any, Any]], steps: _NumberSteps
) -> None:
    """Write the imputed, scaled number ``columns`` (one source) into the first
    columns of each part's array: ``parts`` holds ``(out, source, rows)`` with the
    source row of each output row (None: all, in order). The source is read in order,
    a block at a time (each column is contiguous there, each row is contiguous in
    ``out``), and transformed while the block is in the CPU cache."""
    k = len(columns)
    if not k:
        return
    n = len(columns[0])
    part_of = np.full(n, -1, dtype=np.int8)
    position = np.zeros(n, dtype=np.int64)
    for i, (out, _, rows) in enumerate(parts):
        chosen = slice(None) if rows is None else rows
        part_of[chosen] = i
        position[chosen] = np.arange(len(out))
    if int((part_of >= 0).sum()) != sum(len(out) for out, _, _ in parts):
        # A row used twice (overlapping parts: not a split): gather each part instead.
        for out, _, rows in parts:
            chosen = slice(None) if rows is None else rows
            out[:, :k] = np.column_stack([column[chosen] for column in columns])
            steps.apply(out[:, :k])
        return
    block = np.empty((BLOCK_ROWS, k), dtype=np.float64)
    for begin in range(0, n, BLOCK_ROWS):
        end = min(begin + BLOCK_ROWS, n)
        rows = block[: end - begin]
        for j, column in enumerate(columns):
            rows[:, j] = column[begin:end]
        steps.apply(rows)
        where = part_of[begin:end]
        for i, (out, _, _) in enumerate(parts):
            mine = where == i
            out[position[begin:end][mine], :k] = rows[mine]


@dataclass(slots=True)
class _CategoryPlan:
    """One category column as the fitted imputer and one-hot encoder see it."""

    uniques: Any  # pandas Index of the distinct values of the column's whole source
    codes: Any  # each source row's position in ``uniques`` (-1: missing)
    position: Any  # uniques position -> output column (-1: not seen in the train rows)
    fill: int  # output column of the most frequent train value (missing cells get it)
    names: list[str]  # the categories, sorted as OneHotEncoder sorts them

    def write(self, values: Any, rows: Any, out: Any, start: int, same_source: bool) -> None:
        """Set the one-hot bits of the ``rows`` of ``values`` in ``out`` (zeros), from
        its column ``start``; ``same_source``: ``values`` is the column the plan was fit
        on (its codes are known)."""
        import pandas as pd

        if same_source:
            codes = self.codes if rows is None else self.codes[rows]
            missing = codes < 0
        else:
            cells = pd.Series(values).to_numpy(dtype=object)
            cells = cells if rows is None else cells[rows]
            codes = self.uniques.get_indexer(cells)
            missing = pd.isna(cells)
        column = self.position[codes]  # codes -1 (missing or unknown) -> -1
        column[missing] = self.fill  # a missing cell is imputed; an unseen one stays zeros
        seen = np.flatnonzero(column >= 0)
        # Flat positions rise with the row: one pass over the array, in order.
        out.reshape(-1)[seen * out.shape[1] + start + column[seen]] = 1.0


def _categories(text: Any, rows: Any, name: str, path: str | None) -> _CategoryPlan:
    """Fit the most-frequent imputer and the one-hot encoder of one column (a
    :class:`core.tabular.Text`) on its train rows, by counting codes as their ``fit``
    counts values."""
    import pandas as pd

    codes, uniques = text.codes, text.uniques
    train_codes = codes if rows is None else codes[rows]
    counts = np.bincount(train_codes[train_codes >= 0], minlength=len(uniques))
    if not counts.any():  # the imputer and the one-hot encoder would have nothing to fit
        raise DataError(
            f"no value in the train rows ({len(train_codes)} rows, all missing); the column "
            f"has values only in test rows: --drop {name[:40]} or fill it in",
            path=path,
            column=name,
        )
    present = np.flatnonzero(counts)
    seen = sorted(uniques[present].tolist())
    order = {value: i for i, value in enumerate(seen)}
    position = np.full(len(uniques) + 1, -1, dtype=np.int64)  # [-1] stays -1
    for i in present:
        position[i] = order[uniques[i]]
    top = counts.max()
    fill = order[min(uniques[i] for i in present if counts[i] == top)]  # ties: the smallest
    return _CategoryPlan(pd.Index(uniques), codes, position, fill, seen)
