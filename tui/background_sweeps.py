"""The TUI's sweeps when training outlives the app: launched into the store's queue,
trained by the background runner, followed here.

:class:`BackgroundSweeps` offers what :class:`tui.widgets.sweep.model.SweepModel`
offers the app (create, run, resume, cancel, items with progress), but a sweep is
queued in the store (:meth:`core.queue_store.StoredQueue.add_sweep`) and the runner
process trains it, after the runs queued before it, with ``queue workers`` runs at
once. A thread reads the progress of the sweeps it knows from the store twice a
second. Quitting stops nothing (:meth:`interrupt_all`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection
from typing import TYPE_CHECKING

from core.errors import PerceptuneError
from core.queue_store import StoredQueue
from core.store import RunStore
from tui.widgets.sweep.model import OnChange, SweepItem, SweepReading

if TYPE_CHECKING:
    from core.queue_runner import RunnerOptions
    from core.search.sweepfile import SweepSpec

#: Seconds between looks at the progress of the sweeps followed.
POLL_S = 0.5
#: Shown while a sweep waits for the runner (not an ended status).
QUEUED = "queued"


class BackgroundSweeps(SweepReading):
    """Sweeps this app queued (or resumed) for the store's background runner."""

    def __init__(
        self,
        store_path: str,
        options: RunnerOptions,
        on_change: OnChange | None = None,
        pool: int = 1,
    ) -> None:
        """``options``: how a runner this app starts trains; ``pool``: the runs at once
        the sweep builder's estimate assumes (the app's ``--workers``)."""
        self.options = options
        self.on_change = on_change
        self.pool = max(1, pool)
        self.store = RunStore(store_path)  # a connection of its own, for this thread
        self.stored = StoredQueue(self.store)
        self._lock = threading.Lock()
        self._items: dict[int, SweepItem] = {}
        self.last_skipped: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="perceptune-sweeps", daemon=True)
        self._thread.start()

    # -- reading (as SweepModel) ----------------------------------------------------------

    def active_ids(self) -> list[int]:
        with self._lock:
            return sorted(i for i, item in self._items.items() if not item.ended)

    # -- running -----------------------------------------------------------------------------

    def create(self, spec: SweepSpec) -> int:
        """Store ``spec`` as a sweep and queue it for the runner."""
        sweep_id = self.store.create_sweep(spec.to_dict(), name=spec.name)
        self.stored.add_sweep(sweep_id)
        with self._lock:
            self._items[sweep_id] = SweepItem(
                sweep_id, spec.name, spec.strategy, spec.n_points(), status=QUEUED
            )
        self._changed(sweep_id)
        return sweep_id

    def run(self, sweep_id: int, spec: SweepSpec) -> str:
        """Make sure a runner trains the queue; returns at once (``queued``)."""
        del sweep_id, spec
        self._ensure_runner()
        return QUEUED

    def resume(self, sweep_ids: Collection[int]) -> list[int]:
        """Queue stored sweeps again for the runner (the app's resume offer)."""
        from core.search.sweepfile import SweepSpec

        self.last_skipped = []
        for sweep_id in sweep_ids:
            sweep = self.store.get_sweep(sweep_id)
            try:
                spec = SweepSpec.from_dict(sweep["spec"], source=f"sweep {sweep_id}")
            except PerceptuneError as error:
                self.last_skipped.append(str(error))
                continue
            self.stored.add_sweep(sweep_id)
            with self._lock:
                self._items[sweep_id] = SweepItem(
                    sweep_id, spec.name, spec.strategy, spec.n_points(), status=QUEUED
                )
            self._changed(sweep_id)
        self._ensure_runner()
        return []

    def cancel(self, sweep_id: int) -> bool:
        state = self.stored.cancel_sweep(sweep_id)
        if state is None:
            return False
        with self._lock:
            item = self._items.get(sweep_id)
            if item is not None:
                item.status = "stopping" if state == "stopping" else "cancelled"
        self._changed(sweep_id)
        return True

    def interrupt_all(self) -> list[int]:
        """Quitting: the runner keeps training the sweeps (nothing is stopped)."""
        return []

    def wait_idle(self, timeout: float) -> bool:
        del timeout
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.store.close()

    # -- following ---------------------------------------------------------------------------

    def _ensure_runner(self) -> None:
        from core.daemon import ensure_runner

        if self.stored.has_work() and self.stored.runner() is None:
            ensure_runner(self.stored, self.options)

    def _follow(self) -> None:
        while not self._stop.wait(POLL_S):
            with contextlib.suppress(PerceptuneError):  # a busy store: the next look
                self._look()

    def _look(self) -> None:
        from core.search.results import best_run

        with self._lock:
            followed = [i for i, item in self._items.items() if not item.ended]
        queued = {sweep.sweep_id: sweep for sweep in self.stored.sweeps()}
        for sweep_id in followed:
            sweep = self.store.get_sweep(sweep_id)
            status = sweep["status"]
            if sweep_id in queued and status == "interrupted":
                status = QUEUED  # waiting for the runner (or for the next one)
            finished = sum(
                r.status in ("done", "pruned", "diverged", "failed")
                for r in self.store.list_runs(sweep_id=sweep_id)
            )
            running = self.store.count_runs(statuses=["running"], sweep_id=sweep_id)
            best = best_run(self.store, sweep_id)
            with self._lock:
                item = self._items.get(sweep_id)
                if item is None:
                    continue
                before = (item.status, item.done, item.running)
                if not (item.status == "stopping" and status in ("running", QUEUED)):
                    item.status = status
                item.done, item.running = finished, running
                item.error = sweep["reason"] if status == "interrupted" else ""
                if best is not None:
                    item.best, item.best_run = best.test_accuracy, best.id
                changed = before != (item.status, item.done, item.running)
            if changed:
                self._changed(sweep_id)

    def _changed(self, sweep_id: int) -> None:
        if self.on_change is not None:
            self.on_change(sweep_id)
