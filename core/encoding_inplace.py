"""Encode a run's number columns in their own memory: each column rewritten in the
split's order, then one wide copy into the arrays.

:func:`core.encoding.encode_direct` gathers each column's train and test rows into
group buffers (9 columns per thread), fits and scales them there, and copies them into
the arrays a group at a time. For a run's load (the table's columns are dropped as soon
as they are encoded) the columns themselves can hold the result: each column is
gathered in the split's order (its train rows, then its test rows) into one small
per-thread buffer, imputed and checked there, its scaler fit on the contiguous train
part (the same sums over the same values in the same order: the same bits), and the
scaled values are written back into the column. The columns are rows of the block
pandas parses number columns into, so the copy into the arrays is one transposed copy
of the block per row range, the rows split between two threads. Against the group
buffers: ~14 MiB of fresh pages fewer on a 100k x 30 file (faulting pages in is slow on
a VM), and the copy writes all the number cells of an array row together.
"""

from __future__ import annotations

import threading
from typing import Any

from core import encoding
from core.encoding import _impute_median, _scaler_sums, check_values, scaler_statistics
from core.lazy import lazy_module

np = lazy_module("numpy")


def reorderable(sources: list[Any], train_rows: Any, test_rows: Any) -> bool:
    """Whether :func:`encode_numbers_in_place` can reorder ``sources`` (each number
    column's values) for these rows: rows of one source, at most a column's length
    together, and every column its own contiguous float64 memory that may be written
    (pandas hands its block's rows out read-only: copy on write; the caller is done
    with the table)."""
    if train_rows is None or test_rows is None or not sources:
        return False
    length = len(train_rows) + len(test_rows)
    seen: set[int] = set()
    for values in sources:
        if not (
            isinstance(values, np.ndarray)
            and values.ndim == 1
            and values.dtype == np.float64
            and values.flags.c_contiguous
            and len(values) >= length
        ):
            return False
        address = _address(values)
        if address in seen:  # one memory for two columns: reordered twice
            return False
        seen.add(address)
        if not values.flags.writeable:
            try:
                values.flags.writeable = True
            except ValueError:  # memory nobody may write (a read-only buffer)
                return False
    return True


