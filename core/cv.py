"""Cross-validated runs: K fold tasks (and a refit) trained in parallel, one result.

A run whose dataset spec has ``cv = K`` (:mod:`core.folds`) is trained as K tasks,
one per fold, plus a refit on the whole train part when ``refit`` is set. Each task is
an ordinary run for the executor (a faithful per-epoch curve from
:mod:`core.training`) under its own task id (:func:`task_id`), so the folds spread
over the workers like any runs. Each fold's curve is stored when it ends
(:mod:`core.fold_store`); the run's own curve is the mean over the folds, epoch by
epoch, written live as soon as every fold has passed an epoch.

The run's scores (:func:`summarize`): ``cv_accuracy``, the mean of the folds'
validation accuracy at the run's epochs (what ``GridSearchCV``'s ``mean_test_score``
is), ``cv_std`` (its ``std_test_score``), each fold's accuracy, and the refit's train
and test accuracy. Its verdict reads the mean curve, with the folds' spread as the
noise level.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.results import EpochPoint

if TYPE_CHECKING:
    from core.config import RunConfig
    from core.datasets import DatasetSpec
    from core.diagnosis import DataFacts
    from core.executors import RunHandle
    from core.runner import Runner
    from core.worker import RunOutcome

#: The fold number of the refit (the whole train part, scored on the test part).
REFIT = -1
#: Task ids of folds start here, far above any run id SQLite will hand out to us.
TASK_BASE = 1 << 48
#: Task ids per run: every fold of the largest cv, and the refit.
_SLOTS = 128
#: Fold statuses in the order one decides the run's status (the first found wins).
_STATUS_ORDER = ("failed", "interrupted", "cancelled", "diverged", "pruned")


def task_id(run_id: int, fold: int) -> int:
    """The executor's id of fold ``fold`` (``REFIT`` for the refit) of run ``run_id``."""
    return TASK_BASE + run_id * _SLOTS + fold + 1


def task_of(task: int) -> tuple[int, int] | None:
    """``(run_id, fold)`` of a fold task id, or None for an ordinary run id."""
    if task < TASK_BASE:
        return None
    run_id, slot = divmod(task - TASK_BASE, _SLOTS)
    return run_id, slot - 1


def is_cv(dataset: Mapping[str, Any] | DatasetSpec) -> bool:
    """Whether a run on ``dataset`` (a spec or its stored dict) is cross-validated."""
    value = dataset.get("cv") if isinstance(dataset, Mapping) else dataset.cv
    return bool(value)


# --- the scores --------------------------------------------------------------------


def point_at(curve: Sequence[EpochPoint], ended: bool, epoch: int) -> EpochPoint | None:
    """The point ``fit(max_iter=epoch)`` gives, read off a fold's ``curve``: its last
    point at or before ``epoch``, when the curve goes that far or the fold ``ended``
    there on its own (tol, early stopping: a longer fit stops at the same epoch)."""
    if not curve or (curve[-1].epoch < epoch and not ended):
        return None
    # Curves are in epoch order: bisect (a live chart asks for every epoch).
    index = bisect.bisect_right(curve, epoch, key=_epoch_of)
    return curve[index - 1] if index else None


def _epoch_of(point: EpochPoint) -> int:
    return point.epoch


def mean_point(points: Sequence[EpochPoint], epoch: int) -> tuple[EpochPoint, float, float]:
    """The mean of the folds' ``points`` as the point of ``epoch``, with the standard
    deviations (``np.std``, as ``GridSearchCV``'s ``std_test_score``) of train and test.

    numpy's own arithmetic, bit for bit (``tests/test_cv_mean.py``), in plain Python
    for up to :data:`PLAIN_SUM_MAX` folds (5 is the usual; 10 goes through numpy): a
    sweep's process makes one such point per epoch of every cross-validated point, and
    numpy's calls on five numbers cost ~7x the arithmetic (0.14 -> 0.02 s of that
    process's CPU in a 12-point 5-fold sweep)."""
    train = [p.train_accuracy for p in points]
    test = [p.test_accuracy for p in points]
    loss = [p.loss for p in points]
    if len(points) > PLAIN_SUM_MAX:
        import numpy as np

        arrays = [np.array(values) for values in (train, test, loss)]
        mean = EpochPoint(epoch, *(float(a.mean()) for a in arrays))
        return mean, float(arrays[0].std()), float(arrays[1].std())
    mean = EpochPoint(epoch, _mean(train), _mean(test), _mean(loss))
    return mean, _std(train, mean.train_accuracy), _std(test, mean.test_accuracy)


