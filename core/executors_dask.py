"""Run queues and sweeps on a Dask distributed cluster: a lab's, or a LocalCluster.

:class:`DaskExecutor` is an :class:`~core.executors.Executor` like the local pool,
with the same promises: ``on_epoch`` is called on an executor thread for every epoch
of a run, in order; a string it returns prunes the run; ``handle.stop`` reaches the
worker; ``handle.future`` resolves to a :class:`RunOutcome` and never raises.

How it maps onto Dask:

* each run is one task (:func:`_run_task`), keyed ``perceptune-run-<id>-...``;
* the dataset is loaded here, where the files are, and scattered to every worker
  once per :class:`DatasetSpec`; tasks get it as an argument, so workers need no copy
  of the data and never open the run store (if every worker holding it dies, it is
  sent again and the runs that waited for it are resubmitted);
* epochs stream back as scheduler events (``Worker.log_event`` to a topic this client
  subscribes to), batched every :data:`FLUSH_S` so fast epochs do not flood the
  scheduler, and the outcome after them; a listener thread here turns them into
  ``on_epoch`` calls and resolves the run's future (the task's own result, the same
  outcome with its curve, is never fetched);
* stops (cancel, prune) are pushed to the worker that runs the task with
  ``Client.run``, which sets a flag the task checks after every epoch;
* a task whose worker dies is re-run by the scheduler on another worker; each attempt
  announces itself, epochs already delivered are not delivered again (same config
  and seed give the same curve), and a run that lost :data:`MAX_ATTEMPTS` workers
  ends ``failed`` with the reason.

Everything perceptune itself sends (run requests, datasets, stops, events) is plain
JSON-able data built and checked by :mod:`core.dask_wire`; an event that is not what a
task sends is counted in ``rejected_events`` and ignored, and nothing received is
unpickled here. Dask itself still pickles task graphs, functions, results and errors
between the client, the scheduler and the workers: whoever can connect to the
scheduler can run code on it, on its workers and, through Dask's protocol, on this
machine. Use a scheduler on a trusted network, or TLS: ``tls://`` addresses with
mutual certificates (``tls`` argument, or Dask's ``distributed.comm.tls`` config).

The scheduler and the workers need perceptune installed, with the same versions of
Dask, numpy and scikit-learn as here (the scheduler unpickles task graphs; the
workers train): :func:`_check_cluster` says so in one line at connect time.
Import this module only when the Dask executor is asked for: importing ``distributed``
costs about a second.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from typing import Any

from core import dask_wire as wire
from core.datasets import Dataset, DatasetSpec
from core.errors import InputError, PerceptuneError
from core.executors import SHUTDOWN_REASON, OnEpoch, RunHandle, default_workers
from core.results import EpochPoint
from core.worker import RunOutcome, RunRequest

#: Seconds to wait for a scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 10.0
#: A run whose worker died this many times (first try plus retries) ends ``failed``.
MAX_ATTEMPTS = 2
#: Epochs finished within this many seconds travel to the scheduler as one event.
FLUSH_S = 0.05
#: Seconds to wait for a finished task's outcome event before calling it lost (it is
#: sent before the task returns, so it normally comes first).
OUTCOME_GRACE_S = 10.0
#: Seconds ``shutdown`` waits for running runs to stop after their current epoch.
SHUTDOWN_WAIT_S = 30.0
#: Seconds between tries of sending a dataset while workers die around us.
SCATTER_RETRY_S = (0.2, 0.5, 1.0, 2.0)
#: Scattered datasets kept on the workers (a sweep uses one; the TUI a few).
DATASETS_KEPT = 4
#: How long our LocalCluster waits for a killed worker to come back before dropping it.
LOST_WORKER_TIMEOUT = "120s"
#: Packages whose versions must match between here, the scheduler and the workers:
#: Dask's own (it refuses to mix them) and the ones that make curves reproducible.
MATCHING_PACKAGES = (
    "dask",
    "distributed",
    "cloudpickle",
    "msgpack",
    "tornado",
    "toolz",
    "numpy",
    "scikit-learn",
)


# --- worker side ---------------------------------------------------------------------

#: Stops pushed to this worker process: task key -> (status, reason, at_epoch).
_worker_stops: dict[str, tuple[str, str, int]] = {}
_WORKER_STOPS_KEPT = 4096
#: Datasets this worker has decoded, by their token (tasks of a sweep share one).
_worker_datasets: OrderedDict[str, Dataset] = OrderedDict()


def _set_stop(message: dict[str, Any]) -> None:
    """Run on a worker by ``Client.run``: ask a task to stop (a
    :func:`~core.dask_wire.stop_to_wire` message)."""
    key, status, reason, at_epoch = wire.stop_from_wire(message)
    if key not in _worker_stops and len(_worker_stops) >= _WORKER_STOPS_KEPT:
        # A stop that arrived after its task ended is never popped: drop the oldest.
        _worker_stops.pop(next(iter(_worker_stops)))
    _worker_stops[key] = (status, reason, at_epoch)


def _worker_dataset(message: dict[str, Any]) -> Dataset:
    """The dataset of a scattered :func:`~core.dask_wire.dataset_to_wire` message,
    decoded once per worker process."""
    token = wire.dataset_token(message)
    data = _worker_datasets.get(token)
    if data is None:
        data = wire.dataset_from_wire(message)
        _worker_datasets[token] = data
        while len(_worker_datasets) > DATASETS_KEPT:
            _worker_datasets.popitem(last=False)
    return data


def _probe() -> str:
    """Run on each worker at connect time: can it run perceptune's tasks?"""
    import core.worker  # noqa: F401  (fails loudly where perceptune is not installed)

    return sys.version.split()[0]


