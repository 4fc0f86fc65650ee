"""The band of a cross-validated run: its folds' mean ± std per epoch, for the charts.

A CV run's stored curve is the folds' mean (``test_accuracy`` is the mean validation
accuracy); the spread comes from the folds' own curves (:func:`core.cv.band`), which
core stores as each fold ends, and while they train from the spread core stores with
the mean curve (:func:`core.fold_store.live_band`), so the band grows with the run.
plotext cannot fill an area, so the band is drawn as two dotted lines (mean + std and
mean - std) in a quieter shade of the line's colour: the mean stays the one solid line,
and at 80x24 the dots read as an envelope, not as more series. The band is read from
the store in a thread worker (never on the UI thread).

In the overlay (several runs on one chart) a CV run's band is its cv (validation) band
only, in a quieter shade of the run's own colour (:func:`overlay_band_series`): the
run's train curve is already drawn as dots there, and a train band too would bury it.
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
    from core.store import RunRecord

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
#: The same for the overlay's run colours (plotext names, before a light theme swaps
#: "orange" for black and "white" for blue: see ``plots.readable``).
OVERLAY_SHADES: dict[bool, dict[str, int]] = {
    True: {  # darker
        "green": 22,
        "magenta": 90,
        "orange": 100,
        "blue+": 25,
        "white": 244,
        "green+": 28,
        "magenta+": 127,
        "gray": 240,
    },
    False: {  # paler (black and blue on a light theme: grey and pale blue)
        "green": 151,
        "magenta": 182,
        "orange": 248,
        "blue+": 153,
        "white": 111,
        "green+": 157,
        "magenta+": 219,
        "gray": 252,
    },
}


def is_cv(dataset: Mapping[str, Any]) -> bool:
    """Whether a run on the stored ``dataset`` dict is cross-validated."""
    return bool(dataset.get("cv"))


def read_band(store: Any, run_id: int, epochs: int | None) -> list[BandPoint]:
    """(Thread worker.) The band of run ``run_id`` up to ``epochs``: from its folds'
    curves once every fold has ended (stored as each ends), else the band written
    while they train (the mean curve's epochs with their spread), whichever goes
    further."""
    from core import fold_store
    from core.cv import band

    curves = fold_store.fold_curves(store, run_id)
    ended = {fold: end.status == "done" for fold, end in fold_store.folds(store, run_id).items()}
    full = band(curves, ended, epochs or None)
    live = fold_store.live_band(store, run_id, epochs or None)
    return full if len(full) >= len(live) else live


def read_bands(store: Any, records: Sequence[RunRecord]) -> dict[int, list[BandPoint]]:
    """(Thread worker.) The bands of the cross-validated runs among ``records`` (run
    id -> band up to the run's planned epochs), for the overlay; a band that cannot be
    read (a store being written) is left out: the run shows its mean line alone."""
    bands: dict[int, list[BandPoint]] = {}
    for record in records:
        if not is_cv(record.dataset):
            continue
        try:
            band = read_band(store, record.id, int(record.params.get("epochs") or 0))
        except Exception:  # a store being written: the overlay shows the mean alone
            continue
        if band:
            bands[record.id] = band
    return bands


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


def overlay_band_series(band: Sequence[BandPoint], color: str, dark: bool = True) -> list[Series]:
    """The cv band of one run in the overlay: two dotted lines (mean + std and mean -
    std), unlabelled, in the quieter shade of the run's ``color`` (one of
    OVERLAY_COLORS; ``dark``: the theme is dark)."""
    if not band:
        return []
    shade: Any = OVERLAY_SHADES[dark].get(color, color)  # plotext takes a 256-colour number
    epochs = tuple(float(b.epoch) for b in band)
    return [
        Series(
            "",
            epochs,
            tuple(min(1.0, max(0.0, b.cv_accuracy + sign * b.cv_std)) for b in band),
            shade,
            dotted=True,
        )
        for sign in (1.0, -1.0)
    ]


def band_values(band: Sequence[BandPoint], train: bool = True) -> list[float]:
    """The band's edges, for fitting the accuracy axis around them too (``train``:
    the train band's as well as the cv band's)."""
    values = []
    for b in band:
        pairs = ((b.train_accuracy, b.train_std),) if train else ()
        for mean, std in (*pairs, (b.cv_accuracy, b.cv_std)):
            if math.isfinite(mean) and math.isfinite(std):
                values.extend((min(1.0, mean + std), max(0.0, mean - std)))
    return values


@dataclass
class BandLoaded(Message, bubble=False):
    """The band of run ``run_id`` read for a view of status ``status``."""

    run_id: int
    status: str
    band: list[Any]
