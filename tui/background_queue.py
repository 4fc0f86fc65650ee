"""The TUI's queue when training outlives the app: the store's queue, trained by the
background runner, shown live.

:class:`BackgroundQueue` offers what :class:`tui.queue_model.QueueModel` offers the app
(add, cancel, retry, move, run next, workers, items with live curves, the same
progress and finish callbacks), but every operation writes the stored queue
(:mod:`core.queue_store`) and the runner process (:mod:`core.queue_runner`) trains. A
thread of its own follows the store (:class:`core.store_follow.StoreFollower`): new
epochs, status changes and runs queued by other processes (a CLI ``queue add``,
another TUI) reach the callbacks within a poll. Quitting (ctrl+q, SIGHUP, SIGTERM)
leaves the runner training: :meth:`interrupt_all` stops nothing; :meth:`stop_all`
cancels everything.

No Textual here: the app turns the callbacks into messages, as for QueueModel.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import InputError, PerceptuneError
from core.queue_store import StoredQueue
from core.results import EpochPoint
from core.store import RunStore
from core.store_follow import RunChange, StoreFollower
from core.worker import RunOutcome
from tui.queue_model import (
    ENDED,
    OnFinished,
    OnProgress,
    QueueItem,
    QueueReading,
    _dataset_label,
)
from tui.settings_text import data_text, run_text

if TYPE_CHECKING:
    from core.queue_runner import RunnerOptions
    from core.store import RunRecord

#: Seconds between looks at the store when nobody asks for one (a look that finds
#: nothing costs one PRAGMA). The app asks at each redraw tick (:meth:`poll_soon`), so
#: its screen shows what a look found right after it, without a look every 50 ms in
#: between that nobody sees (20 looks a second cost ~1 % of a core while runs trained).
IDLE_POLL_S = 0.25


class BackgroundQueue(QueueReading):
    """The stored queue of the store at ``store_path``, for the app."""

    def __init__(
        self,
        store_path: str,
        options: RunnerOptions,
        *,
        on_progress: OnProgress | None = None,
        on_finished: OnFinished | None = None,
        workers: int | None = None,
        on_other_runs: Callable[[], None] | None = None,
        on_queue_changed: Callable[[], None] | None = None,
        on_other_moved: Callable[[int], None] | None = None,
        on_polled: Callable[[], None] | None = None,
    ) -> None:
        """``options``: how a runner this app starts trains (the app's executor
        flags); ``workers``: runs at once to ask of the runner (``--workers N``; None
        leaves the store's setting); ``on_other_runs``: called when runs outside the
        queue were stored or ended (a CLI ``run``, a sweep); ``on_queue_changed``:
        called when the stored queue changed without a run's progress saying so
        (another process queued, moved or cancelled a run, or set the workers);
        ``on_other_moved``: called with the id of a run outside the queue that got
        epochs or a new status (a foreground ``run`` the app may be showing);
        ``on_polled``: called after a look that found something, once the other
        callbacks have run (the app redraws then); the callbacks run on this queue's
        thread, as QueueModel's do on the executor's."""
        from core.executors import max_workers

        self.options = options
        self.on_progress = on_progress
        self.on_finished = on_finished
        self.on_other_runs = on_other_runs
        self.on_queue_changed = on_queue_changed
        self.on_other_moved = on_other_moved
        self.on_polled = on_polled
        # A connection of its own: the follower's data_version then counts the app's
        # writes through its other connection too.
        self.store = RunStore(store_path)
        self.stored = StoredQueue(self.store)
        self.follower = StoreFollower(self.store)
        self.max_parallel = max_workers()
        if workers is not None:
            self.stored.set_workers(min(max(0, workers), self.max_parallel))
        self._parallel = self._stored_parallel()
        self._lock = threading.RLock()
        self._items: dict[int, QueueItem] = {}
        self._started: list[int] = []  # running and ended runs, as they started
        self._pending: list[int] = []  # waiting runs in the stored order
        self._poll_lock = threading.Lock()  # one look at the store at a time
        self._shown: tuple[object, ...] = ()  # the queue's order, cancels and workers
        self._stop = threading.Event()
        self._wake = threading.Event()  # poll_soon(): look now
        self._thread: threading.Thread | None = None

    # -- following --------------------------------------------------------------------

    def start(self) -> BackgroundQueue:
        """Follow the store on a thread, and start a runner if runs wait for one."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._follow, name="perceptune-follow", daemon=True
            )
            self._thread.start()
        return self

    def poll_soon(self) -> None:
        """Look at the store now (on the following thread), not at the next idle poll."""
        self._wake.set()

    def _follow(self) -> None:
        self.schedule()
        while True:
            self._wake.wait(IDLE_POLL_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            with contextlib.suppress(PerceptuneError):  # busy store: the next look will do
                self._refresh()

    def _refresh(self, force: bool = False) -> None:
        """Bring the items up to date with the store; call the callbacks."""
        with self._poll_lock:  # the follower's thread and an app worker may both look
            self._look(force)

    def _look(self, force: bool) -> None:
        changes = self.follower.poll(force=force)
        if not changes and not force and not self.follower.saw_commit:
            return
        self._report(changes)
        if self.on_polled is not None:
            self.on_polled()

    def _report(self, changes: list[RunChange]) -> None:
        """Bring the items up to date with ``changes`` and call the callbacks."""
        entries = {entry.run_id: entry for entry in self.stored.entries()}
        self._parallel = self._stored_parallel()  # another process may have set it
        shown = (tuple((e.run_id, e.status, e.cancel) for e in entries.values()), self._parallel)
        queue_changed, self._shown = shown != self._shown, shown
        progress: list[tuple[int, tuple[EpochPoint, ...]]] = []
        finished: list[RunOutcome] = []
        others = False  # runs outside the queue came or ended
        moved_others: list[int] = []  # runs outside the queue with epochs or a new status
        with self._lock:
            for change in changes:
                record = change.record
                item = self._items.get(record.id)
                if item is None:
                    if record.id not in entries:
                        # Not a queue run (a foreground `run`, a sweep point): History's.
                        others = others or not (record.status == "running" and change.epochs)
                        moved_others.append(record.id)
                        continue
                    item = self._items[record.id] = _item(record)
                if change.restarted:
                    item.curve = []
                item.curve.extend(change.epochs)
                was = item.status
                item.status, item.error = record.status, record.error
                if item.curve:
                    last = item.curve[-1]
                    item.epoch, item.train, item.test = last.epoch, *last_scores(last)
                if record.status == "running" and change.epochs:
                    progress.append((record.id, tuple(item.curve)))
                if record.status in ENDED and was not in ENDED:
                    item.stopping = False
                    finished.append(
                        RunOutcome(
                            record.id,
                            record.status,
                            curve=list(item.curve),
                            stop_reason=record.stop_reason,
                            error=record.error,
                        )
                    )
            # Stopping: a cancel asked and the run not ended yet. The runner takes an
            # ended run off the stored queue a moment after ending it, so its cancel
            # flag may still be read here once its end has been seen.
            for run_id, item in self._items.items():
                entry = entries.get(run_id)
                item.stopping = bool(entry and entry.cancel) and item.status not in ENDED
            waiting = [i for i, e in entries.items() if e.status in ("queued", "interrupted")]
            for run_id in waiting:
                if run_id not in self._items:
                    self._items[run_id] = _item(self.store.get_run(run_id))
            self._pending = waiting
            known = set(self._started)
            self._started += [
                run_id
                for run_id, item in self._items.items()
                if run_id not in known and run_id not in waiting
            ]
        for run_id, curve in progress:
            if self.on_progress is not None:
                self.on_progress(run_id, curve)
        for outcome in finished:
            if self.on_finished is not None:
                self.on_finished(outcome)
        if others and self.on_other_runs is not None:
            self.on_other_runs()
        if self.on_other_moved is not None:
            for run_id in moved_others:
                self.on_other_moved(run_id)
        if queue_changed and self.on_queue_changed is not None:
            self.on_queue_changed()

    # -- reading (as QueueModel) ------------------------------------------------------------

    @property
    def parallel(self) -> int:
        """Runs at once, as last read from the store (read on the follower's thread:
        the UI asks 10 times a second)."""
        return self._parallel

    def _stored_parallel(self) -> int:
        from core.executors import default_workers

        workers = self.stored.control().workers
        return default_workers() if workers is None else workers

    # -- changing (writes the stored queue; the runner obeys) --------------------------

    def add(
        self, config: RunConfig, dataset: DatasetSpec, *, front: bool = False, label: str = ""
    ) -> int:
        from core.cli.commands import with_absolute_paths

        # The runner works in another directory: CSV paths must be absolute.
        run_id, _ = self.stored.add(config, with_absolute_paths(dataset), label=label)
        if front:
            self.stored.to_front(run_id)
        self._refresh(force=True)
        return run_id

    def add_existing(self, records: Iterable[RunRecord], *, front: bool = False) -> list[int]:
        added = self.stored.enqueue_existing([record.id for record in records])
        if front:
            for run_id in reversed(added):
                self.stored.to_front(run_id)
        with self._lock:
            for run_id in added:
                if run_id in self._started:
                    self._started.remove(run_id)
                self._items.pop(run_id, None)
        self._refresh(force=True)
        return added

    def move(self, run_id: int, delta: int) -> bool:
        moved = self.stored.move(run_id, delta)
        self._refresh(force=True)
        return moved

    def to_front(self, run_id: int) -> bool:
        moved = self.stored.to_front(run_id)
        self._refresh(force=True)
        return moved

    def remove(self, run_id: int) -> bool:
        """A waiting run is deleted (it never ran); an ended one leaves the table."""
        with self._lock:
            item = self._items.get(run_id)
            if item is None or item.status == "running":
                return False
            if item.ended:
                if run_id in self._started:
                    self._started.remove(run_id)
                del self._items[run_id]
                return True
        removed = self.stored.remove_waiting(run_id)
        if removed:
            with self._lock:
                self._items.pop(run_id, None)
                if run_id in self._pending:
                    self._pending.remove(run_id)
        return removed

    def cancel(self, run_id: int) -> bool:
        try:
            state = self.stored.cancel([run_id])[run_id]
        except InputError:
            return False  # not in the queue any more (it ended)
        with self._lock:
            item = self._items.get(run_id)
            if item is not None:
                item.stopping = state == "stopping"
        self._refresh(force=True)
        return True

    def retry(self, run_id: int) -> int | None:
        with self._lock:
            item = self._items.get(run_id)
            if item is not None and not item.ended:
                return None
        return self.rerun(self.store.get_run(run_id))

    def rerun(self, record: RunRecord, *, front: bool = False) -> int:
        config = RunConfig.from_mapping(record.params)
        dataset = DatasetSpec.from_mapping(record.dataset)
        run_id = self.add(config, dataset, front=front, label=record.label)
        self.schedule()
        return run_id

    def set_parallel(self, parallel: int) -> int:
        parallel = min(max(0, parallel), self.max_parallel)
        live = self.stored.set_workers(parallel)
        self._parallel = parallel
        if live is None and parallel:
            self.schedule()
        return parallel

    def schedule(self) -> list[int]:
        """Make sure a runner serves the store when runs wait (starting one, detached).
        The runner starts them: no id is known here, so the list is empty."""
        from core.daemon import ensure_runner

        if self.stored.has_work() and self.stored.runner() is None:
            ensure_runner(self.stored, self.options)
        return []

    def interrupt_all(self, timeout: float = 5.0) -> list[int]:
        """Quitting: the runner keeps training (nothing is stopped)."""
        del timeout
        return []

    def stop_all(self) -> int:
        """Cancel every queued and running run (the runner then exits)."""
        count, _ = self.stored.request_stop()
        self._refresh(force=True)
        return count

    def close(self) -> None:
        """Stop following (the runner goes on)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.store.close()


def last_scores(point: EpochPoint) -> tuple[float, float]:
    return point.train_accuracy, point.test_accuracy


def _item(record: RunRecord) -> QueueItem:
    return QueueItem(
        record.id,
        record.label or str(record.params.get("layers", "")),
        int(record.params.get("epochs", 0) or 0),
        dataset=_dataset_label(record.dataset),
        status=record.status,
        settings=run_text(record.params, record.label),
        data=data_text(record.dataset),
    )
