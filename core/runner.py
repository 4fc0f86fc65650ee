"""Runs with a memory: every run is in the store before it starts, every epoch as it
ends, its verdict when it finishes.

:class:`Runner` joins a :class:`~core.store.RunStore` and an executor. The store is
written only from here, on the executor's progress thread and its completion
callbacks, so one process is its one writer; a heartbeat lets another process tell a
live run from one whose owner died.

A write that fails (a full disk: SQLite's "database or disk is full") stops that run
at once: it is left ``interrupted`` with the epochs stored so far (or ``running``, if
even that cannot be written, which the next open reports as ``interrupted``), and
:attr:`Runner.store_error` says what happened, once, for the caller to report.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.config import RunConfig
from core.datasets import Dataset, DatasetSpec
from core.errors import StoreError
from core.executors import SHUTDOWN_REASON
from core.reference import request_reference, save_new_reference
from core.results import EpochPoint
from core.worker import RunOutcome, RunRequest

if TYPE_CHECKING:
    from core.executors import Executor, RunHandle
    from core.store import RunStore

OnEpoch = Callable[[int, EpochPoint], "str | None"]
OnFinish = Callable[[RunOutcome], None]

#: Seconds between heartbeats of running runs (a stale heartbeat marks a run
#: ``interrupted`` for readers on other hosts).
HEARTBEAT_S = 10.0


class StoreWriteError(StoreError):
    """A run was stopped because its epochs or its end could not be stored."""

    def __init__(self, run_id: int, error: StoreError, advice: str = "") -> None:
        """``error`` is the store's own; ``advice`` (what to do next) ends the message."""
        super().__init__(f"run {run_id} stopped: {error}" + (f"; {advice}" if advice else ""))
        self.run_id = run_id
        self.cause = error


