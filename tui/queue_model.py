"""The run queue as plain Python: what waits, what trains, what finished.

The Runner executes and records runs; this class decides which queued run starts
when a worker is free, keeps the user's order (move up/down, run now), and remembers
each run's live progress for the queue table. It calls only :class:`core.runner.Runner`
(and the store the Runner holds), never Textual, so it can be tested on its own.

Thread safety: run callbacks arrive on executor threads and the app calls the
operations from Textual thread workers; one lock guards the state, and it is never
held while calling into the Runner.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import PerceptuneError
from core.results import EpochPoint
from tui.settings_text import data_text, run_text

if TYPE_CHECKING:
    from core.runner import Runner
    from core.store import RunRecord
    from core.worker import RunOutcome

#: Statuses after which a run no longer needs a worker.
ENDED = ("done", "cancelled", "diverged", "failed", "pruned", "interrupted")

OnProgress = Callable[[int, tuple[EpochPoint, ...]], None]
OnFinished = Callable[["RunOutcome"], None]


@dataclass
class QueueItem:
    """One run as the queue shows it."""

    run_id: int
    label: str
    epochs: int  # planned epochs (max_iter)
    dataset: str = ""
    status: str = "queued"
    epoch: int = 0
    train: float | None = None
    test: float | None = None
    stopping: bool = False
    error: str = ""
    curve: list[EpochPoint] = field(default_factory=list, repr=False)
    #: The Queue table's config and data cells, as History shows them (what differs
    #: from the defaults: ``6,6 ep=50 pat=3``, ``moons n=200``); empty: label, dataset.
    settings: str = ""
    data: str = ""

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class QueueReading:
    """What the app reads of a queue, shared by the in-app :class:`QueueModel` and the
    stored queue's view (:class:`tui.background_queue.BackgroundQueue`): ``_items``
    by run id, the ``_started`` and ``_pending`` ids in order, under ``_lock``."""

    _lock: threading.Lock
    _items: dict[int, QueueItem]
    _started: list[int]
    _pending: list[int]

    def items(self) -> list[QueueItem]:
        """Copies of every item in display order: started runs, then the waiting line.
        Without their curves (see :meth:`curve`): the table does not need them."""
        with self._lock:
            return [
                replace(self._items[run_id], curve=[])
                for run_id in (*self._started, *self._pending)
                if run_id in self._items
            ]

    def status(self, run_id: int) -> str | None:
        """The run's status as the queue knows it; None when it is not in the queue."""
        with self._lock:
            item = self._items.get(run_id)
            return None if item is None else item.status

    def get(self, run_id: int) -> QueueItem | None:
        with self._lock:
            item = self._items.get(run_id)
            return None if item is None else replace(item, curve=list(item.curve))

    def curve(self, run_id: int) -> tuple[EpochPoint, ...]:
        with self._lock:
            item = self._items.get(run_id)
            return tuple(item.curve) if item is not None else ()

    def pending_ids(self) -> list[int]:
        with self._lock:
            return list(self._pending)

    def running_ids(self) -> list[int]:
        with self._lock:
            return [i for i in self._started if self._items[i].status == "running"]

    def ids(self) -> list[int]:
        with self._lock:
            return [*self._started, *self._pending]

    # -- the one change both queues make alike -----------------------------------------

    def clear_finished(self) -> list[int]:
        """Drop every ended run from the queue (they stay in History)."""
        with self._lock:
            gone = [i for i in self._started if self._items[i].ended]
            for run_id in gone:
                self._started.remove(run_id)
                del self._items[run_id]
            return gone


