"""Running a sweep: every point a stored run, trained through the Runner, pruned on
the way, and resumable after any crash.

How a grid or random sweep runs:

1. The sweep and every point are stored before anything trains: a run per point,
   ``queued``, with a stable ``point_key`` (the JSON of its whole config, sorted), so
   the store always knows what is left to do.
2. Points equal but for ``epochs`` form a group (:mod:`core.search.epochs`): only the
   longest trains; the others are its curve cut short, stored as their own runs
   (status, curve, verdict) as soon as it ends.
3. At most ``executor.workers`` runs train at once, the most expensive first so the
   last one to finish is a short one. The pruner sees every epoch on the executor's
   progress thread and may stop a run there.

A TPE sweep asks Optuna for ``workers`` points at a time and tells it their results
in the order asked, once all of the batch are done: the points then depend only on
the seed and the scores, never on which run finished first.

:func:`resume` finishes what a killed process left: points whose run finished are
skipped, interrupted, cancelled and queued ones are trained (again, from epoch 0).

A sweep has one owner at a time: the process that created or claimed it
(:meth:`RunStore.claim_sweep`, atomic) and heartbeats it until it ends, so two
processes never train the same sweep. A sweep whose data file is missing stays
``interrupted`` with that reason, and a TPE point whose config is invalid (a network
too large) is stored ``failed`` with the reason while the sweep goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.config import RunConfig, parse_field
from core.diagnosis import DataFacts, diagnose
from core.errors import ConfigError, InputError, PerceptuneError
from core.queue_store import stored_queue_ids, stored_queue_sweep_ids
from core.results import EpochPoint
from core.runner import Runner
from core.search.epochs import Group, derive, group_points
from core.search.pruning import make_pruner
from core.search.results import rank_key
from core.search.sweepfile import SweepSpec
from core.store import SweepBusy
from core.worker import RunOutcome

if TYPE_CHECKING:
    from core.datasets import DatasetSpec
    from core.executors import Executor
    from core.store import RunRecord, RunStore

#: Statuses of a point that a resumed sweep does not run again.
POINT_FINISHED = ("done", "pruned", "diverged", "failed")
#: Sweep statuses :func:`resume` picks up.
UNFINISHED_SWEEPS = ("running", "interrupted")
#: Asks per wanted TPE point before a small space is taken as exhausted.
MAX_ASKS_PER_TRIAL = 20
#: Seconds between progress reports driven by epochs (points always report).
PROGRESS_INTERVAL_S = 0.2
#: Seconds to wait for stopped runs to be recorded when a sweep is interrupted.
INTERRUPT_WAIT_S = 10.0


def point_score(record: RunRecord) -> float | None:
    """What a point is ranked by: its ``cv_accuracy`` when cross-validated, else its
    test accuracy."""
    if record.dataset.get("cv"):
        return record.cv_accuracy
    return record.test_accuracy


def point_key(config: RunConfig) -> str:
    """The stable key of a point: its whole config as sorted, compact JSON."""
    return json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))


@dataclass(slots=True)
class SweepProgress:
    """Where a sweep stands, for a progress bar."""

    sweep_id: int
    done: int  # points finished (trained or read off a curve)
    total: int
    running: int
    best_test_accuracy: float | None = None
    best_run_id: int | None = None
    eta_s: float | None = None  # None until there is something to extrapolate from


ProgressCallback = Callable[[SweepProgress], None]
#: Polled while a sweep waits for runs: None to go on, or the status to stop with
#: (``cancelled``, or ``interrupted`` to leave the sweep for :func:`resume`).
StopCallback = Callable[[], "str | None"]
#: Statuses a sweep may be stopped with.
STOP_STATUSES = ("cancelled", "interrupted")


class DataUnavailable(PerceptuneError):
    """A sweep's data file is missing or unreadable: the sweep stays ``interrupted``
    (with this message as its reason) until the file is back."""


def data_problem(dataset: DatasetSpec) -> str | None:
    """Why ``dataset``'s files cannot be read now (``"data file X is missing"``), or
    None. Only presence and permission: a file that is there but bad fails its runs."""
    for path in (dataset.train, dataset.test):
        if path is None:
            continue
        if not os.path.isfile(path):
            return f"data file {path} is missing"
        if not os.access(path, os.R_OK):
            return f"data file {path} is not readable"
    return None


class SweepStopped(Exception):
    """Raised out of :func:`run_sweep` when ``should_stop`` asked the sweep to stop."""

    def __init__(self, sweep_id: int, status: str) -> None:
        super().__init__(f"sweep {sweep_id} {status}")
        self.sweep_id = sweep_id
        self.status = status


@dataclass(slots=True)
class _Job:
    """One run to train, and the points read off its curve when it ends."""

    run_id: int
    max_epochs: int
    cost: float
    derived: list[tuple[int, int]] = field(default_factory=list)  # (run id, epochs)


def _cost(config: RunConfig) -> float:
    # Relative training time: epochs x weights (data width unknown here; 32 is typical).
    units = [32, *config.layers, 10]
    return config.epochs * sum(a * b for a, b in zip(units, units[1:]))


class SweepEngine:
    """Runs one stored sweep to its end.

    Parameters
    ----------
    store : RunStore
        Where the sweep, its runs and their epochs are written.
    executor : Executor
        Where runs train; its ``workers`` is how many run at once.
    spec : SweepSpec
        The sweep (validated).
    sweep_id : int
        The stored sweep (:meth:`RunStore.create_sweep`).
    on_progress : callable, optional
        Called with a :class:`SweepProgress` after every point and, at most every
        ``PROGRESS_INTERVAL_S``, during training (on an executor thread then).
    should_stop : callable, optional
        Polled while the sweep waits for runs (:data:`StopCallback`); a status stops
        the runs in flight, leaves the sweep in that status and raises
        :class:`SweepStopped`.
    """

    def __init__(
        self,
        store: RunStore,
        executor: Executor,
        spec: SweepSpec,
        sweep_id: int,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCallback | None = None,
    ) -> None:
        self.store = store
        self.spec = spec
        self.sweep_id = sweep_id
        self.runner = Runner(store, executor)
        self.workers = max(1, int(getattr(executor, "workers", 1) or 1))
        self.pruner = make_pruner(spec.prune, spec.pruner_min_epochs(), spec.prune_eta)
        self.on_progress = on_progress
        self.should_stop = should_stop
        self._stop_status: str | None = None
        # Outcomes of runs, and None when a fold of a cross-validated run ended (a
        # worker is free: time to start the next point).
        self._outcomes: queue.Queue[RunOutcome | None] = queue.Queue()
        self._tasks_left: dict[int, Callable[[], int]] = {}
        self._lock = threading.Lock()
        self._active: dict[int, _Job] = {}
        self._facts: DataFacts | None = None  # the split's facts, for derived verdicts
        self._first_epoch: float | None = None
        self._last_report = 0.0
        self._total = 0
        self._done = 0
        self._best: tuple[float, int] | None = None
        self._best_key: tuple | None = None  # rank_key of the best run so far
        self._epochs_left = 0  # epochs still to train in the jobs not finished
        self._epochs_done = 0  # epochs trained by this process
        self._epochs_at: dict[int, int] = {}  # run in flight -> its last epoch
        # Where the pruner decided: a worker process may train an epoch more before the
        # stop reaches it, so TPE is told the value at the decision, not the last one.
        self._pruned_at: dict[int, EpochPoint] = {}
        self._trained_points = 0  # runs this process trained to their end

    # -- entry point ------------------------------------------------------------------

    def run(self) -> None:
        """Train every unfinished point, then mark the sweep ``done``.

        Whatever stops it early leaves it ``interrupted`` (or ``cancelled``) with the
        reason, never ``running``: this process no longer owns it then. A missing data
        file raises :class:`DataUnavailable` before anything trains.
        """
        try:
            problem = data_problem(self.spec.dataset)
            if problem is not None:
                raise DataUnavailable(problem)
            if self.spec.strategy == "tpe":
                self._run_tpe()
            else:
                self._run_points()
        except DataUnavailable as error:
            with contextlib.suppress(PerceptuneError):
                self.store.set_sweep_status(self.sweep_id, "interrupted", reason=str(error))
            raise
        except BaseException as error:
            _release(self.store, self.sweep_id, error)
            raise
        finally:
            self.runner.close()
        self.store.set_sweep_status(self.sweep_id, "done")

    # -- grid and random ----------------------------------------------------------------

    def _run_points(self) -> None:
        # Every point passed RunConfig's checks when the spec was parsed.
        configs = [self.spec.config(point) for point in self.spec.points()]
        records = self.store.sweep_runs(self.sweep_id)
        run_ids = [self._stored_run(config, records) for config in configs]
        statuses = {r.id: r.status for r in records.values()}
        self._total = len(configs)
        jobs: list[_Job] = []
        earlier: list[tuple[int, int, str]] = []
        for group in group_points(configs):
            job = self._job(group, configs, run_ids)
            # Points finished in an earlier attempt are never redone.
            job.derived = [(r, e) for r, e in job.derived if statuses.get(r) not in POINT_FINISHED]
            if statuses.get(job.run_id) in POINT_FINISHED:
                self._derive_stored(job)
                earlier.append((job.run_id, job.max_epochs, statuses[job.run_id]))
            else:
                jobs.append(job)
        self._seed_pruner(earlier)
        self._done = self._total - sum(1 + len(job.derived) for job in jobs)
        self._note_best_stored()
        self._epochs_left = sum(job.max_epochs for job in jobs)
        # Most expensive first (longest-processing-time rule): the sweep ends with
        # short runs instead of waiting on one long straggler.
        jobs.sort(key=lambda job: -job.cost)
        self._report(force=True)
        self._dispatch(jobs, self._finish_job)

    def _store_invalid(self, config: RunConfig, key: str, error: ConfigError) -> int:
        """Store a TPE point whose config failed a check across fields (a network too
        large for memory) as a ``failed`` run saying why; returns its run id."""
        run_id = self.store.create_run(
            config.to_dict(),
            self.spec.run_dataset().to_dict(),
            status="failed",
            sweep_id=self.sweep_id,
            point_key=key,
            label=config.short_label(),
        )
        self.store.finish_run(run_id, "failed", error=f"invalid point: {error}")
        return run_id

    def _stored_run(self, config: RunConfig, records: dict[str, RunRecord]) -> int:
        key = point_key(config)
        record = records.get(key)
        if record is not None:
            return record.id
        return self.runner.enqueue(
            config, self.spec.run_dataset(), sweep_id=self.sweep_id, point_key=key
        )

    def _job(self, group: Group, configs: Sequence[RunConfig], run_ids: Sequence[int]) -> _Job:
        config = configs[group.trained]
        return _Job(
            run_ids[group.trained],
            config.epochs,
            _cost(config),
            [(run_ids[i], configs[i].epochs) for i in group.derived],
        )

    def _derive_stored(self, job: _Job) -> None:
        # The trained run finished in an earlier process; fill in what it left.
        if not job.derived:
            return
        record = self.store.get_run(job.run_id)
        curve = self.store.curve(job.run_id)
        for run_id, epochs in job.derived:
            self._write_derived(run_id, epochs, record, curve)

    def _seed_pruner(self, runs: list[tuple[int, int, str]]) -> None:
        """Show the pruner the runs that ended in an earlier process (resume)."""
        if not runs or self.spec.prune == "none":
            return
        curves = self.store.curves([run_id for run_id, _, _ in runs])
        for run_id, max_epochs, status in runs:
            self.pruner.seed(curves[run_id], max_epochs, status)

    def _finish_job(self, job: _Job, outcome: RunOutcome) -> None:
        if outcome.facts is not None:
            self._facts = DataFacts.from_dict(outcome.facts)
        record = self.store.get_run(job.run_id)
        self._check_data_gone(record)
        self.pruner.finish(job.run_id, outcome.curve, record.status)
        self._point_done(record)
        for run_id, epochs in job.derived:
            self._point_done(self._write_derived(run_id, epochs, record, outcome.curve))

    def _write_derived(
        self, run_id: int, epochs: int, source: RunRecord, curve: list[EpochPoint]
    ) -> RunRecord:
        if self.spec.cv:
            return self._write_derived_cv(run_id, epochs, source)
        derived = derive(
            curve,
            epochs,
            status=source.status,
            stop_reason=source.stop_reason,
            error=source.error,
            source_run=source.id,
        )
        verdict = None
        if derived.status in ("done", "diverged", "pruned"):
            config = RunConfig.from_mapping({**source.params, "epochs": epochs})
            verdict = diagnose(derived.curve, self._data_facts(), config, derived.status).to_dict()
        last = derived.curve[-1] if derived.curve else None
        self.store.mark_running(run_id)  # also drops epochs of an earlier attempt
        self.store.add_epochs(run_id, derived.curve)
        self.store.finish_run(
            run_id,
            derived.status,
            train_accuracy=last.train_accuracy if last else None,
            test_accuracy=last.test_accuracy if last else None,
            n_epochs=last.epoch if last else 0,
            verdict=verdict,
            stop_reason=derived.stop_reason,
            error=derived.error,
        )
        return self.store.get_run(run_id)

    def _write_derived_cv(self, run_id: int, epochs: int, source: RunRecord) -> RunRecord:
        """A cross-validated point read off a longer one: every fold (and the refit) cut
        at ``epochs``, then the folds' mean, spread and verdict as for a trained run."""
        from core import fold_store
        from core.cv import summarize

        curves = fold_store.fold_curves(self.store, source.id)
        ends = fold_store.folds(self.store, source.id)
        self.store.mark_running(run_id)  # also drops epochs of an earlier attempt
        fold_store.clear(self.store, run_id)
        cut: dict[int, list[EpochPoint]] = {}
        cut_ends: dict[int, tuple[str, str, str]] = {}
        for fold, end in ends.items():
            derived = derive(
                curves.get(fold, []),
                epochs,
                status=end.status,
                stop_reason=end.stop_reason,
                error=end.error,
                source_run=source.id,
            )
            fold_store.finish_fold(
                self.store,
                run_id,
                fold,
                derived.status,
                derived.curve,
                stop_reason=derived.stop_reason,
                error=derived.error,
            )
            cut[fold], cut_ends[fold] = derived.curve, (derived.status, derived.stop_reason, "")
        summary = summarize(self.spec.cv, epochs, cut, cut_ends)
        if len(cut_ends) < self.spec.cv or summary.status not in ("done", "diverged"):
            summary.status = source.status if source.status != "done" else "failed"
        verdict = None
        if summary.status in ("done", "diverged"):
            config = RunConfig.from_mapping({**source.params, "epochs": epochs})
            facts = replace(self._data_facts(), spread=summary.cv_std)
            verdict = diagnose(summary.curve, facts, config, summary.status).to_dict()
        self.store.add_epochs(run_id, summary.curve)
        self.store.finish_run(
            run_id,
            summary.status,
            n_epochs=summary.curve[-1].epoch if summary.curve else 0,
            verdict=verdict,
            stop_reason=f"{summary.stop_reason} (read off run {source.id}'s folds)",
            error=source.error if summary.status != "done" else "",
        )
        fold_store.set_cv(self.store, run_id, **summary.scores())
        return self.store.get_run(run_id)

    def _data_facts(self) -> DataFacts:
        if self._facts is None:
            # Only when resuming a sweep whose trained run ended in an earlier process:
            # the split's reference comes from the store (or is computed once here).
            from core.reference import (
                data_facts,
                reference_for,
                remember,
                store_reference,
                stored_reference,
            )
            from core.worker import cached_dataset

            data = cached_dataset(self.spec.dataset)
            reference = stored_reference(self.store, self.spec.dataset)
            if reference is None:
                reference = reference_for(data)
                store_reference(self.store, self.spec.dataset, reference)
            else:
                remember(self.spec.dataset, reference)
            self._facts = data_facts(data, reference)
            if self.spec.cv:  # every train row is validated once
                self._facts = replace(self._facts, n_test=len(data.y_train))
        return self._facts

    # -- TPE --------------------------------------------------------------------------

    def _run_tpe(self) -> None:
        from core.search.strategies import TPESearch

        search = TPESearch(self.spec.space, self.spec.seed)
        records = sorted(self.store.sweep_runs(self.sweep_id).values(), key=lambda r: r.id)
        known: dict[str, int] = {r.point_key: r.id for r in records if r.point_key}
        self._total = self.spec.trials
        rerun: list[tuple[Any, int]] = []
        earlier: list[tuple[int, int, str]] = []
        for record in records:
            if record.status in POINT_FINISHED:
                search.add(self._point_of(record), _trial_result(record))
                earlier.append((record.id, int(record.params["epochs"]), record.status))
                self._done += 1
            else:
                rerun.append((None, record.id))
        self._seed_pruner(earlier)
        self._note_best_stored()
        asks = 0
        while rerun or (len(known) < self.spec.trials and asks < self._max_asks()):
            batch: list[tuple[Any, int]] = rerun[: self.workers]
            rerun = rerun[self.workers :]
            repeats: list[tuple[Any, str]] = []
            while not rerun and len(batch) < self.workers and len(known) < self.spec.trials:
                if asks >= self._max_asks():
                    break
                trial, point = search.ask()
                asks += 1
                invalid: ConfigError | None = None
                try:
                    config = self.spec.config(point)
                except ConfigError as error:
                    # Each value passed parse_field; only a check across fields failed,
                    # so the unchecked config still has a key, a label and JSON params.
                    config = replace(RunConfig(), **self.spec.fixed, **point)
                    invalid = error
                key = point_key(config)
                if key in known:  # TPE may ask for a point again: reuse its result
                    repeats.append((trial, key))
                    continue
                if invalid is not None:  # failed, TPE learns it, and the sweep goes on
                    known[key] = self._store_invalid(config, key, invalid)
                    search.tell(trial, _trial_result(self.store.get_run(known[key])))
                    self._done += 1
                    continue
                run_id = self.runner.enqueue(
                    config, self.spec.run_dataset(), sweep_id=self.sweep_id, point_key=key
                )
                known[key] = run_id
                batch.append((trial, run_id))
            jobs = [self._single_job(run_id) for _, run_id in batch]
            self._epochs_left = sum(job.max_epochs for job in jobs)
            self.pruner.hold()  # the batch is pruned against earlier batches only
            try:
                self._dispatch(jobs, self._finish_single)
            finally:
                self.pruner.release()
            for trial, run_id in batch:  # in the order asked, whatever finished first
                record = self.store.get_run(run_id)
                if trial is None:
                    search.add(self._point_of(record), self._result_of(record))
                else:
                    search.tell(trial, self._result_of(record))
            for trial, key in repeats:
                search.tell(trial, self._result_of(self.store.get_run(known[key])))

    def _result_of(self, record: RunRecord):
        return _trial_result(record, self._pruned_at.get(record.id))

    def _max_asks(self) -> int:
        return self.spec.trials * MAX_ASKS_PER_TRIAL

    def _single_job(self, run_id: int) -> _Job:
        config = RunConfig.from_mapping(self.store.get_run(run_id).params)
        return _Job(run_id, config.epochs, _cost(config))

    def _finish_single(self, job: _Job, outcome: RunOutcome) -> None:
        record = self.store.get_run(job.run_id)
        self._check_data_gone(record)
        self.pruner.finish(job.run_id, outcome.curve, record.status)
        self._point_done(record)

    def _check_data_gone(self, record: RunRecord) -> None:
        """A run that failed because the data file went away mid-sweep is not a result:
        leave it ``interrupted`` and stop the sweep until the file is back."""
        if record.status != "failed":
            return
        problem = data_problem(self.spec.dataset)
        if problem is not None:
            self.store.set_status(record.id, "interrupted")
            raise DataUnavailable(problem)

    def _point_of(self, record: RunRecord) -> dict[str, Any]:
        return {name: parse_field(name, record.params[name]) for name in self.spec.space}

    # -- dispatching ------------------------------------------------------------------

    def _dispatch(self, jobs: Iterable[_Job], finish: Callable[[_Job, RunOutcome], None]) -> None:
        """Train ``jobs``, ``workers`` at a time; ``finish`` runs here, in this thread."""
        pending = deque(jobs)
        try:
            while pending or self._active:
                self._check_stop()
                while pending and self._busy() < self.workers:
                    self._start(pending.popleft())
                outcome = self._next_outcome()
                if outcome is None:
                    continue  # a fold ended: maybe room for the next point
                self.runner.check_store()  # a full disk stops the sweep, resumable
                with self._lock:
                    job = self._active.pop(outcome.run_id)
                    self._tasks_left.pop(outcome.run_id, None)
                    self._epochs_left -= job.max_epochs
                    self._epochs_at.pop(outcome.run_id, None)
                    self._trained_points += 1
                finish(job, outcome)
                self._report(force=True)
        except BaseException:
            self._interrupt()
            raise

    def _busy(self) -> int:
        """Workers the runs in flight keep busy: one per run, one per fold still to
        end of a cross-validated run (its folds train in parallel)."""
        with self._lock:
            return sum(
                self._tasks_left[run_id]() if run_id in self._tasks_left else 1
                for run_id in self._active
            )

    def _start(self, job: _Job) -> None:
        self.pruner.start(job.run_id, job.max_epochs)
        with self._lock:
            self._active[job.run_id] = job
        handle = self.runner.start(
            job.run_id,
            on_epoch=self._on_epoch,
            on_finish=self._outcomes.put,
            on_task=lambda: self._outcomes.put(None),
        )
        tasks_left = getattr(handle, "tasks_left", None)
        if tasks_left is not None:
            with self._lock:
                self._tasks_left[job.run_id] = tasks_left

    def _next_outcome(self) -> RunOutcome | None:
        while True:
            # A timeout keeps the wait interruptible by Ctrl-C (and by should_stop).
            with contextlib.suppress(queue.Empty):
                return self._outcomes.get(timeout=0.2)
            self._check_stop()

    def _check_stop(self) -> None:
        status = self.should_stop() if self.should_stop is not None else None
        if status is not None:
            if status not in STOP_STATUSES:
                raise ValueError(f"a sweep stops cancelled or interrupted, not {status!r}")
            self._stop_status = status
            raise SweepStopped(self.sweep_id, status)

    def _on_epoch(self, run_id: int, point: EpochPoint) -> str | None:
        with self._lock:
            if self._first_epoch is None:
                self._first_epoch = time.monotonic()  # the rate leaves start-up out
            self._epochs_done += 1
            self._epochs_at[run_id] = point.epoch
        reason = self.pruner.report(run_id, point)
        if reason:
            with self._lock:
                self._pruned_at.setdefault(run_id, point)
        self._report()
        return reason

    def _interrupt(self) -> None:
        """Stop the runs in flight and leave them ``interrupted`` for :func:`resume`
        (or, stopped by ``should_stop`` with ``cancelled``, cancel them and the points
        still queued)."""
        status = self._stop_status or "interrupted"
        with self._lock:
            active = list(self._active)
        for run_id in active:
            self.runner.stop(run_id, "cancelled", f"sweep {status}")
        deadline = time.monotonic() + INTERRUPT_WAIT_S
        for run_id in active:
            self.runner.wait_recorded(run_id, max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(Exception):  # best effort: reconcile catches the rest
            for run_id in active:
                self.store.set_status(run_id, status)
            if status == "cancelled":
                for record in self.store.list_runs(sweep_id=self.sweep_id, statuses=["queued"]):
                    self.store.set_status(record.id, "cancelled")
            self.store.set_sweep_status(self.sweep_id, status)

    # -- progress ---------------------------------------------------------------------

    def _point_done(self, record: RunRecord) -> None:
        self._done += 1
        if record.status == "done" and point_score(record) is not None:
            self._note_best(record)

    def _note_best(self, record: RunRecord) -> None:
        # The same ranking as the leaderboard (test, then gap, then the earlier run), so
        # the best shown live is the best shown once the sweep has ended.
        key = rank_key(record)
        if self._best_key is None or key < self._best_key:
            self._best_key = key
            self._best = (float(point_score(record) or 0.0), record.id)

    def _note_best_stored(self) -> None:
        for record in self.store.sweep_runs(self.sweep_id).values():
            if record.status == "done" and point_score(record) is not None:
                self._note_best(record)

    def _report(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_report < PROGRESS_INTERVAL_S:
                return
            self._last_report = now
            running = len(self._active)
            eta = None
            # Extrapolate once a run has finished: before, the rate is mostly noise.
            if self._trained_points and self._first_epoch is not None:
                elapsed = now - self._first_epoch
                if self.spec.strategy == "tpe":
                    # Points are asked as the sweep goes: go by points trained.
                    eta = elapsed / self._trained_points * (self._total - self._done)
                else:
                    left = self._epochs_left - sum(self._epochs_at.values())
                    eta = max(0.0, left * elapsed / max(1, self._epochs_done))
        best = self._best
        self.on_progress(
            SweepProgress(
                self.sweep_id,
                min(self._done, self._total),
                self._total,
                running,
                best[0] if best else None,
                best[1] if best else None,
                eta,
            )
        )


def _release(store: RunStore, sweep_id: int, error: BaseException) -> None:
    """Leave a sweep that stopped on ``error`` ``interrupted`` with why, unless it was
    stopped already (``_interrupt`` set it interrupted or cancelled)."""
    with contextlib.suppress(PerceptuneError):  # a broken store: reconcile will do
        if store.get_sweep(sweep_id)["status"] != "running":
            return
        if isinstance(error, KeyboardInterrupt):
            reason = "stopped by Ctrl-C"
        elif isinstance(error, PerceptuneError):
            reason = str(error)
        else:
            reason = f"{type(error).__name__}: {error}"
        store.set_sweep_status(sweep_id, "interrupted", reason=reason)


def _trial_result(record: RunRecord, pruned_at: EpochPoint | None = None):
    """How a finished point's run ended, in TPE's terms (a pruned run: its value where
    the pruner decided, when known)."""
    from core.search.strategies import TrialResult

    score = point_score(record)
    if record.status == "done" and score is not None:
        return TrialResult("complete", score)
    if record.status == "diverged" and record.test_accuracy is not None:
        return TrialResult("complete", record.test_accuracy)
    if record.status == "pruned" and pruned_at is not None:
        return TrialResult("pruned", pruned_at.test_accuracy, pruned_at.epoch)
    if record.status == "pruned" and record.test_accuracy is not None:
        return TrialResult("pruned", record.test_accuracy, record.n_epochs)
    return TrialResult("fail")


# --- sweeps as a whole -----------------------------------------------------------------


def run_sweep(
    store: RunStore,
    spec: SweepSpec,
    executor: Executor,
    *,
    on_progress: ProgressCallback | None = None,
    sweep_id: int | None = None,
    should_stop: StopCallback | None = None,
) -> int:
    """Store ``spec`` as a new sweep (or continue ``sweep_id``) and run it to the end.

    Returns the sweep id. A KeyboardInterrupt stops the runs in flight and leaves the
    sweep ``interrupted`` for :func:`resume`; so does ``should_stop`` (see
    :class:`SweepEngine`), which then raises :class:`SweepStopped`. Continuing a
    sweep claims it first: :class:`~core.store.SweepBusy` if a live process owns it.
    """
    if sweep_id is None:
        sweep_id = store.create_sweep(spec.to_dict(), name=spec.name)
    else:
        store.claim_sweep(sweep_id)
    try:
        engine = SweepEngine(store, executor, spec, sweep_id, on_progress, should_stop)
    except BaseException as error:  # e.g. a [fixed] network too large: never left ours
        _release(store, sweep_id, error)
        raise
    engine.run()
    return sweep_id


@dataclass(slots=True)
class ResumeReport:
    """What :func:`resume` did."""

    sweeps: list[int] = field(default_factory=list)  # sweeps finished
    runs: list[int] = field(default_factory=list)  # interrupted runs (outside sweeps) rerun
    skipped: list[str] = field(default_factory=list)  # why a sweep or run was left alone
    failed: list[str] = field(default_factory=list)  # sweeps that stopped on an error


def pending_work(store: RunStore) -> tuple[list[dict[str, Any]], list[RunRecord]]:
    """What :func:`resume` would pick up: the unfinished sweeps no live process owns,
    and the interrupted runs outside sweeps (after marking what dead processes left
    ``interrupted``: their running runs, queued runs and sweeps). For the TUI to offer
    a resume on start; :func:`running_elsewhere` lists the sweeps left out."""
    store.reconcile_interrupted()
    detached = stored_queue_sweep_ids(store)  # the background runner's to run
    sweeps = [
        sweep
        for sweep in store.list_sweeps(UNFINISHED_SWEEPS)
        if store.live_owner(sweep["id"]) is None and sweep["id"] not in detached
    ]
    queued = stored_queue_ids(store)  # the background runner resumes those
    runs = [
        r
        for r in store.list_runs(statuses=["interrupted"])
        if r.sweep_id is None and r.id not in queued
    ]
    return sweeps, runs


def running_elsewhere(store: RunStore) -> list[tuple[int, str]]:
    """``(sweep id, "process PID on HOST")`` of each sweep another live process runs."""
    found = []
    for sweep in store.list_sweeps(["running"]):
        owner = store.live_owner(sweep["id"])
        if owner is not None:
            found.append((sweep["id"], owner))
    return found


def resume(
    store: RunStore,
    executor: Executor,
    *,
    on_progress: ProgressCallback | None = None,
    on_sweep: Callable[[int, SweepSpec], None] | None = None,
    should_stop: StopCallback | None = None,
    sweep_ids: Collection[int] | None = None,
    runs: bool = True,
) -> ResumeReport:
    """Finish every unfinished sweep and rerun every interrupted run in ``store``.

    A sweep another live process owns is left to it (``skipped``), and so is one whose
    data file is missing (it stays ``interrupted`` with that reason). A sweep that
    stops on an error is reported in ``failed`` and the next one goes on. ``on_sweep``
    is called before each sweep starts; ``should_stop`` is passed to each
    (:func:`run_sweep`). ``sweep_ids`` limits the sweeps resumed; ``runs=False``
    leaves the interrupted runs outside sweeps alone (the TUI queues those itself).
    """
    store.reconcile_interrupted()
    report = ResumeReport()
    detached = stored_queue_sweep_ids(store)
    for sweep in store.list_sweeps(UNFINISHED_SWEEPS):
        sweep_id = sweep["id"]
        if sweep_ids is not None and sweep_id not in sweep_ids:
            continue
        if sweep_id in detached:
            report.skipped.append(f"sweep {sweep_id} is queued for the background runner")
            continue
        reason = _not_resumable(store, sweep)
        if reason is not None:
            report.skipped.append(reason)
            continue
        try:
            spec = SweepSpec.from_dict(sweep["spec"], source=f"sweep {sweep_id}")
        except InputError as error:
            report.skipped.append(str(error))
            continue
        problem = data_problem(spec.dataset)
        if problem is not None:
            store.set_sweep_status(sweep_id, "interrupted", reason=problem)
            report.skipped.append(f"sweep {sweep_id}: {problem}; resume it once it is back")
            continue
        try:
            store.claim_sweep(sweep_id)  # atomic: of two resumers, one wins
        except SweepBusy as busy:
            report.skipped.append(f"{busy}; left to it")
            continue
        if on_sweep is not None:
            on_sweep(sweep_id, spec)
        try:
            run_sweep(
                store,
                spec,
                executor,
                on_progress=on_progress,
                sweep_id=sweep_id,
                should_stop=should_stop,
            )
        except DataUnavailable as error:
            report.skipped.append(f"sweep {sweep_id}: {error}; resume it once it is back")
            continue
        except SweepStopped:
            raise
        except Exception as error:  # one bad sweep never blocks the others
            text = str(error) if isinstance(error, PerceptuneError) else repr(error)
            report.failed.append(f"sweep {sweep_id}: {text}")
            continue
        report.sweeps.append(sweep_id)
    if runs:
        report.runs = _rerun_interrupted(store, executor, report.skipped)
    return report


def _not_resumable(store: RunStore, sweep: dict[str, Any]) -> str | None:
    """Why another process is working on ``sweep`` (its owner, or a run of it still
    running in a live process), or None."""
    sweep_id = sweep["id"]
    owner = store.live_owner(sweep_id)
    if owner is not None:
        return f"sweep {sweep_id} is running in {owner}; left to it"
    # Sweeps stored before they had owners: a live run of theirs says the same.
    if any(record.status == "running" for record in store.sweep_runs(sweep_id).values()):
        return f"sweep {sweep_id} is running in another process; left to it"
    return None


def _rerun_interrupted(store: RunStore, executor: Executor, skipped: list[str]) -> list[int]:
    """Train again, from epoch 0, the interrupted runs that belong to no sweep; a run
    whose data file is missing stays interrupted (a line in ``skipped`` says why)."""
    from core.datasets import DatasetSpec

    run_ids = []
    queued = stored_queue_ids(store)  # the background runner resumes those
    for record in store.list_runs(statuses=["interrupted"]):
        if record.sweep_id is not None or record.id in queued:
            continue
        try:
            problem = data_problem(DatasetSpec.from_mapping(record.dataset))
        except InputError:
            problem = None  # a stored spec this version refuses: the run will say so
        if problem is None:
            run_ids.append(record.id)
        else:
            skipped.append(f"run {record.id}: {problem}; resume it once it is back")
    if not run_ids:
        return []
    runner = Runner(store, executor)
    done: queue.Queue[RunOutcome] = queue.Queue()
    pending = deque(run_ids)
    active = 0
    try:
        while pending or active:
            while pending and active < max(1, executor.workers):
                runner.start(pending.popleft(), on_finish=done.put)
                active += 1
            done.get()
            active -= 1
            runner.check_store()  # a full disk stops here; the rest stay interrupted
    finally:
        runner.close()
    return run_ids
