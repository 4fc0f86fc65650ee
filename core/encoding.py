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

np = lazy_module("numpy")


@dataclass(slots=True)
class Encoded:
    """The encoded parts and what explains their columns."""

    X_train: Any  # C-ordered float64, rows in the order of the train rows given
    X_test: Any
    names: list[str]  # one per column: number columns, then ``column_category``
    mean: Any = None  # per number column, in output order (None when not scaled)
    scale: Any = None


class NeedsTransformer(Exception):
    """A case the direct encoder leaves to the ``ColumnTransformer`` (a category column
    without a single value in the train rows: the transformer drops it)."""


def _rows(values: Any, rows: Any) -> Any:
    """The values of ``rows`` (all of them, in order, when ``rows`` is None) as a
    contiguous float64 array of our own."""
    array = np.asarray(values, dtype=np.float64)
    return array[rows] if rows is not None else array.copy()


def _check_scalable(values: Any, name: str, path: str | None) -> None:
    """As :func:`core.scaling.check_scalable`, for one column without missing cells."""
    if values.size == 0:
        return
    largest = float(np.abs(values).max())
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
) -> Encoded:
    """Encode the train rows ``train_rows`` of ``train`` and the test rows
    ``test_rows`` of ``test`` (mappings from column name to values: the table's
    features, or a separate test file's; rows None = every row in order).

    ``gaps``: the number columns that get a median imputer (those with a missing cell
    in either part, as :func:`core.tabular.numeric_groups` says). Raises
    :class:`NeedsTransformer` for the rare shapes it does not handle."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    complete = [name for name in table.numeric if name not in gaps]
    numbers = complete + [name for name in table.numeric if name in gaps]
    first = (table.numeric + table.categorical)[0]
    n_train = len(train_rows) if train_rows is not None else len(train[first])
    n_test = len(test_rows) if test_rows is not None else len(test[first])
    categories = [_categories(table.texts[name], train_rows) for name in table.categorical]
    width = len(numbers) + sum(len(c.names) for c in categories)
    X_train = np.empty((n_train, width), dtype=np.float64)
    X_test = np.empty((n_test, width), dtype=np.float64)
    means, scales = [], []
    train_path = table.path
    part_path = test_path or table.path
    for j, name in enumerate(numbers):
        tr, te = _rows(train[name], train_rows), _rows(test[name], test_rows)
        if name in gaps:
            imputer = SimpleImputer(strategy="median", keep_empty_features=True)
            fill = imputer.fit(tr[:, None]).statistics_[0]
            np.copyto(tr, fill, where=np.isnan(tr))
            np.copyto(te, fill, where=np.isnan(te))
        if scale:
            _check_scalable(tr, name, train_path)
            _check_scalable(te, name, part_path)
            scaler = StandardScaler().fit(tr[:, None])
            mean, spread = scaler.mean_[0], scaler.scale_[0]
            means.append(mean)
            scales.append(spread)
            # What StandardScaler.transform does (x -= mean; x /= scale), in place.
            for values, out in ((tr, X_train[:, j]), (te, X_test[:, j])):
                np.subtract(values, mean, out=out)
                np.divide(out, spread, out=out)
        else:
            X_train[:, j] = tr
            X_test[:, j] = te
        if not np.isfinite(te).all():
            raise DataError(
                "a feature is not a finite number (inf or a value too large); features "
                "must be finite",
                path=part_path,
            )
    start = len(numbers)
    names = list(numbers)
    for name, plan in zip(table.categorical, categories, strict=True):
        stop = start + len(plan.names)
        plan.write(train[name], train_rows, X_train[:, start:stop], same_source=True)
        plan.write(test[name], test_rows, X_test[:, start:stop], same_source=test is train)
        names += [f"{name}_{category}" for category in plan.names]
        start = stop
    mean = np.array(means) if scale and numbers else None
    spread = np.array(scales) if scale and numbers else None
    return Encoded(X_train, X_test, names, mean, spread)


@dataclass(slots=True)
class _CategoryPlan:
    """One category column as the fitted imputer and one-hot encoder see it."""

    uniques: Any  # pandas Index of the distinct values of the column's whole source
    codes: Any  # each source row's position in ``uniques`` (-1: missing)
    position: Any  # uniques position -> output column (-1: not seen in the train rows)
    fill: int  # output column of the most frequent train value (missing cells get it)
    names: list[str]  # the categories, sorted as OneHotEncoder sorts them

    def write(self, values: Any, rows: Any, out: Any, same_source: bool) -> None:
        """One-hot the ``rows`` of ``values`` into ``out``; ``same_source``: ``values``
        is the column the plan was fit on (its codes are known)."""
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
        out[...] = 0.0
        seen = np.flatnonzero(column >= 0)
        out[seen, column[seen]] = 1.0


def _categories(text: Any, rows: Any) -> _CategoryPlan:
    """Fit the most-frequent imputer and the one-hot encoder of one column (a
    :class:`core.tabular.Text`) on its train rows, by counting codes as their ``fit``
    counts values."""
    import pandas as pd

    codes, uniques = text.codes, text.uniques
    train_codes = codes if rows is None else codes[rows]
    counts = np.bincount(train_codes[train_codes >= 0], minlength=len(uniques))
    if not counts.any():
        raise NeedsTransformer
    present = np.flatnonzero(counts)
    seen = sorted(uniques[present].tolist())
    order = {value: i for i, value in enumerate(seen)}
    position = np.full(len(uniques) + 1, -1, dtype=np.int64)  # [-1] stays -1
    for i in present:
        position[i] = order[uniques[i]]
    top = counts.max()
    fill = order[min(uniques[i] for i in present if counts[i] == top)]  # ties: the smallest
    return _CategoryPlan(pd.Index(uniques), codes, position, fill, seen)