class Runner:
    """Enqueue, start, stop and finish runs, keeping the store up to date."""

    def __init__(self, store: RunStore, executor: Executor) -> None:
        self.store = store
        self.executor = executor
        self._handles: dict[int, RunHandle] = {}
        self._lock = threading.Lock()
        self._beat_stop = threading.Event()
        self._beat: threading.Thread | None = None
        #: Runs stopped because the store refused a write, and why.
        self._unstored: dict[int, StoreError] = {}
        #: The first store write that failed, if any (:meth:`check_store`).
        self.store_error: StoreWriteError | None = None

    def enqueue(
        self,
        config: RunConfig,
        dataset: DatasetSpec,
        *,
        label: str = "",
        sweep_id: int | None = None,
        point_key: str | None = None,
    ) -> int:
        """Store a queued run and return its id."""
        return self.store.create_run(
            config.to_dict(),
            dataset.to_dict(),
            label=label or config.short_label(),
            sweep_id=sweep_id,
            point_key=point_key,
        )

    def start(
        self,
        run_id: int,
        *,
        on_epoch: OnEpoch | None = None,
        on_finish: OnFinish | None = None,
        data: Dataset | None = None,
        on_task: Callable[[], None] | None = None,
    ) -> RunHandle:
        """Start a stored run (queued, interrupted or finished: it starts over).
        ``data``: the run's data already loaded (else the worker loads it).
        A cross-validated run trains a task per fold (:mod:`core.cv`): ``on_task`` is
        called as each ends, and the handle's ``tasks_left()`` says how many are left."""
        record = self.store.get_run(run_id)
        config = RunConfig.from_mapping(record.params)
        dataset = DatasetSpec.from_mapping(record.dataset)
        self.store.mark_running(run_id)
        self._ensure_heartbeat()

        def epoch(rid: int, point: EpochPoint) -> str | None:
            with self._lock:
                if rid in self._unstored:
                    return None  # stopping: epochs still in the pipe are not stored
            try:
                self.store.add_epoch(rid, point)
            except StoreError as error:
                self._store_failed(rid, error)
                return None
            return on_epoch(rid, point) if on_epoch is not None else None

        with self._lock:
            self._unstored.pop(run_id, None)  # a run started again starts afresh
        reference = request_reference(self.store, dataset.base())  # None: the worker computes it
        if dataset.cv:
            handle = self._submit_cv(run_id, config, dataset, reference, data, epoch, on_task)
        else:
            request = RunRequest(run_id, config, dataset, reference, data)
            handle = self.executor.submit(request, epoch)
        with self._lock:
            self._handles[run_id] = handle
            failed = run_id in self._unstored  # its first epoch came before the handle
        if failed:
            handle.stop("cancelled", "the store refused a write")
        handle.future.add_done_callback(lambda future: self._finish(run_id, future, on_finish))
        return handle

    def _submit_cv(
        self,
        run_id: int,
        config: RunConfig,
        dataset: DatasetSpec,
        reference: dict | None,
        data: Dataset | None,
        epoch: OnEpoch,
        on_task: Callable[[], None] | None = None,
    ) -> RunHandle:
        """Start the folds (and refit) of a cross-validated run (:mod:`core.cv`); the
        folds that ended in an earlier attempt are kept, not trained again."""
        from core import fold_store
        from core.cv import CvLaunch
        from core.executors import RunHandle

        kept = fold_store.keep_finished(self.store, run_id)
        launch = CvLaunch(
            self,
            run_id,
            config,
            dataset,
            lambda point: epoch(run_id, point),
            kept,
            reference,
            data,
            on_task,
        )
        handle = RunHandle(run_id, launch.future, launch.stop)
        handle.tasks_left = launch.tasks_left  # type: ignore[attr-defined]
        launch.start()
        return handle

    def run(self, config: RunConfig, dataset: DatasetSpec, **kwargs) -> RunOutcome:
        """Enqueue and run to the end; returns the outcome (blocking)."""
        run_id = self.enqueue(config, dataset)
        on_finish = kwargs.pop("on_finish", None)
        handle = self.start(run_id, on_finish=on_finish, **kwargs)
        outcome = handle.result()
        handle.recorded.wait()
        self.check_store(run_id)
        return outcome

    def check_store(self, run_id: int | None = None) -> None:
        """Raise :class:`StoreWriteError` if the store refused a write of ``run_id``
        (of any run when None); that run was stopped and left interrupted."""
        error = self.store_error
        if error is not None and (run_id is None or run_id in self._unstored):
            if run_id is not None and error.run_id != run_id:
                error = StoreWriteError(run_id, self._unstored[run_id])
            raise error

    def _store_failed(self, run_id: int, error: StoreError) -> None:
        """Stop ``run_id`` after a failed write; remember the first failure."""
        with self._lock:
            if run_id in self._unstored:
                return
            self._unstored[run_id] = error
            if self.store_error is None:
                self.store_error = StoreWriteError(run_id, error)
            handle = self._handles.get(run_id)
        if handle is not None:
            handle.stop("cancelled", "the store refused a write")

    def stop(self, run_id: int, status: str = "cancelled", reason: str = "") -> bool:
        """Stop a running run after its current epoch; False if it is not running."""
        with self._lock:
            handle = self._handles.get(run_id)
        if handle is None:
            return False
        handle.stop(status, reason)
        return True

    def active(self) -> list[int]:
        with self._lock:
            return list(self._handles)

    def wait_recorded(self, run_id: int, timeout: float | None = 30.0) -> None:
        """Wait until ``run_id``'s final state is in the store."""
        with self._lock:
            handle = self._handles.get(run_id)
        if handle is not None:
            handle.recorded.wait(timeout)

    def _finish(self, run_id: int, future, on_finish: OnFinish | None) -> None:
        with self._lock:
            handle = self._handles.get(run_id)
        try:
            error = future.exception()
            if error is not None:  # the worker process died (killed, out of memory)
                outcome = RunOutcome(run_id, "failed", error=f"worker process failed: {error}")
                outcome.curve = self.store.curve(run_id)
            else:
                outcome = future.result()
            if outcome.status == "cancelled" and outcome.stop_reason.startswith(SHUTDOWN_REASON):
                # Stopped by the executor's shutdown (Ctrl-C, SIGTERM, quit), not by a
                # user's cancel: left for resume. The local pools say so themselves.
                outcome.status = "interrupted"
            with self._lock:
                unstored = self._unstored.get(run_id)
            if unstored is None:
                try:
                    self._record(outcome)
                except StoreError as error:
                    self._store_failed(run_id, error)
                    unstored = error
            if unstored is not None:
                outcome = self._leave_interrupted(outcome, unstored)
        finally:
            with self._lock:
                self._handles.pop(run_id, None)
            if handle is not None:
                handle.recorded.set()
        if on_finish is not None:
            on_finish(outcome)

    def _record(self, outcome: RunOutcome) -> None:
        # The outcome carries the whole curve: write it again in one transaction so an
        # epoch still in flight on the progress pipe is never missing.
        if outcome.curve:
            self.store.add_epochs(outcome.run_id, outcome.curve)
        stop_reason = outcome.stop_reason
        if outcome.notes:
            stop_reason = (
                "; ".join([stop_reason, *outcome.notes])
                if stop_reason
                else "; ".join(outcome.notes)
            )
        if outcome.metrics:
            self.store.set_metrics(outcome.run_id, outcome.metrics)
        self.store.finish_run(
            outcome.run_id,
            outcome.status,
            train_accuracy=outcome.train_accuracy,
            test_accuracy=outcome.test_accuracy,
            n_epochs=outcome.n_epochs,
            verdict=outcome.verdict,
            stop_reason=stop_reason,
            error=outcome.error,
        )
        if outcome.cv is not None:
            from core.fold_store import set_cv

            set_cv(self.store, outcome.run_id, **outcome.cv)
        if outcome.new_reference is not None:
            save_new_reference(self.store, outcome.run_id, outcome.new_reference)

    def _leave_interrupted(self, outcome: RunOutcome, error: StoreError) -> RunOutcome:
        """Best effort: mark a run whose writes failed ``interrupted``, keeping the
        epochs stored so far (an update in place may fit where new rows did not). If
        that fails too it stays ``running``, which the next open of the store reports
        as interrupted once this process is gone."""
        reason = f"interrupted: the store refused a write ({error})"
        with contextlib.suppress(StoreError):
            self.store.finish_run(outcome.run_id, "interrupted", stop_reason=reason)
        return RunOutcome(
            outcome.run_id,
            "interrupted",
            curve=outcome.curve,
            stop_reason=reason,
            error=str(error),
            duration_s=outcome.duration_s,
        )

    def _ensure_heartbeat(self) -> None:
        if self._beat is not None and self._beat.is_alive():
            return
        self._beat = threading.Thread(
            target=self._heartbeat, name="perceptune-heartbeat", daemon=True
        )
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._beat_stop.wait(HEARTBEAT_S):
            active = self.active()
            if active:
                with contextlib.suppress(Exception):  # a busy store: the next beat will do
                    self.store.heartbeat(active)

    def close(self) -> None:
        """Stop the heartbeat (runs still active stay ``running`` until reconciled)."""
        self._beat_stop.set()