def encode_numbers_in_place(
    numbers: list[str],
    sources: list[Any],
    train_rows: Any,
    test_rows: Any,
    layout: Any,
    gaps: set[str],
    scale: bool,
    paths: tuple[str | None, str | None],
    known: list[bool],
) -> tuple[Any, Any]:
    """Fit the median imputers and the scaler of the number columns on their train
    rows and write the imputed, scaled values of the train and test rows into the first
    columns of the arrays ``layout`` makes (``core.encoding._Layout``: it also writes
    their one-hot columns, row range by row range); ``sources`` (checked by
    :func:`reorderable`) are left reordered and scaled. ``known``: per column, whether
    its values are known to be small enough to scale. Returns the scaler's ``(mean,
    scale)`` per column (zeros and ones when not scaled).

    Big tables use two threads: a helper starts fitting its half of the columns while
    this thread plans the categories and makes the arrays, then fits the other half;
    then each writes half of the rows (sharing the first touch of fresh pages too)."""
    k = len(numbers)
    order = np.concatenate([train_rows, test_rows])
    n_train, n_test = len(train_rows), len(test_rows)
    fit = _Fit(numbers, sources, order, n_train, gaps, scale, paths, known)

    def write(part: int, start: int, stop: int) -> None:
        if start < stop:
            offset = 0 if part == 0 else n_train
            _copy_rows(sources, layout.outputs[part], start, stop, offset)
            layout.write(part, start, stop)

    if k < 2 or len(order) * k < encoding.THREAD_CELLS:
        layout.prepare(n_train, n_test)
        fit.run(0, k)
        write(0, 0, n_train)
        write(1, 0, n_test)
        return fit.means, fit.scales
    # This thread also plans the categories and makes the arrays: fewer columns.
    middle = round(k * 0.45)
    # The helper writes the first half of all rows (all in X_train), this thread the rest.
    half = min(n_train, len(order) // 2)
    both_fit = threading.Barrier(2)
    errors: list[BaseException] = []

    def helper_part() -> None:
        try:
            fit.run(middle, k)
            both_fit.wait()
            write(0, 0, half)
        except threading.BrokenBarrierError:
            pass  # this thread's part failed: its error is raised there
        except BaseException as error:  # re-raised below, in the caller's thread
            errors.append(error)
            both_fit.abort()

    helper = threading.Thread(target=helper_part, name="encode-numbers", daemon=True)
    helper.start()
    try:
        layout.prepare(n_train, n_test)
        fit.run(0, middle)  # an error here is the first column's: raised as is
        both_fit.wait()
        write(0, half, n_train)
        write(1, 0, n_test)
    except threading.BrokenBarrierError:
        pass  # the helper failed: its error is raised below
    except BaseException:
        both_fit.abort()
        raise
    finally:
        helper.join()
    if errors:
        raise errors[0]
    return fit.means, fit.scales


class _Fit:
    """Reorder, impute, check and scale a range of number columns (see
    :func:`encode_numbers_in_place`)."""

    def __init__(
        self,
        numbers: list[str],
        sources: list[Any],
        order: Any,
        n_train: int,
        gaps: set[str],
        scale: bool,
        paths: tuple[str | None, str | None],
        known: list[bool],
    ) -> None:
        self.numbers, self.sources, self.order, self.n_train = numbers, sources, order, n_train
        self.gaps, self.scale, self.paths, self.known = gaps, scale, paths, known
        self.means, self.scales = np.zeros(len(numbers)), np.ones(len(numbers))

    def run(self, first: int, stop: int) -> None:
        if first >= stop:
            return
        m, n_train = len(self.order), self.n_train
        # One of each per thread, for every column.
        gathered = np.empty(m, dtype=np.float64)
        temp = np.empty(n_train, dtype=np.float64) if self.scale else None
        for j in range(first, stop):
            values = self.sources[j]
            # "clip": no bounds check (the caller checked the rows) and no buffer for out.
            np.take(values, self.order, out=gathered, mode="clip")
            train, test = gathered[:n_train], gathered[n_train:]
            name = self.numbers[j]
            if name in self.gaps:
                _impute_median(train, test)
            check_values(name, train, test, self.scale, self.paths, (self.known[j],) * 2)
            if not self.scale:
                np.copyto(values[:m], gathered)
                continue
            sums = _scaler_sums(train, temp)
            mean, spread = scaler_statistics(*(np.array([s]) for s in sums), n_train)
            self.means[j], self.scales[j] = mean[0], spread[0]
            # StandardScaler.transform's steps, on both parts at once, the last one
            # writing the column back.
            np.subtract(gathered, mean[0], out=gathered)
            np.divide(gathered, spread[0], out=values[:m])


def _copy_rows(sources: list[Any], out: Any, start: int, stop: int, offset: int) -> None:
    """``out[start:stop, j] = sources[j][offset + start : offset + stop]`` for every
    number column j: columns lying at equal steps in one memory, as the rows of the
    block pandas parses number columns into, are copied together as one transposed
    block (each array row written in one go)."""
    if start >= stop:
        return
    j = 0
    while j < len(sources):
        end = j + _run_length(sources, j)
        first = sources[j]
        if end - j == 1:
            out[start:stop, j] = first[offset + start : offset + stop]
        else:
            step = _address(sources[j + 1]) - _address(first)
            # Each row of this view is one of the columns (checked by _run_length).
            block = np.lib.stride_tricks.as_strided(
                first, shape=(end - j, len(first)), strides=(step, 8), writeable=False
            )
            out[start:stop, j:end] = block[:, offset + start : offset + stop].T
        j = end


def _run_length(sources: list[Any], j: int) -> int:
    """How many columns from ``sources[j]`` on lie at one step from each other, in the
    memory of one array, without overlapping."""
    first = sources[j]
    if j + 1 >= len(sources):
        return 1
    step = _address(sources[j + 1]) - _address(first)
    if step < first.nbytes:  # overlapping, or in reverse order
        return 1
    end = j + 1
    while (
        end < len(sources)
        and sources[end].base is not None
        and sources[end].base is first.base
        and len(sources[end]) == len(first)
        and _address(sources[end]) == _address(first) + (end - j) * step
    ):
        end += 1
    return end - j


def _address(values: Any) -> int:
    return values.__array_interface__["data"][0]
