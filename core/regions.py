"""Decision regions of a run on a 2-D dataset, for drawing under the test points.

The fitted model is not stored; with a fixed seed, training again gives the same
weights (the store's curve proves it), so the regions are recomputed on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import InputError

#: Extra room around the data, as a share of its range, so edge points are inside.
MARGIN = 0.1


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


def decision_regions(config: RunConfig, spec: DatasetSpec, resolution: int = 40) -> Regions:
    """Train ``config`` on ``spec`` again and predict a ``resolution``² grid."""
    from core.training import train
    from core.worker import cached_dataset

    data = cached_dataset(spec)
    if not data.is_2d:
        raise InputError(
            f"decision regions need 2 features; {spec.label()} has {len(data.feature_names)}"
        )
    result = train(config, data, keep_model=True)
    if result.model is None:
        raise InputError(f"run {result.status}: no model to draw")
    raw_train = data.to_raw_space(data.X_train)
    raw_test = data.to_raw_space(data.X_test)
    both = np.vstack([raw_train, raw_test])
    low, high = both.min(axis=0), both.max(axis=0)
    pad = (high - low) * MARGIN
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    classes = np.asarray(result.model.classes_)
    predicted = np.searchsorted(classes, result.model.predict(data.to_model_space(grid)))
    test_index = np.searchsorted(classes, data.y_test)
    return Regions(
        x=xs.tolist(),
        y=ys.tolist(),
        labels=predicted.reshape(resolution, resolution).tolist(),
        classes=[str(c) for c in classes],
        points_x=raw_test[:, 0].tolist(),
        points_y=raw_test[:, 1].tolist(),
        points_label=test_index.tolist(),
    )
