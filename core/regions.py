"""Decision regions of a run on a 2-D dataset, for drawing under the test points.

The fitted model is not stored. Instead the worker that trained a 2-D run predicts a
grid once, right after ``fit`` (:func:`regions_of`), and the grid travels with the
run's metrics into the store: showing it later is a store read, whatever the network's
size. The grid costs less than one epoch of training: its number of points is capped
by :data:`PREDICT_BUDGET` multiply-adds (and by :data:`MAX_COLUMNS` x
:data:`MAX_ROWS`, more than a terminal shows).

Runs stored before this have no grid: :func:`decision_regions` trains them again (with
a fixed seed that gives the same weights) and predicts the same grid; callers run it
in a worker process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core.config import RunConfig
from core.datasets import Dataset, DatasetSpec
from core.errors import InputError

#: Extra room around the data, as a share of its range, so edge points are inside.
MARGIN = 0.1
#: The finest grid kept: wider than the regions pane of a 250-column terminal.
MAX_COLUMNS, MAX_ROWS = 128, 64
#: The coarsest: a network too large for a finer grid within the budget still draws.
MIN_COLUMNS, MIN_ROWS = 16, 8
#: Multiply-adds allowed for predicting the grid (about 0.05 s on one core): a
#: (256, 256) network gets a 94x47 grid, a 20-million-weight one the coarsest.
PREDICT_BUDGET = 300_000_000
#: Test points kept with the grid (a deterministic subsample of larger test sets).
MAX_POINTS = 2000


@dataclass(frozen=True, slots=True)
class Regions:
    """Predicted class index on a grid, in the data's own units.

    ``labels[j][i]`` is the class at ``(x[i], y[j])``; the test points are given in the
    same units with their true class index.
    """

    x: list[float]
    y: list[float]
    labels: list[list[int]]
    classes: list[str]
    points_x: list[float]
    points_y: list[float]
    points_label: list[int]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, compact (a few KB: every finished 2-D run keeps one): the axes
        as (first, last, count), each row of labels run-length encoded as
        ``"0*40 1*88"`` (class index * cells), the points to 4 decimals."""
        return {
            "x": [self.x[0], self.x[-1], len(self.x)],
            "y": [self.y[0], self.y[-1], len(self.y)],
            "labels": [_encode_row(row) for row in self.labels],
            "classes": list(self.classes),
            "points": [
                [round(v, 4) for v in self.points_x],
                [round(v, 4) for v in self.points_y],
                list(self.points_label),
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Regions:
        """The inverse of :meth:`to_dict`; ValueError if ``data`` is not such a grid
        (the store is a file anyone can edit)."""
        try:
            x = _axis(data["x"])
            y = _axis(data["y"])
            classes = [str(c) for c in data["classes"]]
            labels = [_decode_row(row, len(classes), len(x)) for row in data["labels"]]
            px, py, pl = data["points"]
            points_x = [float(v) for v in px]
            points_y = [float(v) for v in py]
            points_label = [int(v) for v in pl]
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as error:
            text = str(error)
            if not text.startswith("not a decision-region grid"):
                text = f"not a decision-region grid: {error!r}"
            raise ValueError(text[:200]) from None
        if len(labels) != len(y) or any(len(row) != len(x) for row in labels):
            raise ValueError("not a decision-region grid: labels do not match the axes")
        if not len(points_x) == len(points_y) == len(points_label):
            raise ValueError("not a decision-region grid: points of different lengths")
        return cls(x, y, labels, classes, points_x, points_y, points_label)


def _encode_row(row: list[int]) -> str:
    runs: list[list[int]] = []
    for value in row:
        if runs and runs[-1][0] == value:
            runs[-1][1] += 1
        else:
            runs.append([int(value), 1])
    return " ".join(f"{value}*{count}" for value, count in runs)


def _decode_row(text: str, n_classes: int, width: int) -> list[int]:
    row: list[int] = []
    for part in text.split():
        value, _, count = part.partition("*")
        cls, cells = int(value), int(count)
        if not 0 <= cls < n_classes or not 0 < cells <= width - len(row):
            raise ValueError(f"not a decision-region grid: bad run {part[:20]!r}")
        row.extend([cls] * cells)
    return row


def _axis(spec: Any) -> list[float]:
    first, last, count = float(spec[0]), float(spec[1]), int(spec[2])
    if not (math.isfinite(first) and math.isfinite(last)) or not 2 <= count <= 4 * MAX_COLUMNS:
        raise ValueError("not a decision-region grid: bad axis")
    step = (last - first) / (count - 1)
    return [first + i * step for i in range(count)]


def grid_shape(weights: int) -> tuple[int, int]:
    """(columns, rows) of the grid for a network of ``weights`` weights (the
    multiply-adds of predicting one point): as fine as :data:`PREDICT_BUDGET` allows,
    two columns per row (a terminal cell is about twice as tall as wide)."""
    points = PREDICT_BUDGET / max(weights, 1)
    rows = int(math.sqrt(points / 2))
    rows = max(MIN_ROWS, min(MAX_ROWS, rows))
    return max(MIN_COLUMNS, min(MAX_COLUMNS, 2 * rows)), rows


def regions_of(model: Any, data: Dataset) -> Regions:
    """Predict ``model`` (fitted on ``data``, which must be 2-D) over a grid that spans
    the train and test points, and keep the test points (at most :data:`MAX_POINTS`)."""
    import numpy as np

    raw_train = data.to_raw_space(data.X_train)
    raw_test = data.to_raw_space(data.X_test)
    both = np.vstack([raw_train, raw_test])
    low, high = both.min(axis=0), both.max(axis=0)
    pad = np.maximum((high - low) * MARGIN, 1e-9)
    columns, rows = grid_shape(sum(int(c.size) for c in model.coefs_))
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], columns)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], rows)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    classes = np.asarray(model.classes_)
    with np.errstate(all="ignore"):
        predicted = np.searchsorted(classes, model.predict(data.to_model_space(grid)))
    test_index = np.searchsorted(classes, data.y_test)
    keep = np.arange(len(raw_test))
    if len(keep) > MAX_POINTS:
        keep = np.linspace(0, len(raw_test) - 1, MAX_POINTS).astype(int)
    return Regions(
        x=xs.tolist(),
        y=ys.tolist(),
        labels=predicted.reshape(rows, columns).tolist(),
        classes=[str(c) for c in classes],
        points_x=raw_test[keep, 0].tolist(),
        points_y=raw_test[keep, 1].tolist(),
        points_label=test_index[keep].tolist(),
    )


def decision_regions(config: RunConfig, spec: DatasetSpec) -> Regions:
    """Train ``config`` on ``spec`` again and predict its grid (for runs stored before
    grids were kept; it costs a whole training: call it in a worker process)."""
    from core.training import train
    from core.worker import cached_dataset

    data = cached_dataset(spec)
    if not data.is_2d:
        raise InputError(
            f"decision regions need 2 features; {spec.label()} has {len(data.feature_names)}"
        )
    result = train(config, data, keep_model=True)
    if result.regions is None:
        raise InputError(f"run {result.status}: no model to draw")
    return Regions.from_dict(result.regions)
