"""The band of a cross-validated run: its folds' mean ± std per epoch, for the charts.

A CV run's stored curve is the folds' mean (``test_accuracy`` is the mean validation
accuracy); the spread comes from the folds' own curves (:func:`core.cv.band`), which
core stores as each fold ends. plotext cannot fill an area, so the band is drawn as two
dotted lines (mean + std and mean - std) in a quieter shade of the line's colour: the
mean stays the one solid line, and at 80x24 the dots read as an envelope, not as more
series. The band is read from the store in a thread worker (never on the UI thread).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.widgets.charts.plots import TEST_COLOR, TRAIN_COLOR, Series

if TYPE_CHECKING:
    from core.cv import BandPoint

#: Legend words of a CV run's lines: the test line is the mean validation accuracy.
TRAIN_LABEL = "train ± std"
CV_LABEL = "cv ± std"
#: Before its band is read (a fold still training): the mean line alone.
CV_MEAN_LABEL = "cv"
#: The band's shade of a line colour (xterm-256 numbers, as plotext takes them): darker
#: on a dark background, paler on a light one, so it is quieter than the line either way.
SHADES: dict[bool, dict[str, int]] = {
    True: {TRAIN_COLOR: 30, TEST_COLOR: 88},  # dark theme: teal, dark red
    False: {TRAIN_COLOR: 116, TEST_COLOR: 174},  # light theme: pale cyan, pale red
}


def is_cv(dataset: Mapping[str, Any]) -> bool:
    """Whether a run on the stored ``dataset`` dict is cross-validated."""
    return bool(dataset.get("cv"))


def read_band(store: Any, run_id: int, epochs: int | None) -> list[BandPoint]:
    """(Thread worker.) The band of run ``run_id`` up to ``epochs``: every epoch each of
    its folds has reached, from the fold curves stored so far (empty while a fold is
    still training: the band needs every fold)."""
    from core import fold_store
    from core.cv import band

    curves = fold_store.fold_curves(store, run_id)
    ended = {fold: end.status == "done" for fold, end in fold_store.folds(store, run_id).items()}
    return band(curves, ended, epochs or None)


def band_series(band: Sequence[BandPoint], dark: bool = True) -> list[Series]:
    """The band's four dotted lines (train and cv, each mean + std and mean - std),
    unlabelled: the legend names them with their mean lines (``train ± std``)."""
    if not band:
        return []
    shades = SHADES[dark]
    epochs = tuple(float(b.epoch) for b in band)
    series = []
    for color, means, stds in (
        (TRAIN_COLOR, [b.train_accuracy for b in band], [b.train_std for b in band]),
        (TEST_COLOR, [b.cv_accuracy for b in band], [b.cv_std for b in band]),
    ):
        shade: Any = shades[color]  # plotext takes a 256-colour number as a colour
        for sign in (1.0, -1.0):
            ys = tuple(min(1.0, max(0.0, m + sign * s)) for m, s in zip(means, stds, strict=True))
            series.append(Series("", epochs, ys, shade, dotted=True))
    return series


def band_values(band: Sequence[BandPoint]) -> list[float]:
    """The band's edges, for fitting the accuracy axis around them too."""
    values = []
    for b in band:
        for mean, std in ((b.train_accuracy, b.train_std), (b.cv_accuracy, b.cv_std)):
            if math.isfinite(mean) and math.isfinite(std):
                values.extend((min(1.0, mean + std), max(0.0, mean - std)))
    return values


@dataclass
class BandLoaded(Message, bubble=False):
    """The band of run ``run_id`` read for a view of status ``status``."""

    run_id: int
    status: str
    band: list[Any]
