"""Runs with a memory: every run is in the store before it starts, every epoch as it
ends, its verdict when it finishes.

:class:`Runner` joins a :class:`~core.store.RunStore` and an executor. The store is
written only from here, on the executor's progress thread and its completion
callbacks, so one process is its one writer; a heartbeat lets another process tell a
live run from one whose owner died.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.config import RunConfig
from core.datasets import Dataset, DatasetSpec
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


class Runner:
    """Enqueue, start, stop and finish runs, keeping the store up to date."""

    def __init__(self, store: RunStore, executor: Executor) -> None:
        self.store = store
        self.executor = executor
        self._handles: dict[int, RunHandle] = {}
        self._lock = threading.Lock()
        self._beat_stop = threading.Event()
        self._beat: threading.Thread | None = None

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
    ) -> RunHandle:
        """Start a stored run (queued, interrupted or finished: it starts over).
        ``data``: the run's data already loaded (else the worker loads it)."""
        record = self.store.get_run(run_id)
        config = RunConfig.from_mapping(record.params)
        dataset = DatasetSpec.from_mapping(record.dataset)
        self.store.mark_running(run_id)
        self._ensure_heartbeat()

        def epoch(rid: int, point: EpochPoint) -> str | None:
            self.store.add_epoch(rid, point)
            return on_epoch(rid, point) if on_epoch is not None else None

        handle = self.executor.submit(RunRequest(run_id, config, dataset, data), epoch)
        with self._lock:
            self._handles[run_id] = handle
        handle.future.add_done_callback(lambda future: self._finish(run_id, future, on_finish))
        return handle

    def run(self, config: RunConfig, dataset: DatasetSpec, **kwargs) -> RunOutcome:
        """Enqueue and run to the end; returns the outcome (blocking)."""
        run_id = self.enqueue(config, dataset)
        on_finish = kwargs.pop("on_finish", None)
        handle = self.start(run_id, on_finish=on_finish, **kwargs)
        outcome = handle.result()
        handle.recorded.wait()
        return outcome

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
            self._record(outcome)
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