#: Up to this many values, :func:`_sum` is numpy's sum: its pairwise summation adds
#: fewer than 8 values one after the other (8 and more go through its unrolled
#: accumulators).
PLAIN_SUM_MAX = 7


def _sum(values: Sequence[float]) -> float:
    """``np.add.reduce`` of a contiguous float64 array of 1..PLAIN_SUM_MAX values."""
    total = 0.0
    for value in values:
        total += value
    return total


def _mean(values: Sequence[float]) -> float:
    """``np.mean``: the sum divided by the count."""
    return _sum(values) / len(values)


def _std(values: Sequence[float], mean: float) -> float:
    """``np.std`` (ddof 0): the root of the mean of the squared deviations from
    ``mean`` (each squared as ``x * x``, as numpy's ``_var`` does)."""
    squares = [(value - mean) * (value - mean) for value in values]
    return math.sqrt(_sum(squares) / len(values))


@dataclass(slots=True)
class BandPoint:
    """One epoch of a cross-validated run: the folds' mean and spread."""

    epoch: int
    train_accuracy: float
    train_std: float
    cv_accuracy: float
    cv_std: float
    loss: float

    def to_dict(self) -> dict[str, Any]:
        import math

        return {
            "epoch": self.epoch,
            "train_accuracy": self.train_accuracy,
            "train_std": self.train_std,
            "cv_accuracy": self.cv_accuracy,
            "cv_std": self.cv_std,
            "loss": self.loss if math.isfinite(self.loss) else None,
        }


def band(
    curves: Mapping[int, Sequence[EpochPoint]],
    ended: Mapping[int, bool],
    last: int | None = None,
    after: int = 0,
) -> list[BandPoint]:
    """Mean and spread per epoch over the folds' ``curves`` (fold number -> curve;
    ``ended``: the fold stopped on its own), at every epoch after ``after`` where each
    fold has a value, up to ``last``. What a chart draws as the run's band."""
    folds = [fold for fold in curves if fold != REFIT]
    if not folds:
        return []
    # Only the epochs after ``after`` (bisect: a live chart asks after every epoch).
    epochs = sorted(
        {
            p.epoch
            for fold in folds
            for p in curves[fold][bisect.bisect_right(curves[fold], after, key=_epoch_of) :]
        }
    )
    result = []
    for epoch in epochs:
        if last is not None and epoch > last:
            break
        points = [point_at(curves[fold], ended.get(fold, False), epoch) for fold in folds]
        if any(point is None for point in points):
            continue
        mean, train_std, test_std = mean_point(points, epoch)  # type: ignore[arg-type]
        result.append(
            BandPoint(
                epoch, mean.train_accuracy, train_std, mean.test_accuracy, test_std, mean.loss
            )
        )
    return result


@dataclass(slots=True)
class CvSummary:
    """What a cross-validated run (or a point read off one) reports."""

    status: str
    curve: list[EpochPoint]  # the folds' mean per epoch (test_accuracy: validation)
    cv_accuracy: float | None = None
    cv_std: float | None = None
    fold_accuracies: list[float] | None = None
    train_accuracy: float | None = None  # the refit's (None without one)
    test_accuracy: float | None = None
    stop_reason: str = ""
    error: str = ""
    refit_curve: list[EpochPoint] = field(default_factory=list)

    def scores(self) -> dict[str, Any]:
        """The keyword arguments of :func:`core.fold_store.set_cv`."""
        return {
            "cv_accuracy": self.cv_accuracy,
            "cv_std": self.cv_std,
            "fold_accuracies": self.fold_accuracies,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
        }