def _run_task(request: dict[str, Any], data: dict[str, Any], topic: str, key: str) -> dict:
    """The Dask task of one run: train it, streaming epochs to ``topic``.

    ``request`` and ``data`` are :mod:`core.dask_wire` messages; the result is the
    outcome as plain data (with its curve), the same as the last event says."""
    from distributed import get_worker

    from core.worker import execute_run

    worker = get_worker()
    attempt = uuid.uuid4().hex  # tells this try from a retry after a worker died
    worker.log_event(topic, wire.start_event(key, attempt, worker.address))
    pending: list[EpochPoint] = []
    state = {"epoch": 0, "flushed": float("-inf")}

    def flush() -> None:
        if pending:
            worker.log_event(topic, wire.epochs_event(key, attempt, pending))
            pending.clear()
        state["flushed"] = time.monotonic()

    def progress(_run_id: int, point: EpochPoint) -> None:
        state["epoch"] = point.epoch
        pending.append(point)
        if time.monotonic() - state["flushed"] >= FLUSH_S:
            flush()

    def stop_signal(_run_id: int) -> tuple[str, str] | None:
        # A stop applies once this try has reached the epoch the caller had seen when
        # it decided: a retry repeats the curve up to there, then stops as the first
        # try would have.
        stop = _worker_stops.get(key)
        if stop is not None and state["epoch"] >= stop[2]:
            return stop[0], stop[1]
        return None

    # (the client files the outcome under its own run id: 0 is only a placeholder)
    run_id = request.get("run_id", 0) if isinstance(request, dict) else 0
    try:
        run = wire.request_from_wire(request)
        outcome = execute_run(run, progress, stop_signal, data=_worker_dataset(data))
    except PerceptuneError as error:  # a request or dataset that does not check out
        outcome = RunOutcome(run_id, "failed", error=str(error))
    except Exception as error:
        outcome = RunOutcome(run_id, "failed", error=_one_line(error))
    finally:
        flush()
        _worker_stops.pop(key, None)
    # The outcome rides the same stream as the epochs, after them and without them: the
    # client has it without fetching the task's result, which Dask would unpickle.
    worker.log_event(topic, wire.outcome_event(key, attempt, outcome))
    return wire.outcome_to_wire(outcome)


def _forget_topic(topic: str, dask_scheduler: Any = None) -> None:
    """Run on the scheduler at shutdown: drop the events it kept for ``topic``."""
    if dask_scheduler is not None:
        dask_scheduler._broker._topics.pop(topic, None)


# --- this process --------------------------------------------------------------------


@dataclass(eq=False)
class _Run:
    """What the executor knows about one submitted run."""

    request: RunRequest
    outer: Future
    on_epoch: OnEpoch | None
    key: str = ""  # of the Dask task now carrying the run
    task: Any = None  # that distributed.Future
    points: list[EpochPoint] = field(default_factory=list)  # delivered to on_epoch
    attempts: list[str] = field(default_factory=list)  # tries that started, by token
    workers: list[str] = field(default_factory=list)  # the worker of each try
    running_on: str | None = None  # worker of the try of the current task
    stop: tuple[str, str, int] | None = None  # status, reason, epoch seen when asked
    resubmits: int = 0
    finished: bool = False
    waited_for_outcome: bool = False  # its task finished; its outcome event is awaited

    @property
    def run_id(self) -> int:
        return self.request.run_id

    @property
    def last_epoch(self) -> int:
        return self.points[-1].epoch if self.points else 0