class QueueModel(QueueReading):
    """Queued, running and finished runs over one :class:`Runner`.

    ``parallel`` is how many runs may train at once (0 pauses the queue); it never
    exceeds ``max_parallel`` (the executor's pool size). Call :meth:`schedule` after
    a change to start what can start; it returns the ids it started.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        parallel: int = 1,
        max_parallel: int | None = None,
        on_progress: OnProgress | None = None,
        on_finished: OnFinished | None = None,
    ) -> None:
        self.runner = runner
        self.max_parallel = max(1, max_parallel or parallel or 1)
        self._parallel = min(max(0, parallel), self.max_parallel)
        self.on_progress = on_progress
        self.on_finished = on_finished
        self._lock = threading.RLock()
        self._items: dict[int, QueueItem] = {}
        self._started: list[int] = []  # ids that left the waiting line, oldest first
        self._pending: list[int] = []  # waiting ids in the order they will start
        self._closing = False

    # -- reading -------------------------------------------------------------------

    @property
    def parallel(self) -> int:
        return self._parallel

    # -- adding ----------------------------------------------------------------------

    def add(
        self,
        config: RunConfig,
        dataset: DatasetSpec,
        *,
        front: bool = False,
        label: str = "",
    ) -> int:
        """Store a new queued run and put it at the end (or the front) of the line.
        After :meth:`interrupt_all` (quitting) the run is stored ``interrupted``: no
        one is left to start it, and ``queued`` would claim someone is."""
        run_id = self.runner.enqueue(config, dataset, label=label)
        item = QueueItem(
            run_id,
            label or config.short_label(),
            config.epochs,
            dataset=dataset.label(),
            settings=run_text(config.to_dict(), label),
            data=data_text(dataset.to_dict()),
        )
        with self._lock:
            closing = self._closing
            if closing:
                item.status = "interrupted"
                self._started.append(run_id)
            elif front:
                self._pending.insert(0, run_id)
            else:
                self._pending.append(run_id)
            self._items[run_id] = item
        if closing:
            self.runner.store.set_status(run_id, "interrupted")
        return run_id

    def add_existing(self, records: Iterable[RunRecord], *, front: bool = False) -> list[int]:
        """Queue stored runs again under their own ids (resume an interrupted run:
        it starts over)."""
        added: list[int] = []
        with self._lock:
            if self._closing:
                return added  # quitting: they stay as stored (interrupted)
            for record in records:
                if record.id in self._pending or self._is_running(record.id):
                    continue
                if record.id in self._started:
                    self._started.remove(record.id)
                epochs = int(record.params.get("epochs", 0) or 0)
                self._items[record.id] = QueueItem(
                    record.id,
                    record.label or str(record.params.get("layers", "")),
                    epochs,
                    dataset=_dataset_label(record.dataset),
                    settings=run_text(record.params, record.label),
                    data=data_text(record.dataset),
                )
                added.append(record.id)
            if front:
                self._pending[0:0] = added
            else:
                self._pending.extend(added)
        return added

    def _is_running(self, run_id: int) -> bool:
        item = self._items.get(run_id)
        return item is not None and item.status == "running"

    # -- ordering --------------------------------------------------------------------

    def move(self, run_id: int, delta: int) -> bool:
        """Move a waiting run ``delta`` places (negative = earlier); False if it cannot."""
        with self._lock:
            if run_id not in self._pending:
                return False
            index = self._pending.index(run_id)
            target = min(max(index + delta, 0), len(self._pending) - 1)
            if target == index:
                return False
            self._pending.insert(target, self._pending.pop(index))
            return True

    def move_up(self, run_id: int) -> bool:
        return self.move(run_id, -1)

    def move_down(self, run_id: int) -> bool:
        return self.move(run_id, +1)

    def to_front(self, run_id: int) -> bool:
        """Make a waiting run the next to start."""
        with self._lock:
            if run_id not in self._pending:
                return False
            self._pending.remove(run_id)
            self._pending.insert(0, run_id)
            return True

    # -- removing, cancelling, retrying ------------------------------------------------

    def remove(self, run_id: int) -> bool:
        """Take a run off the queue: a waiting run is deleted from the store (it never
        ran); an ended run only leaves the queue (History keeps it). A running run
        cannot be removed: cancel it first."""
        with self._lock:
            item = self._items.get(run_id)
            if item is None or item.status == "running":
                return False
            waiting = run_id in self._pending
            if waiting:
                self._pending.remove(run_id)
            elif run_id in self._started:
                self._started.remove(run_id)
            del self._items[run_id]
        if waiting:
            self.runner.store.delete_run(run_id)
        return True

    def cancel(self, run_id: int) -> bool:
        """Stop a running run after its current epoch, or cancel a waiting one."""
        with self._lock:
            item = self._items.get(run_id)
            if item is None or item.ended:
                return False
            if item.status == "running":
                item.stopping = True
                running = True
            else:
                running = False
                self._pending.remove(run_id)
                self._started.append(run_id)
                item.status = "cancelled"
        if running:
            return self.runner.stop(run_id, "cancelled", "cancelled by the user")
        self.runner.store.set_status(run_id, "cancelled")
        return True

    def retry(self, run_id: int) -> int | None:
        """Queue an ended run again as a new run with the same settings; its id."""
        with self._lock:
            item = self._items.get(run_id)
            if item is not None and not item.ended:
                return None
        record = self.runner.store.get_run(run_id)
        return self.rerun(record)

    def rerun(self, record: RunRecord, *, front: bool = False) -> int:
        """Queue a new run with ``record``'s hyperparameters and dataset."""
        config = RunConfig.from_mapping(record.params)
        dataset = DatasetSpec.from_mapping(record.dataset)
        return self.add(config, dataset, front=front, label=record.label)

    # -- running -----------------------------------------------------------------------

    def set_parallel(self, parallel: int) -> int:
        """How many runs may train at once (0 pauses); clamped to the pool size."""
        with self._lock:
            self._parallel = min(max(0, parallel), self.max_parallel)
            return self._parallel

    def schedule(self) -> list[int]:
        """Start waiting runs while workers are free; returns the ids started."""
        started: list[int] = []
        while True:
            with self._lock:
                if self._closing or not self._pending:
                    break
                running = sum(1 for i in self._started if self._items[i].status == "running")
                if running >= self._parallel:
                    break
                run_id = self._pending.pop(0)
                item = self._items[run_id]
                item.status = "running"
                item.epoch, item.train, item.test, item.curve = 0, None, None, []
                self._started.append(run_id)
            try:
                self.runner.start(run_id, on_epoch=self._epoch, on_finish=self._finish)
            except Exception as error:  # a bad stored run must not stop the queue
                with self._lock:
                    item.status = "failed"
                    item.error = str(error)
                # The store may say running already (the pool broke after it was
                # claimed): nothing will ever finish it, so record the failure.
                with contextlib.suppress(Exception):  # the store itself may be the cause
                    self.runner.store.finish_run(run_id, "failed", error=item.error)
                continue
            started.append(run_id)
        return started

    def _epoch(self, run_id: int, point: EpochPoint) -> None:
        with self._lock:
            item = self._items.get(run_id)
            if item is None:
                return None
            item.curve.append(point)
            item.epoch = point.epoch
            item.train, item.test = point.train_accuracy, point.test_accuracy
            curve = tuple(item.curve)
        if self.on_progress is not None:
            self.on_progress(run_id, curve)
        return None

    def _finish(self, outcome: RunOutcome) -> None:
        with self._lock:
            item = self._items.get(outcome.run_id)
            if item is not None:
                item.status = outcome.status
                item.stopping = False
                item.error = outcome.error
                if outcome.curve:
                    item.curve = list(outcome.curve)
                    item.epoch = outcome.n_epochs
                    item.train, item.test = outcome.train_accuracy, outcome.test_accuracy
        if self.on_finished is not None:
            self.on_finished(outcome)

    def interrupt_all(self, timeout: float = 5.0) -> list[int]:
        """For quitting: stop running runs, wait until the Runner recorded them, and
        leave them and the waiting ones ``interrupted`` (resumable next time)."""
        with self._lock:
            self._closing = True
            running = [i for i in self._started if self._items[i].status == "running"]
            waiting = list(self._pending)
        for run_id in running:
            self.runner.stop(run_id, "cancelled", "the app quit")
        for run_id in running:
            self.runner.wait_recorded(run_id, timeout=timeout)
        for run_id in (*running, *waiting):
            self.runner.store.set_status(run_id, "interrupted")
        return [*running, *waiting]


def _dataset_label(dataset: dict[str, Any]) -> str:
    """A stored run's dataset as a new run's shows it (``data.csv[target=y]``)."""
    try:
        return DatasetSpec.from_mapping(dataset).label()
    except PerceptuneError:  # a run stored by an older version: its name or file
        name = dataset.get("name") or os.path.basename(str(dataset.get("train") or ""))
        return str(name)
