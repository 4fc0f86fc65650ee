"""The sweeps this session runs, as plain Python: what runs, how far, how to stop it.

Like :class:`tui.queue_model.QueueModel`, it only calls core (the store, and
:mod:`core.search.engine` for the sweep itself), never Textual: the app calls
:meth:`SweepModel.run` and :meth:`SweepModel.resume` from thread workers; progress
comes back through the ``on_change`` callback (on the engine's threads).

A sweep trains on the app's executor, the pool the run queue uses, at most
``workers`` runs at once (the sweep's own setting, capped by the pool). Stopping
goes through the engine's ``should_stop`` hook: ``cancelled`` by the user, or
``interrupted`` when the app quits (resumable next time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.executors import Executor, RunHandle
    from core.search.engine import SweepProgress
    from core.search.sweepfile import SweepSpec
    from core.store import RunStore
    from core.worker import RunRequest

#: Statuses of a sweep that no longer trains.
ENDED = ("done", "cancelled", "interrupted", "failed")

OnChange = Callable[[int], None]


@dataclass
class SweepItem:
    """One sweep as the Queue tab shows it."""

    sweep_id: int
    name: str
    strategy: str
    total: int
    status: str = "running"  # running, stopping, done, cancelled, interrupted, failed
    done: int = 0
    running: int = 0
    best: float | None = None
    best_run: int | None = None
    eta_s: float | None = None
    error: str = ""

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def label(self) -> str:
        from core.search.results import sweep_title

        return sweep_title(self.sweep_id, self.name)


class LimitedExecutor:
    """The app's executor seen with fewer ``workers``: the engine trains that many
    runs at once (the pool itself is shared with the run queue)."""

    def __init__(self, executor: Executor, workers: int) -> None:
        self._executor = executor
        self.workers = max(1, workers)

    def submit(self, request: RunRequest, on_epoch: Any = None) -> RunHandle:
        return self._executor.submit(request, on_epoch)

    def shutdown(self, wait: bool = True) -> None:
        """The app owns the pool: nothing to do."""


class SweepReading:
    """What the app reads of its sweeps, shared by :class:`SweepModel` (sweeps run in
    the app) and :class:`tui.background_sweeps.BackgroundSweeps` (the stored queue's):
    ``_items`` by sweep id under ``_lock``, and the worker ``pool`` size."""

    _lock: threading.Lock
    _items: dict[int, SweepItem]
    pool: int

    def workers_for(self, spec: SweepSpec) -> int:
        """Runs of ``spec`` trained at once here: its ``workers``, at most the pool."""
        return min(spec.workers or self.pool, self.pool)

    def items(self) -> list[SweepItem]:
        """Copies, oldest first."""
        with self._lock:
            return [replace(item) for item in self._items.values()]

    def get(self, sweep_id: int) -> SweepItem | None:
        with self._lock:
            item = self._items.get(sweep_id)
            return None if item is None else replace(item)


class SweepModel(SweepReading):
    """Sweeps launched or resumed in this session."""

    def __init__(
        self, store: RunStore, executor: Executor, on_change: OnChange | None = None
    ) -> None:
        self.store = store
        self.executor = executor
        self.on_change = on_change
        self._lock = threading.Lock()
        self._items: dict[int, SweepItem] = {}
        self._stops: dict[int, str] = {}  # sweep id -> status it was asked to stop with
        self._active: set[int] = set()
        self._idle = threading.Condition(self._lock)
        self._closing = False
        self.last_skipped: list[str] = []  # why the last resume() left sweeps alone

    # -- reading ------------------------------------------------------------------------

    @property
    def pool(self) -> int:
        return max(1, int(getattr(self.executor, "workers", 1) or 1))

    def active_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._active)

    # -- running --------------------------------------------------------------------------

    def create(self, spec: SweepSpec) -> int:
        """Store ``spec`` as a new sweep (its points are stored when it runs); call
        :meth:`run` next. Active from now on: a resume offer leaves it alone."""
        sweep_id = self.store.create_sweep(spec.to_dict(), name=spec.name)
        with self._lock:
            self._active.add(sweep_id)
        self._add(sweep_id, spec)
        return sweep_id

    def run(self, sweep_id: int, spec: SweepSpec) -> str:
        """Run a created sweep to its end (blocking); returns how it ended."""
        from core.search.engine import SweepStopped, run_sweep

        executor = LimitedExecutor(self.executor, self.workers_for(spec))
        with self._lock:
            self._active.add(sweep_id)
        status = "failed"
        try:
            run_sweep(
                self.store,
                spec,
                executor,
                on_progress=self._progress,
                sweep_id=sweep_id,
                should_stop=lambda: self._stop_status(sweep_id),
            )
            status = "done"
        except SweepStopped as stopped:
            status = stopped.status
        except Exception as error:
            self._end(sweep_id, "failed", str(error))
            raise  # to the app's one error handler
        finally:
            with self._lock:
                self._active.discard(sweep_id)
                self._idle.notify_all()
        self._end(sweep_id, status)
        return status

    def resume(self, sweep_ids: Collection[int]) -> list[int]:
        """Finish the unfinished sweeps ``sweep_ids`` one after another through
        :func:`core.search.engine.resume` (blocking); returns those that finished.
        A sweep cancelled meanwhile is left out and the rest go on."""
        from core.search.engine import SweepStopped, resume

        remaining = set(sweep_ids) - set(self.active_ids())
        self.last_skipped = []
        finished: list[int] = []
        stopped: set[int] = set()
        current: list[int] = []

        def on_sweep(sweep_id: int, spec: SweepSpec) -> None:
            # resume() goes on to the next sweep: the one before has ended.
            if current and current[-1] not in finished and current[-1] not in stopped:
                self._end_as_stored(current[-1], finished)
            current.append(sweep_id)
            self._add(sweep_id, spec)
            with self._lock:
                self._active.add(sweep_id)

        def should_stop() -> str | None:
            return self._stop_status(current[-1]) if current else None

        try:
            while remaining:
                if self._closing:
                    break
                try:
                    report = resume(
                        self.store,
                        self.executor,
                        on_progress=self._progress,
                        on_sweep=on_sweep,
                        should_stop=should_stop,
                        sweep_ids=remaining,
                        runs=False,
                    )
                except SweepStopped as stop:
                    self._end(stop.sweep_id, stop.status)
                    stopped.add(stop.sweep_id)
                    remaining -= {*finished, *stopped}
                    continue
                self.last_skipped.extend(report.skipped)
                for sweep_id in report.sweeps:
                    if sweep_id not in finished:
                        finished.append(sweep_id)
                        self._end(sweep_id, "done")
                for sweep_id in current:  # one that stopped on an error: as stored
                    if sweep_id not in finished and sweep_id not in stopped:
                        self._end_as_stored(sweep_id, finished)
                break
        finally:
            with self._lock:
                self._active.difference_update(current)
                self._idle.notify_all()
        return finished

    # -- stopping -------------------------------------------------------------------------

    def cancel(self, sweep_id: int) -> bool:
        """Stop a running sweep: its runs in flight and waiting points are cancelled."""
        with self._lock:
            item = self._items.get(sweep_id)
            if item is None or item.ended or item.status == "stopping":
                return False
            if sweep_id not in self._active:
                return False
            self._stops[sweep_id] = "cancelled"
            item.status = "stopping"
        self._changed(sweep_id)
        return True

    def interrupt_all(self) -> list[int]:
        """For quitting: stop every sweep and leave it ``interrupted`` (resumable)."""
        with self._lock:
            self._closing = True
            active = sorted(self._active)
            for sweep_id in active:
                self._stops.setdefault(sweep_id, "interrupted")
        return active

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no sweep runs; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._active, timeout)

    # -- internals --------------------------------------------------------------------------

    def _stop_status(self, sweep_id: int) -> str | None:
        with self._lock:
            if self._closing:
                return self._stops.get(sweep_id, "interrupted")
            return self._stops.get(sweep_id)

    def _add(self, sweep_id: int, spec: SweepSpec) -> None:
        with self._lock:
            self._items[sweep_id] = SweepItem(sweep_id, spec.name, spec.strategy, spec.n_points())
            self._stops.pop(sweep_id, None)
        self._changed(sweep_id)

    def _progress(self, progress: SweepProgress) -> None:
        with self._lock:
            item = self._items.get(progress.sweep_id)
            if item is None:
                return
            item.done, item.total = progress.done, progress.total
            item.running, item.eta_s = progress.running, progress.eta_s
            item.best, item.best_run = progress.best_test_accuracy, progress.best_run_id
        self._changed(progress.sweep_id)

    def _end_as_stored(self, sweep_id: int, finished: list[int]) -> None:
        """End a sweep resume() went past as the store has it: ``done`` (added to
        ``finished``), or ``interrupted`` with the reason when it stopped on an error."""
        sweep = self.store.get_sweep(sweep_id)
        if sweep["status"] == "done":
            finished.append(sweep_id)
        self._end(sweep_id, sweep["status"], sweep.get("reason", ""))

    def _end(self, sweep_id: int, status: str, error: str = "") -> None:
        with self._lock:
            item = self._items.get(sweep_id)
            if item is None:
                return
            item.status, item.error = status, error
            item.running, item.eta_s = 0, None
        self._changed(sweep_id)

    def _changed(self, sweep_id: int) -> None:
        if self.on_change is not None:
            self.on_change(sweep_id)