class DaskExecutor:
    """Runs on a Dask cluster: ``scheduler`` is its address (``tcp://host:8786`` or
    ``tls://host:8786``), or ``None`` to start a LocalCluster of ``workers`` processes
    (default: one per core). ``tls`` names this client's PEM files for a ``tls://``
    scheduler: ``ca_file``, ``cert`` and ``key`` (each optional; what is not given comes
    from Dask's ``distributed.comm.tls`` config).

    Raises :class:`InputError` when the scheduler cannot be reached, the TLS files
    cannot be used, or the cluster runs other versions of Dask, numpy or scikit-learn
    than this machine.
    """

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        *,
        connect_timeout: float | None = None,
        tls: Mapping[str, str] | None = None,
    ) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(
                "the dask executor needs Dask: pip install 'perceptune[dask]'"
            ) from None
        self.scheduler = scheduler
        timeout = CONNECT_TIMEOUT_S if connect_timeout is None else connect_timeout
        self._cluster, self._client = _connect(scheduler, workers, timeout, tls)
        self.workers = max(1, sum(self._client.nthreads().values()))
        self._session = uuid.uuid4().hex[:8]
        self._topic = f"perceptune-progress-{self._session}"
        self._seq = itertools.count(1)
        self._runs: dict[str, _Run] = {}  # by task key
        self._lock = threading.Lock()
        self._datasets: OrderedDict[DatasetSpec, Any] = OrderedDict()
        self._data_lock = threading.Lock()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        #: Events on our topic that perceptune's tasks did not send (malformed or
        #: forged); the first is reported on stderr, all are ignored.
        self.rejected_events = 0
        # One thread sends stops, so a caller never waits on the network and stops for
        # one run arrive in the order they were given.
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="perceptune-dask-stop")
        self._client.subscribe_topic(self._topic, self._on_event)
        self._listener = threading.Thread(
            target=self._listen, name="perceptune-dask-progress", daemon=True
        )
        self._listener.start()

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (for diagnostics; do not close it)."""
        return self._client

    def start(self, warm: bool = False, wait: bool = False) -> DaskExecutor:
        """Already connected; with ``warm`` the workers import scikit-learn now."""
        if warm or wait:
            from core.worker import preload

            warming = self._sender.submit(self._client.run, preload, on_error="ignore")
            if wait:
                warming.result()  # a local Future: the workers' answers are None
        return self

    def where(self, run_id: int) -> str | None:
        """The address of the worker running ``run_id`` now, if it has started."""
        with self._lock:
            for run in self._runs.values():
                if run.run_id == run_id and run.running_on:
                    return run.running_on
        return None

    # -- submitting ---------------------------------------------------------------

    def submit(self, request: RunRequest, on_epoch: OnEpoch | None = None) -> RunHandle:
        if self._closed:
            raise RuntimeError("this DaskExecutor is shut down")
        run = _Run(request, Future(), on_epoch)
        handle = RunHandle(
            request.run_id, run.outer, lambda _id, status, reason: self._stop(run, status, reason)
        )
        try:
            self._launch(run)
        except Exception as error:  # bad data: the failure execute_run would report
            message = str(error) if isinstance(error, PerceptuneError) else _one_line(error)
            self._resolve(run, RunOutcome(run.run_id, "failed", error=message))
        return handle

    def _launch(self, run: _Run) -> None:
        """Submit ``run`` as a new task (a new key each time: keys are never reused)."""
        data = self._scattered(run.request.dataset)
        key = f"perceptune-run-{run.run_id}-{self._session}-{next(self._seq)}"
        with self._lock:
            self._runs.pop(run.key, None)
            # Tries are counted across tasks: a retry because data was lost with a
            # worker is still a retry of the run.
            run.key, run.task, run.running_on = key, None, None
            self._runs[key] = run  # before submitting: its first event may come soon
        request = wire.request_to_wire(run.request)
        task = self._client.submit(_run_task, request, data, self._topic, key, key=key, pure=False)
        run.task = task
        task.add_done_callback(lambda done: self._inbox.put(("done", run, done)))

    def _scattered(self, spec: DatasetSpec) -> Any:
        """The dataset of ``spec`` on every worker, loaded and sent once."""
        from core.worker import cached_dataset

        with self._data_lock:
            data = self._datasets.get(spec)
            if data is not None and data.status == "finished":
                self._datasets.move_to_end(spec)
                return data
            # First use, or every worker holding it died: scattered data cannot be
            # recomputed by Dask, so send it again. (In a list: a dict would be
            # scattered value by value.)
            dataset = [wire.dataset_to_wire(cached_dataset(spec), uuid.uuid4().hex)]
            for wait_s in SCATTER_RETRY_S:
                try:
                    data = self._client.scatter(dataset, broadcast=True, hash=False)[0]
                    break
                except OSError:  # a worker died while we sent it: once more without it
                    time.sleep(wait_s)
            else:
                data = self._client.scatter(dataset, broadcast=True, hash=False)[0]
            self._datasets[spec] = data
            while len(self._datasets) > DATASETS_KEPT:
                self._datasets.popitem(last=False)  # dropping the future frees the workers
            return data

    # -- stopping ------------------------------------------------------------------

    def _stop(self, run: _Run, status: str, reason: str) -> None:
        with self._lock:
            if run.finished:
                return
            # Stop where the caller is: a retry on another worker repeats the curve up
            # to the last epoch delivered here, then stops like the first try would.
            run.stop = (status, reason or status, run.last_epoch)
            task, started = run.task, run.running_on is not None
        if started:
            self._send_stop(run)
            return
        if status != "cancelled" or task is None:
            return  # pruning comes after epochs; a task being submitted gets it on start
        # Not started as far as we know: drop the task. In case it has just started,
        # tell every worker too; its epochs are then ignored.
        self._sender.submit(self._push_stop, None, run.key, *run.stop)
        self._client.cancel([task])
        when = f"after epoch {run.last_epoch}" if run.points else "before it started"
        outcome = RunOutcome(
            run.run_id, "cancelled", curve=list(run.points), stop_reason=f"{run.stop[1]} ({when})"
        )
        self._resolve(run, outcome)

    def _send_stop(self, run: _Run) -> None:
        if run.stop is not None and run.running_on is not None:
            self._sender.submit(self._push_stop, run.running_on, run.key, *run.stop)

    def _push_stop(self, worker: str | None, key: str, status: str, reason: str, at: int) -> None:
        try:
            workers = None if worker is None else [worker]
            message = wire.stop_to_wire(key, status, reason, at)
            self._client.run(_set_stop, message, workers=workers, on_error="ignore")
        except Exception as error:  # the worker just died: its retry gets the stop
            logging.getLogger(__name__).info("could not send a stop to %s: %r", worker, error)

    # -- progress and results ----------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        # Called on the client's event loop: hand over, never block it.
        message = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        self._inbox.put(("event", message, None))

    def _listen(self) -> None:
        while True:
            item = self._inbox.get()
            if item is None:
                return
            kind, what, task = item
            try:
                if kind == "event":
                    self._handle_event(what)
                else:
                    self._handle_done(what, task)
            except Exception as error:  # keep the listener alive whatever happens
                print(f"perceptune: dask progress listener: {error!r}", file=sys.stderr)

    def _handle_event(self, message: Any) -> None:
        try:
            event = wire.event_from_wire(message)
        except wire.WireError as error:
            self._reject(str(error))
            return
        with self._lock:
            run = self._runs.get(event.key)  # None: finished, or an abandoned task's event
        if run is None or run.finished:
            return
        if event.kind == "start":
            self._started(run, event.attempt, event.worker)
        elif not run.attempts or event.attempt != run.attempts[-1]:
            return  # from a try that was given up (its worker was taken for dead)
        elif event.kind == "outcome" and event.outcome is not None:
            outcome = event.outcome
            if outcome.status != "failed" and event.n_epochs != run.last_epoch:
                # Its epochs came before it, in order: this one is not the task's.
                self._reject(f"outcome of {event.n_epochs} epochs, {run.last_epoch} arrived")
                return
            outcome.run_id = run.run_id
            self._finished(run, outcome)
        elif event.kind == "epochs":
            for point in event.points:
                if point.epoch <= run.last_epoch:
                    continue  # a retry repeating epochs already delivered
                run.points.append(point)
                self._deliver(run, point, live=True)

    def _reject(self, reason: str) -> None:
        """An event perceptune's tasks did not send: say so once, then only count."""
        self.rejected_events += 1
        if self.rejected_events == 1:
            print(
                f"perceptune: ignored a message on Dask topic {self._topic} that is not "
                f"a perceptune event ({reason}); is someone else using the scheduler?",
                file=sys.stderr,
            )

    def _started(self, run: _Run, attempt: str, worker: str) -> None:
        with self._lock:
            run.attempts.append(attempt)
            run.workers.append(worker)
            run.running_on = worker
        if len(run.attempts) > MAX_ATTEMPTS:
            # The scheduler allows more retries than we do: stop this try at once.
            self._sender.submit(self._push_stop, worker, run.key, "cancelled", "no more tries", 0)
            if run.task is not None:
                self._client.cancel([run.task])
            self._resolve(run, self._lost_workers(run, run.workers[-MAX_ATTEMPTS - 1 : -1]))
            return
        self._send_stop(run)  # a stop given before this try started

    def _deliver(self, run: _Run, point: EpochPoint, live: bool) -> None:
        if run.on_epoch is None:
            return
        try:
            verdict = run.on_epoch(run.run_id, point)
        except Exception as error:  # a caller's bug must not kill the listener
            print(f"perceptune: progress callback failed: {error!r}", file=sys.stderr)
            return
        if verdict and live:
            self._stop(run, "pruned", str(verdict))

    def _handle_done(self, run: _Run, task: Any) -> None:
        if run.finished or task.key != run.key:
            return  # finished by its outcome event, cancelled by us, or replaced
        if task.status == "finished" and not run.waited_for_outcome and not self._closed:
            # Its outcome event was sent before the task returned and comes first as a
            # rule; give it a moment before calling it lost.
            run.waited_for_outcome = True
            timer = threading.Timer(OUTCOME_GRACE_S, self._inbox.put, (("done", run, task),))
            timer.daemon = True
            timer.start()
            return
        if task.status == "cancelled" and run.resubmits < MAX_ATTEMPTS and not self._closed:
            # Not our doing: the cluster lost the task's data (every worker holding
            # the dataset died) or restarted. Run it again on fresh data.
            run.resubmits += 1
            try:
                self._launch(run)
                return
            except Exception as error:
                outcome = RunOutcome(run.run_id, "failed", error=f"resubmit: {_one_line(error)}")
        else:
            outcome = self._outcome(run, task)
        self._finished(run, outcome)

    def _finished(self, run: _Run, outcome: RunOutcome) -> None:
        if not outcome.curve:
            outcome.curve = list(run.points)  # the epochs its events delivered
        if run.stop is not None and outcome.status == run.stop[0] and not outcome.stop_reason:
            outcome.stop_reason = f"{run.stop[1]} (after epoch {outcome.n_epochs})"
        if len(run.workers) > 1 and outcome.status != "failed":
            outcome.notes.append(f"retried on {run.workers[-1]} after a worker died")
        self._resolve(run, outcome)

    def _outcome(self, run: _Run, task: Any) -> RunOutcome:
        if task.status == "finished":
            # Never task.result(): Dask would unpickle what the worker sent.
            return RunOutcome(
                run.run_id,
                "failed",
                curve=list(run.points),
                error="the task finished on the cluster but its outcome never arrived",
            )
        if task.status == "cancelled":
            return RunOutcome(run.run_id, "failed", error="the Dask cluster dropped the task")
        # Errors reach us as objects Dask has already built from the scheduler's message;
        # our task catches its own, so this is Dask's (KilledWorker, mostly).
        error = task.exception()
        if type(error).__name__ == "KilledWorker":
            return self._lost_workers(run, run.workers[-len(run.attempts) :])
        return RunOutcome(run.run_id, "failed", error=f"Dask task failed: {_one_line(error)}")

    def _lost_workers(self, run: _Run, workers: list[str]) -> RunOutcome:
        where = ", ".join(workers) or "unknown workers"
        error = f"its worker died on each of {len(workers) or MAX_ATTEMPTS} tries ({where})"
        return RunOutcome(run.run_id, "failed", curve=list(run.points), error=error)

    def _resolve(self, run: _Run, outcome: RunOutcome) -> None:
        with self._lock:
            if run.finished:
                return
            run.finished = True
            self._runs.pop(run.key, None)
        run.task = None  # releases the task's result on the cluster
        run.outer.set_result(outcome)

    # -- closing ---------------------------------------------------------------------

    def shutdown(self, wait: bool = True) -> None:
        """Cancel what still runs, then close the client (and the LocalCluster)."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            self._stop(run, "cancelled", SHUTDOWN_REASON)
        if wait and runs:
            wait_futures([run.outer for run in runs], timeout=SHUTDOWN_WAIT_S)
        for run in runs:  # still running after the wait, or not waited for
            if not run.finished:
                if run.task is not None:
                    self._client.cancel([run.task])
                outcome = RunOutcome(
                    run.run_id, "cancelled", curve=list(run.points), stop_reason=SHUTDOWN_REASON
                )
                self._resolve(run, outcome)
        self._sender.shutdown(wait=wait)
        self._inbox.put(None)
        if wait:
            self._listener.join(timeout=5)
        self._datasets.clear()
        with contextlib.suppress(Exception):  # already disconnected
            self._client.unsubscribe_topic(self._topic)
            # A lab's scheduler lives long: do not leave this session's events on it.
            self._client.run_on_scheduler(_forget_topic, self._topic)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _connect(
    scheduler: str | None,
    workers: int | None,
    timeout: float,
    tls: Mapping[str, str] | None = None,
) -> tuple[Any, Any]:
    """(cluster or None, client); every way of failing is a one-line InputError."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is None and tls:
        raise InputError(
            f"TLS files ({_tls_flags(tls)}) need a TLS scheduler: --scheduler tls://HOST:PORT "
            "(the private local cluster needs none)"
        )
    if scheduler is None:
        # A worker that died is restarted by its nanny; on a busy machine that can take
        # longer than Dask's 15 s, after which the LocalCluster drops the worker for
        # good. Read when a worker is lost, so it is set for this process.
        # (allowed-failures stays Dask's: it also counts deaths of workers a task was
        # only queued on, so lowering it would fail runs that never started when
        # several workers die at once; our limit on real tries is in _started.)
        dask.config.set({"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT})
        try:
            cluster = LocalCluster(
                n_workers=workers or default_workers(),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # no dashboard, and its HTTP server (health, metrics) on any free port:
                # by default it takes 8787 and warns on stderr when that is in use
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,
            )
        except Exception as error:
            raise PerceptuneError(
                f"could not start a local Dask cluster: {_one_line(error)}"
            ) from None
        return cluster, Client(cluster, set_as_default=False)
    address = _checked_address(scheduler)
    security = _security(address, tls or {})
    try:
        client = Client(address, timeout=timeout, set_as_default=False, security=security)
    except Exception as error:  # refused, timed out, not a Dask scheduler, TLS...
        reason = _one_line(error, named=False)
        hint = "start one with `dask scheduler`, workers with `dask worker ADDRESS`"
        if security is not None and ("SSL" in reason or "TLS" in reason):
            hint = (
                "TLS refused: the scheduler's certificate must be signed by --tls-ca-file, "
                "and this client's by a CA the scheduler trusts"
            )
        raise InputError(
            f"cannot reach Dask scheduler {_cut(address)}: {reason} ({hint})"
        ) from None
    try:
        _check_cluster(client, address)
    except BaseException:
        client.close()
        raise
    return None, client


def _checked_address(text: str) -> str:
    """``text`` if it reads as a scheduler address. Checked before making a Client: one
    that fails on a bad address hangs the interpreter's exit for 20 s."""
    from distributed.comm.addressing import parse_address, parse_host_port

    address = text.strip()
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as error:
        raise InputError(
            f"not a Dask scheduler address: {_cut(address)!r} "
            f"({_one_line(error, named=False)}); expected tcp://HOST:PORT or tls://HOST:PORT"
        ) from None
    return address


#: The flag and the Dask config key of each TLS file: what messages name.
TLS_FILES = {
    "ca_file": ("--tls-ca-file", "distributed.comm.tls.ca-file", "tls_ca_file"),
    "cert": ("--tls-cert", "distributed.comm.tls.client.cert", "tls_client_cert"),
    "key": ("--tls-key", "distributed.comm.tls.client.key", "tls_client_key"),
}


def _tls_flags(tls: Mapping[str, str]) -> str:
    return "/".join(TLS_FILES[name][0] for name in TLS_FILES if tls.get(name) is not None)


def _check_readable(path: str, where: str) -> None:
    """A one-line InputError unless ``path`` is a regular file we can read."""
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        # a FIFO or /dev/zero would hang opening or loading it
        raise InputError(f"{where}: {_cut(path)!r} is not a regular file")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(f"{where}: cannot read {_cut(path)!r} ({reason})") from None


def _security(address: str, tls: Mapping[str, str]) -> Any:
    """The ``distributed.security.Security`` for ``address``: None (Dask's config) for
    a plain address, else this client's certificate files (``tls`` over Dask's config),
    each checked now so a missing or bad file is a one-line InputError."""
    from distributed.comm.addressing import parse_address
    from distributed.security import Security

    unknown = sorted(set(tls) - set(TLS_FILES))
    if unknown:
        raise ValueError(f"unknown TLS settings {unknown}; known: {', '.join(TLS_FILES)}")
    if parse_address(address)[0] != "tls":
        if tls:
            raise InputError(
                f"TLS files ({_tls_flags(tls)}) need a tls:// scheduler address, "
                f"got {_cut(address)!r}"
            )
        return None
    for name, path in tls.items():
        _check_readable(path, TLS_FILES[name][0])
    given = {TLS_FILES[name][2]: path for name, path in tls.items()}
    try:
        security = Security(require_encryption=True, **given)
    except (ValueError, TypeError) as error:  # e.g. a bad distributed.comm.tls setting
        raise InputError(f"Dask's TLS configuration: {_one_line(error, named=False)}") from None
    for name, (_flag, config_key, attribute) in TLS_FILES.items():
        path = getattr(security, attribute)
        if name not in tls and path and "\n" not in path:  # not PEM text in the config
            _check_readable(path, config_key)
    if not security.tls_ca_file or not security.tls_client_cert:
        raise InputError(
            f"{_cut(address)!r} is a TLS address: give --tls-ca-file FILE and --tls-cert FILE "
            "(and --tls-key FILE unless the key is in the certificate file), or set Dask's "
            "distributed.comm.tls.ca-file and distributed.comm.tls.client.cert"
        )
    try:
        security.get_connection_args("client")  # loads the files: a bad PEM fails here
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise InputError(
            f"cannot use the TLS files ({_tls_flags(tls) or 'Dask config'}): "
            f"{_one_line(error, named=False)}"
        ) from None
    return security


def _cut(text: str, limit: int = 120) -> str:
    """``text``, shortened to ``limit`` characters for a one-line message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_cluster(client: Any, address: str) -> None:
    """Refuse a cluster that runs other versions than here, or lacks perceptune."""
    versions = client.get_versions(packages=["scikit-learn"])
    mine = versions["client"]["packages"]
    sides = {"scheduler": versions["scheduler"]["packages"]}
    sides.update({f"worker {w}": v["packages"] for w, v in versions["workers"].items() if v})
    problems = []
    for side, theirs in sides.items():
        if _minor(theirs.get("python")) != _minor(mine.get("python")):
            problems.append(f"python {theirs.get('python')} on {side}, {mine.get('python')} here")
        for package in MATCHING_PACKAGES:
            if side == "scheduler" and package in ("numpy", "scikit-learn"):
                continue  # the scheduler never trains
            if theirs.get(package) != mine.get(package):
                problems.append(
                    f"{package} {theirs.get(package) or 'missing'} on {side}, "
                    f"{mine.get(package) or 'missing'} here"
                )
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"Dask cluster {address} runs other versions than this machine: "
            f"{problems[0]}{more}; install the same versions on both sides"
        )
    try:
        client.run_on_scheduler(_probe)
    except Exception as error:
        raise InputError(
            f"Dask scheduler {address} cannot read perceptune's tasks ({_one_line(error)}); "
            "install perceptune where the scheduler runs"
        ) from None
    failures = client.run(_probe, on_error="return")
    for worker, result in failures.items():
        if isinstance(result, BaseException):
            raise InputError(
                f"Dask worker {worker} cannot run perceptune ({_one_line(result)}); "
                "install perceptune on the workers"
            )


def _minor(version: str | None) -> str | None:
    return None if version is None else ".".join(version.split(".")[:2])


def _one_line(error: BaseException, named: bool = True) -> str:
    """The first line of an error's message, after its type unless ``named`` is off."""
    lines = str(error).strip().splitlines()
    if not lines:
        return type(error).__name__
    return f"{type(error).__name__}: {lines[0]}" if named else lines[0]