def summarize(
    cv: int,
    epochs: int,
    curves: Mapping[int, Sequence[EpochPoint]],
    ends: Mapping[int, tuple[str, str, str]],
) -> CvSummary:
    """The run at ``epochs`` epochs from its folds: ``curves`` (fold number -> curve,
    ``REFIT`` for the refit) and ``ends`` (fold number -> ``(status, stop_reason,
    error)``). Every fold must have ended (``done`` or not)."""
    statuses = {fold: end[0] for fold, end in ends.items()}
    status = "done"
    for candidate in _STATUS_ORDER:
        if candidate in statuses.values():
            status = candidate
            break
    first_bad = next((end for end in ends.values() if end[0] == status), ("", "", ""))
    folds = range(cv)
    ended = {fold: statuses.get(fold) == "done" for fold in folds}
    mean_curve = band({fold: curves.get(fold, []) for fold in folds}, ended, epochs)
    curve = [EpochPoint(b.epoch, b.train_accuracy, b.cv_accuracy, b.loss) for b in mean_curve]
    summary = CvSummary(status, curve, stop_reason=first_bad[1], error=first_bad[2])
    if status == "done":
        finals = [point_at(curves.get(fold, []), True, epochs) for fold in folds]
        if all(point is not None for point in finals):
            _, _, std = mean_point(finals, epochs)  # type: ignore[arg-type]
            accuracies = [p.test_accuracy for p in finals]  # type: ignore[union-attr]
            import numpy as np

            # np.average of the fold scores: GridSearchCV's mean_test_score, bit for bit.
            summary.cv_accuracy = float(np.average(np.array([accuracies]), axis=1)[0])
            summary.cv_std = std
            summary.fold_accuracies = accuracies
        summary.stop_reason = _fold_stops(ends, cv, epochs, curves)
    refit = list(curves.get(REFIT, []))
    if refit:
        final = point_at(refit, statuses.get(REFIT) == "done", epochs)
        summary.refit_curve = [p for p in refit if p.epoch <= epochs]
        if final is not None:
            summary.train_accuracy = final.train_accuracy
            summary.test_accuracy = final.test_accuracy
    return summary


def _fold_stops(
    ends: Mapping[int, tuple[str, str, str]],
    cv: int,
    epochs: int,
    curves: Mapping[int, Sequence[EpochPoint]],
) -> str:
    """Why a finished run's folds stopped, in one line."""
    lasts = [curves[fold][-1].epoch for fold in range(cv) if curves.get(fold)]
    if lasts and min(lasts) >= epochs:
        return f"{cv} folds reached the maximum of {epochs} epochs"
    spread = (
        f"{min(lasts)} to {max(lasts)}"
        if lasts and min(lasts) != max(lasts)
        else str(max(lasts, default=0))
    )
    return f"{cv} folds stopped at epochs {spread} (scikit-learn's tol or early stopping)"


def cv_facts(
    facts: DataFacts | None,
    fold_facts: Sequence[Mapping[str, Any]],
    spread: float | None,
    cv: int,
) -> DataFacts:
    """The verdict's view of a cross-validated run: the validated rows (every train row
    once) as its test rows, the folds' mean baseline, the split's reference (from the
    refit's ``facts`` when there is one) and the folds' ``spread`` as the noise."""
    from core.diagnosis import DataFacts

    # Folds kept from an earlier attempt sent no facts: the folds are equal in size
    # (to a row), so the ones here tell the whole.
    n_rows = round(sum(int(f.get("n_test", 0)) for f in fold_facts) * cv / max(1, len(fold_facts)))
    baseline = sum(float(f.get("baseline", 0.0)) for f in fold_facts) / max(1, len(fold_facts))
    first = fold_facts[0] if fold_facts else {}
    return DataFacts(
        n_test=n_rows,
        n_classes=int(first.get("n_classes", 2)),
        baseline=round(baseline, 6),
        reference=None if facts is None else facts.reference,
        scaled=bool(first.get("scaled", True)),
        spread=spread,
    )


# --- training ----------------------------------------------------------------------

#: The live band's spreads are stored at most this often while the folds train.
SPREAD_WRITE_S = 0.5


