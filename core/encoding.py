"""Encode a typed CSV table into the float64 matrices a run trains on.

The result is, bit for bit, what the ``ColumnTransformer`` of
:func:`core.tabular.make_transformer` gives when fit on the train rows (the exported
script builds that one; ``tests/test_encoding.py`` checks the two agree), but built
column by column straight into the final arrays: no train/test copies of the feature
frame, no intermediate matrices per transformer, no ``hstack``. That keeps a 100k-row
load close to the cost and the peak memory of the parse itself.

The median imputer is scikit-learn's own ``SimpleImputer``, fit on the column's
contiguous train values. The scaler's mean and scale are the sums
``StandardScaler.fit`` makes (:func:`scaler_statistics`: the same sums over the same
contiguous values, in the same order, so the same bits), without its input checks
and masks: those cost more than the sums on a 100k-row file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import DataError
from core.lazy import lazy_module
from core.scaling import MAX_SCALED_VALUE

np = lazy_module("numpy")


@dataclass(slots=True)
class Encoded:
    """The encoded parts and what explains their columns."""

    X_train: Any  # C-ordered float64, rows in the order of the train rows given
    X_test: Any
    names: list[str]  # one per column: number columns, then ``column_category``
    mean: Any = None  # per number column, in output order (None when not scaled)
    scale: Any = None


#: Number columns encoded at a time: their train and test values are gathered
#: contiguous, in row order (as pandas hands them to the ColumnTransformer:
#: column-major), fit, imputed and scaled there, then copied into the arrays'
#: columns together (each pass over an array's rows writes this many columns).
GROUP_COLUMNS = 9


def _check_scalable(values: Any, name: str, path: str | None) -> None:
    """As :func:`core.scaling.check_scalable`, for one column (missing cells skipped)."""
    if values.size == 0:
        return
    # max |x| without an |x| copy; fmax/fmin skip NaN (NaN only if all are NaN).
    largest = float(max(np.fmax.reduce(values), -np.fmin.reduce(values)))
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
    largest: dict[str, float] | None = None,
) -> Encoded:
    """Encode the train rows ``train_rows`` of ``train`` and the test rows
    ``test_rows`` of ``test`` (mappings from column name to values: the table's
    features, or a separate test file's; rows None = every row in order).

    ``gaps``: the number columns that get a median imputer (those with a missing cell
    in either part, as :func:`core.tabular.numeric_groups` says). ``consume``:
    empty ``train`` and ``test`` (dicts) once their values are copied; with rows of
    one source, the number columns are then encoded in their own memory
    (:mod:`core.encoding_inplace`), which leaves them rewritten. ``largest``:
    the largest ``|value|`` of number columns of ``train`` (and of ``test`` when it is
    ``train``) where known (:attr:`core.tabular.Table.largest`): those small enough
    to scale are not looked at again."""
    complete = [name for name in table.numeric if name not in gaps]
    numbers = complete + [name for name in table.numeric if name in gaps]
    first = (table.numeric + table.categorical)[0]
    n_train = len(train_rows) if train_rows is not None else len(train[first])
    n_test = len(test_rows) if test_rows is not None else len(test[first])
    for rows, source in ((train_rows, train), (test_rows, test)):
        # Gathers below skip the bounds check (mode="clip"): check the rows once here.
        if (
            rows is not None
            and len(rows)
            and not 0 <= rows.min() <= rows.max() < len(source[first])
        ):
            raise IndexError("row numbers outside the table")
    paths = (table.path, test_path or table.path)
    sources = [np.asarray(train[name], dtype=np.float64) for name in numbers]
    # Columns whose every value is known to scale: no check.
    known = largest or {}
    small = [known.get(name, np.inf) <= MAX_SCALED_VALUE for name in numbers]
    layout = _Layout(table, train, train_rows, test, test_rows, len(numbers))
    from core.encoding_inplace import encode_numbers_in_place, reorderable

    if consume and test is train and reorderable(sources, train_rows, test_rows):
        # The caller is done with the table: its columns serve as the buffers.
        means, scales = encode_numbers_in_place(
            numbers, sources, train_rows, test_rows, layout, gaps, scale, paths, small
        )
    else:
        layout.prepare(n_train, n_test)
        tests = sources if test is train else [np.asarray(test[n], np.float64) for n in numbers]
        checked = (small, small if test is train else [False] * len(numbers))
        # The one-hot columns are written while a helper thread encodes numbers.
        share = 0.4 if layout.plans else 0.5
        means, scales = _encode_numbers(
            numbers,
            sources,
            tests,
            layout.parts,
            gaps,
            scale,
            paths,
            checked,
            layout.write_all,
            share,
        )
        del tests
    del sources
    if consume:
        train.clear()
        test.clear()
    names = list(numbers)
    for name, plan in zip(table.categorical, layout.plans, strict=True):
        names += [f"{name}_{category}" for category in plan.names]
    X_train, X_test = layout.outputs
    if scale and numbers:
        return Encoded(X_train, X_test, names, means, scales)
    return Encoded(X_train, X_test, names)


class _Layout:
    """The arrays of an encoding and their one-hot columns (after the numbers)."""

    def __init__(
        self, table: Any, train: Any, train_rows: Any, test: Any, test_rows: Any, k: int
    ) -> None:
        self.table, self.sources, self.k = table, (train, test), k
        self.rows = (train_rows, test_rows)
        self.plans: list[_CategoryPlan] = []
        self.outputs: tuple[Any, Any] = (None, None)

    @property
    def parts(self) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        """``((X_train, train_rows), (X_test, test_rows))``."""
        return (self.outputs[0], self.rows[0]), (self.outputs[1], self.rows[1])

    def prepare(self, n_train: int, n_test: int) -> None:
        """Fit the categories' imputers and encoders on the train rows, and make the
        arrays (``n_train`` and ``n_test`` rows)."""
        table, train_rows = self.table, self.rows[0]
        self.plans = [
            _categories(table.texts[name], train_rows, name, table.path)
            for name in table.categorical
        ]
        width = self.k + sum(len(plan.names) for plan in self.plans)
        # Not zeros: the number columns are all written; only the one-hot ones are zeroed
        # (calloc may clear recycled memory: a whole extra pass over the arrays).
        self.outputs = (np.empty((n_train, width)), np.empty((n_test, width)))

    def write(self, part: int, first: int = 0, stop: int | None = None) -> None:
        """The one-hot columns of rows ``first`` to ``stop - 1`` (None: to the end) of
        ``X_train`` (part 0) or ``X_test`` (1); only the whole part when its rows are
        all of its source's (None)."""
        if not self.plans:
            return
        out, rows = self.parts[part]
        source, train = self.sources[part], self.sources[0]
        out = out[first:stop]
        rows = None if rows is None else rows[first:stop]
        start = self.k
        out[:, start:].fill(0.0)  # fill: half the time of an assignment here
        for name, plan in zip(self.table.categorical, self.plans, strict=True):
            plan.write(source[name], rows, out, start, same_source=source is train)
            start += len(plan.names)

    def write_all(self) -> None:
        self.write(0)
        self.write(1)


def _encode_numbers(
    numbers: list[str],
    sources: list[Any],
    tests: list[Any],
    parts: tuple[tuple[Any, Any], tuple[Any, Any]],
    gaps: set[str],
    scale: bool,
    paths: tuple[str | None, str | None],
    checked: tuple[list[bool], list[bool]],
    meanwhile: Any = None,
    share: float = 0.5,
) -> tuple[Any, Any]:
    """Fit the median imputers and the scaler of the number columns on their train
    values and write the imputed, scaled values into the first columns of both arrays.

    ``sources``/``tests``: each column's values in the train/test source; ``parts``:
    ``((X_train, train_rows), (X_test, test_rows))``, the rows of each source that
    make each array (None: all, in order); ``checked``: per column, for the train and
    the test source, whether its values are already known to be small enough to
    scale. Returns the scaler's ``(mean, scale)`` per column (zeros and ones when not
    scaled).

    ``meanwhile``: a function (no arguments) to run in this thread once its columns
    are done (after all of them without a helper thread).

    Big tables are done in two threads: this one encodes the first ``share`` of the
    columns (then runs ``meanwhile``), a helper thread the rest. numpy releases the
    GIL while it gathers, sums and copies, so a second core shortens the wait."""
    k = len(numbers)
    means, scales = np.zeros(k), np.ones(k)
    job = _NumberJob(numbers, sources, tests, parts, gaps, scale, paths, checked, means, scales)
    if k < 2 or len(parts[0][0]) * k < THREAD_CELLS:
        job.run(0, k)
        if meanwhile is not None:
            meanwhile()
        return means, scales
    import threading

    middle = min(k - 1, max(1, round(k * share)))
    errors: list[BaseException] = []

    def second_half() -> None:
        try:
            job.run(middle, k)
        except BaseException as error:  # re-raised below, in the caller's thread
            errors.append(error)

    helper = threading.Thread(target=second_half, name="encode-numbers", daemon=True)
    helper.start()
    try:
        job.run(0, middle)  # an error here is the first column's: raised as is
        if meanwhile is not None:
            meanwhile()
    finally:
        helper.join()
    if errors:
        raise errors[0]
    return means, scales


#: Cells (rows x number columns) from which the numbers are encoded in two threads.
THREAD_CELLS = 200_000


@dataclass(slots=True)
class _NumberJob:
    """What :func:`_encode_numbers` does for a range of columns (see there)."""

    numbers: list[str]
    sources: list[Any]
    tests: list[Any]
    parts: tuple[tuple[Any, Any], tuple[Any, Any]]
    gaps: set[str]
    scale: bool
    paths: tuple[str | None, str | None]
    checked: tuple[list[bool], list[bool]]
    means: Any  # filled in for the columns done
    scales: Any

    def run(self, first: int, stop: int) -> None:
        """Encode the number columns ``first`` to ``stop - 1``, a group at a time."""
        if first >= stop:
            return
        (X_train, train_rows), (X_test, test_rows) = self.parts
        size = min(stop - first, GROUP_COLUMNS)
        # Reused for every group: a few MiB, whatever the number of columns.
        train_values = np.empty((size, len(X_train)), dtype=np.float64)
        test_values = np.empty((size, len(X_test)), dtype=np.float64)
        scratch = np.empty(len(X_train), dtype=np.float64) if self.scale else None
        for begin in range(first, stop, size):
            end = min(begin + size, stop)
            sums = np.empty((3, end - begin))
            for i, j in enumerate(range(begin, end)):
                train_column, test_column = train_values[i], test_values[i]
                _gather(self.sources[j], train_rows, train_column)
                _gather(self.tests[j], test_rows, test_column)
                if self.numbers[j] in self.gaps:
                    _impute_median(train_column, test_column)
                self._check(j, train_column, test_column)
                if self.scale:
                    sums[:, i] = _scaler_sums(train_column, scratch)
            group_train, group_test = train_values[: end - begin], test_values[: end - begin]
            if self.scale:
                mean, spread = scaler_statistics(*sums, len(X_train))
                self.means[begin:end], self.scales[begin:end] = mean, spread
                for values in (group_train, group_test):  # StandardScaler.transform's steps
                    values -= mean[:, None]
                    values /= spread[:, None]
            X_train[:, begin:end] = group_train.T
            X_test[:, begin:end] = group_test.T

    def _check(self, j: int, train_column: Any, test_column: Any) -> None:
        known = (self.checked[0][j], self.checked[1][j])
        check_values(self.numbers[j], train_column, test_column, self.scale, self.paths, known)


def check_values(
    name: str,
    train_column: Any,
    test_column: Any,
    scale: bool,
    paths: tuple[str | None, str | None],
    known: tuple[bool, bool],
) -> None:
    """Refuse values too large to scale (train part first), or, unscaled, an infinite
    test value (the train file's were refused when it was typed). ``known``: whether
    the train and the test values are already known to be small enough to scale."""
    if scale:
        if not known[0]:
            _check_scalable(train_column, name, paths[0])
        if not known[1]:
            _check_scalable(test_column, name, paths[1])
    elif not known[1] and np.isinf(test_column).any():
        raise DataError(
            "a feature is not a finite number (inf or a value too large); features must be finite",
            path=paths[1],
            column=name,
        )


def _gather(column: Any, rows: Any, out: Any) -> None:
    """``out[:] = column[rows]`` (rows None: all), rows already checked in range."""
    if rows is None:
        np.copyto(out, column)
    else:
        # "clip" skips the bounds check and the scratch copy "raise" makes for ``out``.
        np.take(column, rows, out=out, mode="clip")


def _impute_median(train_column: Any, test_column: Any) -> None:
    """Fill the missing cells of both parts with the median of the train values, as
    the pipeline's ``SimpleImputer(strategy="median", keep_empty_features=True)``."""
    from sklearn.impute import SimpleImputer

    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    fill = imputer.fit(train_column[:, None]).statistics_[0]
    for column in (train_column, test_column):
        np.copyto(column, fill, where=np.isnan(column))


def _scaler_sums(values: Any, scratch: Any) -> tuple[Any, Any, Any]:
    """The sums ``StandardScaler.fit`` makes over one column without missing cells
    (scikit-learn's ``_incremental_mean_and_var``, first call): the total, then with
    ``temp = values - total / n``: ``sum(temp)`` and ``sum(temp ** 2)``. Contiguous
    ``values``, as scikit-learn sums each column of its column-major input: the same
    pairwise sums. ``scratch``: as long as ``values``."""
    total = np.add.reduce(values)
    temp = np.subtract(values, total / len(values), out=scratch)
    correction = np.add.reduce(temp)
    np.square(temp, out=temp)  # what temp **= 2 computes
    return total, correction, np.add.reduce(temp)


def scaler_statistics(totals: Any, corrections: Any, squares: Any, n: int) -> tuple[Any, Any]:
    """``StandardScaler().fit(X)``'s ``mean_`` and ``scale_`` from the per-column
    :func:`_scaler_sums` of ``n`` rows: its arithmetic, step by step, on arrays (so
    that every rounding is the one it makes)."""
    count = np.full(len(totals), float(n))  # its sample counts are float64
    mean = (0.0 + totals) / count  # last_sum (0.0) + new_sum
    unnormalised = squares - corrections**2 / count
    variance = unnormalised / count
    # _is_constant_feature, then _handle_zeros_in_scale: a (near) constant column
    # keeps scale 1.
    samples = count[0]
    eps = np.finfo(np.float64).eps
    constant = variance <= samples * eps * variance + (samples * mean * eps) ** 2
    spread = np.sqrt(variance)
    spread[constant] = 1.0
    return mean, spread


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
            # The last entry answers code -1: a missing cell gets the imputed column.
            filled = self.position.copy()
            filled[-1] = self.fill
            column = filled[codes]
        else:
            cells = pd.Series(values).to_numpy(dtype=object)
            cells = cells if rows is None else cells[rows]
            codes = self.uniques.get_indexer(cells)
            column = self.position[codes]  # codes -1 (missing or unknown) -> -1
            column[pd.isna(cells)] = self.fill  # missing is imputed; unseen stays zeros
        # Flat positions rise with the row: one pass over the array, in order.
        width = out.shape[1]
        if len(column) and column.min() >= 0:  # every row has its bit (the usual case)
            column += start
            column += np.arange(0, len(column) * width, width)
            out.reshape(-1)[column] = 1.0
            return
        seen = np.flatnonzero(column >= 0)
        out.reshape(-1)[seen * width + start + column[seen]] = 1.0


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
