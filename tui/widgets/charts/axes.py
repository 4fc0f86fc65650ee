"""Axis ranges and ticks for the curves: accuracy fitted to the data (or the full 0 to
1), whole-number epoch ticks, the last epoch marked when a run stopped early."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.results import EpochPoint

#: Smallest accuracy range shown (curves 0.03 apart then stay rows apart).
MIN_SPAN = 0.05
#: Room above and below the data, as a share of its range.
PAD = 0.1


def fitted_ylim(values: Iterable[float], full: bool = False) -> tuple[float, float]:
    """An accuracy range that fits ``values`` (at least MIN_SPAN wide, rounded to
    0.01, within 0 to 1), or (0, 1) when ``full`` or there is nothing finite."""
    finite = [v for v in values if math.isfinite(v)]
    if full or not finite:
        return (0.0, 1.0)
    low, high = min(finite), max(finite)
    pad = max((high - low) * PAD, 0.01)
    low, high = low - pad, high + pad
    if high - low < MIN_SPAN:
        middle = (low + high) / 2
        low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    # round() first: 0.97 * 100 is 97.00000000000001, whose ceiling is 98.
    low = max(0.0, math.floor(round(low * 100, 6)) / 100)
    high = min(1.0, math.ceil(round(high * 100, 6)) / 100)
    if high - low < MIN_SPAN:  # pushed against 0 or 1
        low, high = (max(0.0, high - MIN_SPAN), high) if high >= 1.0 else (low, low + MIN_SPAN)
    return (low, high)


def accuracy_ylim(
    curve: list[EpochPoint], full: bool = False, extra: Iterable[float] = ()
) -> tuple[float, float]:
    """:func:`fitted_ylim` of a curve's train and test accuracies and of ``extra``
    values (the edges of CV runs' bands)."""
    return fitted_ylim(
        [p.train_accuracy for p in curve] + [p.test_accuracy for p in curve] + list(extra),
        full=full,
    )


def int_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Whole-number epoch ticks from ``low`` to ``high``."""
    if high <= low:
        return [low]
    step = max(1, math.ceil((high - low) / max(count - 1, 1)))
    ticks = list(range(int(low), int(high) + 1, step))
    if ticks[-1] != int(high) and high - ticks[-1] > step / 2:
        ticks.append(int(high))
    return [float(t) for t in ticks]


def epoch_ticks(
    xlim: tuple[float, float], last: int | None = None
) -> tuple[list[float], list[str]]:
    """Ticks and labels for an epoch axis; ``last`` (the epoch a run stopped at) is
    always the last tick, so the stop shows where the axis ends."""
    ticks = int_ticks(*xlim)
    if last is not None:
        ticks = [t for t in ticks if t < last - (xlim[1] - xlim[0]) / 8] + [float(last)]
    return ticks, [str(int(t)) for t in ticks]


def stop_label(epochs_run: int, planned: int) -> str:
    """The x-axis label of a run that stopped before its planned epochs."""
    return f"epoch · stopped at {epochs_run} of {planned}"