class CvLaunch:
    """The fold tasks of one cross-validated run in flight, and their joint outcome.

    ``runner`` stores what happens; ``record_epoch(point)`` writes a point of the mean
    curve (and passes it on as the run's progress); ``kept`` are the folds a restart
    keeps (:func:`core.fold_store.keep_finished`).
    """

    def __init__(
        self,
        runner: Runner,
        run_id: int,
        config: RunConfig,
        dataset: DatasetSpec,
        record_epoch: Callable[[EpochPoint], None],
        kept: Mapping[int, Any],
        reference: dict[str, Any] | None,
        data: Any = None,
        on_task: Callable[[], None] | None = None,
    ) -> None:
        from core import fold_store

        self.runner = runner
        self.run_id = run_id
        self.config = config
        self.dataset = dataset
        self.record_epoch = record_epoch
        self.reference = reference
        self.data = data
        self.on_task = on_task
        self.future: Future = Future()
        self._lock = threading.Lock()
        self._handles: list[RunHandle] = []
        self._stopped: tuple[str, str] | None = None
        stored = fold_store.fold_curves(runner.store, run_id)
        self.curves: dict[int, list[EpochPoint]] = {f: stored.get(f, []) for f in kept}
        self.ends: dict[int, tuple[str, str, str]] = {
            fold: (record.status, record.stop_reason, record.error) for fold, record in kept.items()
        }
        self.fold_facts: list[dict[str, Any]] = []
        self.refit_outcome: RunOutcome | None = None
        #: The split's reference, computed by a task of this run (to be cached).
        self.new_reference: dict[str, Any] | None = None
        self.todo = [f for f in range(dataset.cv) if f not in kept]
        if dataset.refit and REFIT not in kept:
            self.todo.append(REFIT)
        self._left = len(self.todo)
        self._emitted = 0  # last epoch of the mean curve written
        #: The band's (epoch, train_std, cv_std) not stored yet, and when it last was.
        self._spreads: list[tuple[int, float, float]] = []
        self._spreads_at = 0.0

    def start(self) -> None:
        """Submit every fold still to train (the refit last: it waits the least)."""
        from core.worker import RunRequest

        if not self.todo:
            self._finish()
            return
        for fold in self.todo:
            with self._lock:
                self.curves[fold] = []
            spec = self.dataset.base() if fold == REFIT else self.dataset.fold_spec(fold)
            request = RunRequest(
                task_id(self.run_id, fold),
                self.config,
                spec,
                # Every task gets the split's reference when it is known: a fold 0
                # without one computes it (in a process that has not yet: the models'
                # imports, the whole split loaded and two fits).
                self.reference,
                self.data if fold == REFIT else None,
            )
            handle = self.runner.executor.submit(request, self._on_epoch)
            with self._lock:
                self._handles.append(handle)
                stopped = self._stopped
            if stopped is not None:
                handle.stop(*stopped)
            handle.future.add_done_callback(lambda done, f=fold: self._fold_done(f, done))

    def tasks_left(self) -> int:
        """Fold tasks (and the refit) not ended yet."""
        with self._lock:
            return self._left

    def stop(self, _run_id: int, status: str, reason: str) -> None:
        """Stop every fold after its current epoch (a :class:`RunHandle`'s stopper)."""
        with self._lock:
            self._stopped = (status, reason)
            handles = list(self._handles)
        for handle in handles:
            handle.stop(status, reason)

    def _on_epoch(self, task: int, point: EpochPoint) -> str | None:
        found = task_of(task)
        if found is None:
            return None
        _, fold = found
        # A fold's own epochs are stored with its end (fold_store.finish_fold): one that
        # does not end is trained again from its start anyway. The mean curve, written
        # as every fold passes an epoch, is what a live chart shows meanwhile.
        with self._lock:
            self.curves.setdefault(fold, []).append(point)
            points = self._new_mean_points()
        for mean in points:
            self.record_epoch(mean)
        if points:
            self._store_spreads()
        return None

    def _new_mean_points(self) -> list[EpochPoint]:
        """Points of the mean curve that every fold has now passed (under the lock)."""
        folds = range(self.dataset.cv)
        ended = {fold: self.ends.get(fold, ("",))[0] == "done" for fold in folds}
        reach = []
        for fold in folds:
            curve = self.curves.get(fold, [])
            if not ended[fold] and fold not in self.ends:
                reach.append(curve[-1].epoch if curve else 0)
        top = min(reach) if reach else self.config.epochs
        top = min(top, self.config.epochs)
        if top <= self._emitted:
            return []
        new = band({f: self.curves.get(f, []) for f in folds}, ended, top, self._emitted)
        if new:
            self._emitted = new[-1].epoch
        self._spreads += [(b.epoch, b.train_std, b.cv_std) for b in new]
        return [EpochPoint(b.epoch, b.train_accuracy, b.cv_accuracy, b.loss) for b in new]

    def _store_spreads(self, force: bool = False) -> None:
        """Store the band's spreads taken since the last time, at most every
        SPREAD_WRITE_S (one transaction for many epochs: a chart reads the band about
        once a second), after the mean points they go with."""
        from core import fold_store
        from core.errors import StoreError

        now = time.monotonic()
        with self._lock:
            if not self._spreads or (not force and now - self._spreads_at < SPREAD_WRITE_S):
                return
            rows, self._spreads, self._spreads_at = self._spreads, [], now
        # A display aid: a write that fails loses nothing the folds do not give at the end.
        with contextlib.suppress(StoreError):
            fold_store.add_spreads(self.runner.store, self.run_id, rows)

    def _fold_done(self, fold: int, done: Future) -> None:
        from core import fold_store
        from core.errors import StoreError
        from core.worker import RunOutcome

        error = done.exception()
        if error is not None:  # the worker process died
            outcome = RunOutcome(self.run_id, "failed", error=f"worker process failed: {error}")
        else:
            outcome = done.result()
        status = outcome.status
        if status == "cancelled" and self._stopped is not None and self._stopped[0] != "cancelled":
            status = self._stopped[0]
        try:
            if outcome.curve or status in fold_store.KEPT_STATUSES:
                fold_store.finish_fold(
                    self.runner.store,
                    self.run_id,
                    fold,
                    status,
                    outcome.curve,
                    stop_reason=outcome.stop_reason,
                    error=outcome.error,
                    duration_s=outcome.duration_s,
                )
        except StoreError as store_error:  # the runner stops the run and says why
            self.runner._store_failed(self.run_id, store_error)
        with self._lock:
            self.curves[fold] = list(outcome.curve)
            self.ends[fold] = (status, outcome.stop_reason, outcome.error)
            if fold == REFIT:
                self.refit_outcome = outcome
            elif outcome.facts is not None:
                self.fold_facts.append(outcome.facts)
            fresh = outcome.new_reference is not None and self.reference is None
            if fresh:
                self.reference = self.new_reference = outcome.new_reference
            self._left -= 1
            last = self._left == 0
            points = [] if last else self._new_mean_points()
        if fresh:
            from core.reference import save_new_reference

            # Cached now, not when the run ends: a sweep starts its next point while
            # this one's last fold trains, and that point's fold 0 would otherwise
            # compute the reference (two models fit on the split) again.
            save_new_reference(self.runner.store, self.run_id, outcome.new_reference)
        for mean in points:
            self.record_epoch(mean)
        self._store_spreads(force=True)  # a fold's end: the band so far, at once
        if last:
            self._finish()
        elif self.on_task is not None:
            self.on_task()

    def _finish(self) -> None:
        """Every fold has ended: the run's outcome, with its verdict."""
        try:
            self.future.set_result(self.outcome())
        except Exception as error:  # never leave the run hanging
            from core.worker import RunOutcome

            self.future.set_result(RunOutcome(self.run_id, "failed", error=f"cv: {error!r}"))

    def outcome(self) -> RunOutcome:
        """The run's outcome from its folds (and refit)."""
        from core.worker import RunOutcome

        summary = summarize(self.dataset.cv, self.config.epochs, self.curves, self.ends)
        refit = self.refit_outcome
        outcome = RunOutcome(
            self.run_id,
            summary.status,
            curve=summary.curve,
            stop_reason=summary.stop_reason,
            error=summary.error,
            duration_s=0.0,
        )
        outcome.cv = summary.scores()
        outcome.new_reference = self.new_reference
        if refit is not None:
            outcome.metrics = refit.metrics
            outcome.new_reference = refit.new_reference or self.new_reference
            outcome.baseline = refit.baseline
            outcome.notes = list(refit.notes)
        if summary.status in ("done", "diverged"):
            outcome.verdict, outcome.facts = self._verdict(summary, refit)
        return outcome

    def _verdict(self, summary: CvSummary, refit: RunOutcome | None):
        from core.diagnosis import DataFacts, diagnose

        facts = None
        if refit is not None and refit.facts is not None:
            facts = DataFacts.from_dict(refit.facts)
        elif self.reference is not None:
            facts = DataFacts(reference=self.reference.get("accuracy"))
        fold_facts = self.fold_facts or [{}]
        judged = cv_facts(facts, fold_facts, summary.cv_std, self.dataset.cv)
        verdict = diagnose(summary.curve, judged, self.config, summary.status).to_dict()
        return verdict, judged.to_dict()


def cv_json(store: Any, record: Any) -> dict[str, Any]:
    """What ``run --json`` adds for a cross-validated run: ``cv``, ``refit``,
    ``cv_accuracy``, ``cv_std``, ``fold_accuracies``, ``cv_curve`` (per epoch: the folds'
    mean and std of train and validation accuracy) and ``refit_curve``; empty for any
    other run."""
    from core import fold_store

    if not is_cv(record.dataset):
        return {}
    curves = fold_store.fold_curves(store, record.id)
    ends = fold_store.folds(store, record.id)
    ended = {fold: end.status == "done" for fold, end in ends.items()}
    epochs = int(record.params.get("epochs", 0)) or None
    return {
        "cv": int(record.dataset["cv"]),
        "refit": bool(record.dataset.get("refit", True)),
        **record.cv_dict(),
        "cv_curve": [b.to_dict() for b in band(curves, ended, epochs)],
        "refit_curve": [p.to_dict() for p in curves.get(REFIT, [])],
    }
