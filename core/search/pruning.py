"""Stopping unpromising runs early, on their per-epoch test accuracy.

Both pruners decide at *rungs*: epochs ``min_epochs * eta**k`` below a run's own
maximum. They are called from the executor's progress thread with each epoch and
return the reason a run should stop, or None.

- :class:`MedianPruner`: stop a run whose test accuracy at a rung is below the median
  of the completed runs at that epoch (once ``MEDIAN_MIN_COMPLETED`` runs completed).
- :class:`HalvingPruner`: asynchronous successive halving (ASHA): a run goes on past
  a rung only if it is in the top ``1/eta`` of all runs that reached the rung so far
  (the first arrivals always go on: there is nobody to compare with yet).

Pruning is decided on whatever other runs have reported by then, so with several
workers it depends on timing; with one worker it is deterministic.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from core.results import EpochPoint

PRUNERS = ("none", "median", "halving")
DEFAULT_ETA = 3
#: Completed runs the median pruner waits for before it prunes anything.
MEDIAN_MIN_COMPLETED = 3


def default_min_epochs(max_epochs: int, eta: int = DEFAULT_ETA) -> int:
    """First rung when the file gives none: about ``max_epochs / eta**3``, so a run
    of ``max_epochs`` passes three rungs before its end."""
    return max(1, round(max_epochs / eta**3))


def rungs(min_epochs: int, eta: int, max_epochs: int) -> list[int]:
    """Rung epochs ``min_epochs * eta**k`` below ``max_epochs`` (the end is no rung)."""
    result = []
    epoch = min_epochs
    while epoch < max_epochs:
        result.append(epoch)
        epoch *= eta
    return result


class Pruner(Protocol):
    """What the sweep engine calls."""

    def start(self, run_id: int, max_epochs: int) -> None: ...

    def report(self, run_id: int, point: EpochPoint) -> str | None: ...

    def finish(self, run_id: int, curve: Sequence[EpochPoint], status: str) -> None: ...

    def seed(self, curve: Sequence[EpochPoint], max_epochs: int, status: str) -> None: ...

    def hold(self) -> None: ...

    def release(self) -> None: ...


class NoPruner:
    """Never prunes."""

    def start(self, run_id: int, max_epochs: int) -> None:
        pass

    def report(self, run_id: int, point: EpochPoint) -> str | None:
        return None

    def finish(self, run_id: int, curve: Sequence[EpochPoint], status: str) -> None:
        pass

    def seed(self, curve: Sequence[EpochPoint], max_epochs: int, status: str) -> None:
        pass

    def hold(self) -> None:
        pass

    def release(self) -> None:
        pass


class _RungPruner:
    def __init__(self, min_epochs: int, eta: int = DEFAULT_ETA) -> None:
        if min_epochs < 1 or eta < 2:
            raise ValueError("min_epochs must be >= 1 and eta >= 2")
        self.min_epochs = min_epochs
        self.eta = eta
        self._rungs: dict[int, dict[int, int]] = {}  # run id -> {rung epoch: rung number}
        self._max_epochs: dict[int, int] = {}
        self._lock = threading.Lock()
        # While held, decisions compare with the state at hold() only, and what runs
        # add is kept aside until release(): a batch's decisions then depend on each
        # run's own curve, not on which run reached a rung first (TPE reproducibility).
        self._held = False
        self._pending: list[Callable[[], None]] = []

    def hold(self) -> None:
        """Freeze the reference state for a batch of runs (see ``release``)."""
        with self._lock:
            self._held = True

    def release(self) -> None:
        """Apply what the held batch added (medians and rankings ignore order)."""
        with self._lock:
            self._held = False
            pending, self._pending = self._pending, []
        for apply in pending:
            apply()

    def _later(self, apply: Callable[[], None]) -> bool:
        """Keep ``apply`` for release() when held (call with the lock taken)."""
        if self._held:
            self._pending.append(apply)
        return self._held

    def start(self, run_id: int, max_epochs: int) -> None:
        """Register a run about to train up to ``max_epochs``."""
        with self._lock:
            self._max_epochs[run_id] = max_epochs
            self._rungs[run_id] = {
                epoch: number
                for number, epoch in enumerate(rungs(self.min_epochs, self.eta, max_epochs), 1)
            }

    def _rung(self, run_id: int, epoch: int) -> int | None:
        return self._rungs.get(run_id, {}).get(epoch)

    def _rung_epochs(self, max_epochs: int) -> list[int]:
        return rungs(self.min_epochs, self.eta, max_epochs)

    def finish(self, run_id: int, curve: Sequence[EpochPoint], status: str) -> None:
        """A run ended (``status``) with ``curve``; done runs count for the median."""
        with self._lock:
            max_epochs = self._max_epochs.pop(run_id, None)
            self._rungs.pop(run_id, None)
        if max_epochs is not None:
            self._record(curve, max_epochs, status)

    def seed(self, curve: Sequence[EpochPoint], max_epochs: int, status: str) -> None:
        """Count a run that ended in an earlier process (a resumed sweep), as if its
        epochs had been reported here."""
        reached = {point.epoch: point for point in curve}
        for epoch in self._rung_epochs(max_epochs):
            if epoch in reached:
                self._rung_value(epoch, reached[epoch].test_accuracy)
        self._record(curve, max_epochs, status)

    def _rung_value(self, epoch: int, value: float) -> None:
        pass  # halving keeps the values at each rung

    def _record(self, curve: Sequence[EpochPoint], max_epochs: int, status: str) -> None:
        pass  # the median keeps completed runs


class MedianPruner(_RungPruner):
    """Prune a run below the median of completed runs at the same epoch."""

    def __init__(self, min_epochs: int, eta: int = DEFAULT_ETA) -> None:
        super().__init__(min_epochs, eta)
        self._completed: list[tuple[list[EpochPoint], int]] = []  # (curve, max epochs)

    def report(self, run_id: int, point: EpochPoint) -> str | None:
        with self._lock:
            rung = self._rung(run_id, point.epoch)
            if rung is None:
                return None
            peers = [_value_at(curve, most, point.epoch) for curve, most in self._completed]
        peers = [value for value in peers if value is not None]
        if len(peers) < MEDIAN_MIN_COMPLETED:
            return None
        median = statistics.median(peers)
        if point.test_accuracy < median:
            return (
                f"pruned at epoch {point.epoch} (rung {rung}): test "
                f"{point.test_accuracy:.3f} < median {median:.3f} of {len(peers)} completed runs"
            )
        return None

    def _record(self, curve: Sequence[EpochPoint], max_epochs: int, status: str) -> None:
        if status == "done" and curve:
            entry = (list(curve), max_epochs)
            with self._lock:
                if not self._later(lambda: self._add(entry)):
                    self._completed.append(entry)

    def _add(self, entry: tuple[list[EpochPoint], int]) -> None:
        with self._lock:
            self._completed.append(entry)


class HalvingPruner(_RungPruner):
    """Asynchronous successive halving: keep the top ``1/eta`` at every rung."""

    def __init__(self, min_epochs: int, eta: int = DEFAULT_ETA) -> None:
        super().__init__(min_epochs, eta)
        self._values: dict[int, list[float]] = {}  # rung epoch -> test accuracies there

    def report(self, run_id: int, point: EpochPoint) -> str | None:
        with self._lock:
            rung = self._rung(run_id, point.epoch)
            if rung is None:
                return None
            values = self._values.setdefault(point.epoch, [])
            if self._later(lambda: self._rung_value(point.epoch, point.test_accuracy)):
                values = [*values, point.test_accuracy]  # held: the snapshot plus itself
            else:
                values.append(point.test_accuracy)
            ranked = sorted(values, reverse=True)  # a few hundred values: cheap enough
        # As Optuna's SuccessiveHalvingPruner: the top n // eta go on, at least one.
        keep = max(1, len(ranked) // self.eta)
        threshold = ranked[keep - 1]
        if point.test_accuracy < threshold:
            return (
                f"pruned at epoch {point.epoch} (rung {rung}): test "
                f"{point.test_accuracy:.3f} not in the top 1/{self.eta} of {len(ranked)} "
                f"runs at this rung (needs >= {threshold:.3f})"
            )
        return None

    def _rung_value(self, epoch: int, value: float) -> None:
        with self._lock:
            self._values.setdefault(epoch, []).append(value)


def _value_at(curve: Sequence[EpochPoint], max_epochs: int, epoch: int) -> float | None:
    """Test accuracy ``fit(max_iter=epoch)`` gives, from a completed run of at most
    ``max_epochs``: the point at ``epoch``, or the last one if scikit-learn stopped the
    run earlier; None if the run was simply shorter."""
    if curve[-1].epoch < epoch and curve[-1].epoch >= max_epochs:
        return None
    best = None
    for point in curve:
        if point.epoch > epoch:
            break
        best = point.test_accuracy
    return best


def make_pruner(kind: str, min_epochs: int, eta: int = DEFAULT_ETA) -> Pruner:
    """``none``, ``median`` or ``halving``."""
    if kind == "median":
        return MedianPruner(min_epochs, eta)
    if kind == "halving":
        return HalvingPruner(min_epochs, eta)
    return NoPruner()
