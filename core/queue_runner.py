"""The background runner: trains a store's queue (:mod:`core.queue_store`) until it is
empty, then exits.

One runner serves a store at a time (the lease in ``queue_control``). It owns the
executor (a local process pool, or Dask) and writes every epoch through
:class:`core.runner.Runner`, as a foreground ``perceptune run`` does. It reads the
queue again whenever another process changed the store (SQLite's ``PRAGMA
data_version``) and at least every second, and obeys:

- the order of the queue: the first waiting run starts when a worker is free;
- the number of runs at once (``queue workers N``; 0 pauses): a lower number lets
  the runs in flight finish and starts no new one until fewer run;
- a cancel: checked after every epoch of the run, so the run stops after the epoch
  it is in (and by the main loop, for a run between epochs);
- ``queue stop``: cancel what runs, then exit.

When nothing is left to train for ``idle_exit_s`` it gives its lease up and exits. On
SIGTERM (or Ctrl-C in the foreground) the runs in flight end ``interrupted`` and stay
in the queue: the next runner trains them again. After ``kill -9`` the store's owner
check reports them ``interrupted`` and the next runner does the same.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import PerceptuneError
from core.queue_store import CANCEL_REASON, STOP_REASON, StoredQueue

if TYPE_CHECKING:
    from core.results import EpochPoint
    from core.runner import Runner
    from core.store import RunStore
    from core.worker import RunOutcome

#: Seconds with nothing to train after which a runner exits.
IDLE_EXIT_S = 30.0
#: Seconds between looks at the store when nothing changed (a change is seen sooner).
POLL_S = 0.1
#: Seconds after which the queue is read again even if ``data_version`` says nothing
#: changed (a change made through this process's own connection is not counted).
REREAD_S = 1.0
#: Niceness added to the runner's local workers: background work yields to interactive.
RUNNER_NICE = 10
#: Seconds between heartbeats of the lease.
LEASE_BEAT_S = 2.0
#: Seconds to wait for runs in flight to be recorded when the runner stops.
STOP_WAIT_S = 30.0


#: Environment variable: seconds of idleness after which a runner started by a
#: command or the app exits (``perceptune runner --idle-exit`` for one by hand).
IDLE_VARIABLE = "PERCEPTUNE_RUNNER_IDLE_S"
#: The longest idle exit accepted (a day): a runner is not meant to wait forever.
MAX_IDLE_S = 86400.0


def idle_problem(text: str) -> str | None:
    """What is wrong with ``text`` as an idle exit in seconds, or None."""
    from core.values import shown

    try:
        value = float(text[:100])
    except ValueError:
        value = math.nan
    if math.isfinite(value) and 0 <= value <= MAX_IDLE_S:
        return None
    return f"expected seconds from 0 to {MAX_IDLE_S:.0f}, got {shown(text)}"


def idle_exit_from_env() -> float:
    """``$PERCEPTUNE_RUNNER_IDLE_S`` when it is a valid idle exit, else the default."""
    text = os.environ.get(IDLE_VARIABLE)
    if text is None or idle_problem(text) is not None:
        return IDLE_EXIT_S
    return float(text)


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    """How a runner trains: the executor the CLI's flags chose, and its idle exit."""

    executor: str = "process"
    scheduler: str | None = None
    tls: dict[str, str] | None = None
    idle_exit_s: float = IDLE_EXIT_S

    def describe(self) -> str:
        """The executor in a word or two, stored with the lease for listings."""
        if self.executor == "dask":
            return f"dask {self.scheduler}" if self.scheduler else "dask (local cluster)"
        return self.executor

    def argv(self) -> list[str]:
        """The ``perceptune runner`` flags that give these options."""
        args = ["--executor", self.executor, "--idle-exit", repr(self.idle_exit_s)]
        if self.scheduler:
            args += ["--scheduler", self.scheduler]
        flags = {"ca_file": "--tls-ca-file", "cert": "--tls-cert", "key": "--tls-key"}
        for name, path in (self.tls or {}).items():
            args += [flags[name], path]
        return args


def make_pool(options: RunnerOptions, size: int) -> Any:
    """An executor for the runner: a local pool of ``size`` processes, or Dask.

    A local pool is exactly as large as the runs wanted at once: a larger one would
    start an extra process whenever a run is submitted in the instant between the
    previous run's result and its worker counting as idle (concurrent.futures does
    that in this order), and each extra process loads the data again."""
    from core.executors import default_workers, make_executor

    if options.executor == "process":
        from core.executors import ProcessExecutor

        # Below interactive work (a TUI, a foreground run) when cores are short.
        return ProcessExecutor(size, nice=RUNNER_NICE).start()
    workers = None if options.scheduler else max(size, default_workers())
    executor = make_executor(
        options.executor, workers, scheduler=options.scheduler, tls=options.tls
    )
    start = getattr(executor, "start", None)
    if start is not None:
        start()
    return executor


class QueueRunner:
    """Trains the queue of ``store`` with ``runner`` until idle, stopped or interrupted."""

    def __init__(
        self,
        store: RunStore,
        runner: Runner,
        log: logging.Logger,
        idle_exit_s: float = IDLE_EXIT_S,
        max_parallel: int | None = None,
        grow: Callable[[int], Runner] | None = None,
        pool_size: int | None = None,
        sweep_pool: Callable[[int], Any] | None = None,
    ) -> None:
        """``runner`` joins the store and the executor; ``max_parallel`` caps the runs
        at once (None: no cap beyond ``queue workers``); ``grow(n)`` returns a Runner
        over a new pool of ``n`` more workers, for ``queue workers`` above the pools
        so far (None: the first pool's size is the most at once); ``pool_size``: runs
        ``runner``'s executor takes at once (None: its ``workers``); ``sweep_pool(n)``
        returns an executor of ``n`` workers for a queued sweep (None: sweeps are
        not run here)."""
        self.store = store
        self.queue = StoredQueue(store)
        self.runner = runner
        self.log = log
        self.idle_exit_s = idle_exit_s
        self.max_parallel = max_parallel
        self._grow = grow
        #: Each pool's Runner and how many runs it trains at once; pools only grow.
        first = pool_size if pool_size is not None else runner.executor.workers
        self._pools: list[tuple[Runner, int]] = [(runner, max(1, first))]
        self._where: dict[int, Runner] = {}  # active run -> the Runner training it
        self._active: set[int] = set()
        self._sweep_pool = sweep_pool
        self._sweep: threading.Thread | None = None  # the sweep being trained, if any
        self._shutting_down = False
        self._stopping: set[int] = set()  # runs asked to stop (said once)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._seen_version: int | None = None
        self.trained: list[int] = []  # ids started by this runner, in order

    # -- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Serve until idle for ``idle_exit_s`` or told to stop. KeyboardInterrupt
        (SIGTERM, Ctrl-C) is left to the caller after :meth:`shutdown`."""
        requeued = self.queue.requeue_interrupted()
        if requeued:
            self.log.info(
                "runs left interrupted by an earlier runner queued again: %s",
                ", ".join(map(str, requeued)),
            )
        idle_since: float | None = None
        last_beat = last_read = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last_beat >= LEASE_BEAT_S:
                last_beat = now
                if not self.queue.heartbeat_lease():
                    self.log.warning("the lease was taken by another runner; stopping")
                    self.shutdown()
                    return
            if self._changed() or now - last_read >= REREAD_S or self._wake.is_set():
                self._wake.clear()
                last_read = now
                control = self.queue.control()
                if control.stop:
                    self._stop_all()
                    return
                waiting = self._step(control.workers)
                idle_since = None if self._busy() or waiting else (idle_since or now)
            if idle_since is not None and now - idle_since >= self.idle_exit_s:
                if self.queue.release_if_idle():
                    self.log.info("idle for %.0f s: exiting", self.idle_exit_s)
                    return
                idle_since = None  # a run came in meanwhile
            self._wake.wait(POLL_S)

    def _changed(self) -> bool:
        """Whether another connection committed to the store since the last look."""
        rows = self.store._read("PRAGMA data_version")
        version = rows[0][0]
        changed = version != self._seen_version
        self._seen_version = version
        return changed

    def _busy(self) -> bool:
        with self._lock:
            return bool(self._active) or self._sweeping()

    def _sweeping(self) -> bool:
        return self._sweep is not None and self._sweep.is_alive()

    def _step(self, workers: int | None) -> bool:
        """Obey cancels and start what may start; True while runs wait for a worker
        that is not paused."""
        from core.executors import default_workers

        entries = self.queue.entries()
        for entry in entries:
            if entry.cancel and entry.status == "running":
                self._stop(entry.run_id, "cancelled", self._cancel_reason())
        desired = default_workers() if workers is None else workers
        if self.max_parallel is not None:
            desired = min(desired, self.max_parallel)
        capacity = sum(size for _, size in self._pools)
        if desired > capacity:
            if self._grow is not None:
                self.log.info("workers: %d at once (%d more)", desired, desired - capacity)
                self._pools.append((self._grow(desired - capacity), desired - capacity))
            else:
                desired = capacity
        if self._sweeping():
            return False  # a sweep has the workers; the runner is busy with it
        sweeps = self.queue.sweeps() if self._sweep_pool is not None else []
        # Runs queued before the first queued sweep go first; the sweep then waits
        # for them to end and takes the workers; what was queued after it waits.
        before = sweeps[0].position if sweeps else None
        waiting = [
            e.run_id
            for e in entries
            if e.status == "queued" and (before is None or e.position < before)
        ]
        while waiting:
            with self._lock:
                if len(self._active) >= desired:
                    break
            run_id = waiting.pop(0)
            if self.queue.claim(run_id):
                self._start(run_id)
        if sweeps and not waiting and desired and not self._busy():
            self._start_sweep(sweeps[0].sweep_id, desired)
        return bool(desired) and (bool(waiting) or bool(sweeps))

    # -- sweeps (``sweep FILE --detach``) ----------------------------------------------

    def _start_sweep(self, sweep_id: int, workers: int) -> None:
        self._sweep = threading.Thread(
            target=self._run_sweep, args=(sweep_id, workers), name="perceptune-sweep"
        )
        self._sweep.start()

    def _run_sweep(self, sweep_id: int, workers: int) -> None:
        """Train a queued sweep to its end on a pool of its own (``workers`` at once);
        on the runner's shutdown it is left ``interrupted`` in the queue for the next
        runner, like a run."""
        from core.search.engine import SweepStopped, run_sweep
        from core.search.sweepfile import SweepSpec
        from core.store import SweepBusy

        assert self._sweep_pool is not None
        keep = False
        executor = None
        try:
            stored = self.store.get_sweep(sweep_id)
            spec = SweepSpec.from_dict(stored["spec"], source=f"sweep {sweep_id}")
            executor = self._sweep_pool(workers)
            self.log.info("sweep %d started (%d at once)", sweep_id, workers)
            run_sweep(
                self.store,
                spec,
                executor,
                sweep_id=sweep_id,
                should_stop=lambda: self._sweep_stop(sweep_id),
            )
            self.log.info("sweep %d done", sweep_id)
        except SweepBusy as busy:
            self.log.info("%s; left to it", busy)
        except SweepStopped as stopped:
            keep = stopped.status == "interrupted"
            self.log.info("sweep %d %s", sweep_id, stopped.status)
        except Exception as error:  # one bad sweep never stops the queue
            self.log.error("sweep %d stopped: %s", sweep_id, error)
        finally:
            if executor is not None:
                executor.shutdown()
            if not keep:
                with contextlib.suppress(PerceptuneError):
                    self.queue.remove_sweep(sweep_id)
            self._wake.set()

    def _sweep_stop(self, sweep_id: int) -> str | None:
        """The sweep engine's stop poll: interrupted on shutdown, cancelled on
        ``queue stop``."""
        if self._shutting_down:
            return "interrupted"
        if self.queue.control().stop or any(
            s.cancel for s in self.queue.sweeps() if s.sweep_id == sweep_id
        ):
            return "cancelled"
        return None

    def _free_runner(self) -> Runner:
        """The Runner of a pool with a worker free (the caller checked there is one)."""
        with self._lock:
            busy = list(self._where.values())
        for runner, size in self._pools:
            if sum(1 for r in busy if r is runner) < size:
                return runner
        return self._pools[0][0]

    def _start(self, run_id: int) -> None:
        runner = self._free_runner()
        with self._lock:
            self._active.add(run_id)
            self._where[run_id] = runner
        self.trained.append(run_id)
        try:
            runner.start(run_id, on_epoch=self._on_epoch, on_finish=self._on_finish)
        except Exception as error:  # a bad stored run must not stop the queue
            with self._lock:
                self._active.discard(run_id)
                self._where.pop(run_id, None)
            self.log.error("run %d could not start: %s", run_id, error)
            with contextlib.suppress(PerceptuneError):
                self.store.finish_run(run_id, "failed", error=str(error))
                self.queue.remove(run_id)
            return
        self.log.info("run %d started", run_id)

    def _on_epoch(self, run_id: int, _point: EpochPoint) -> None:
        # On the executor's progress thread, after the epoch is stored: a cancel
        # reaches the run within the epoch that follows.
        if run_id not in self._stopping and self.queue.cancel_requested(run_id):
            self._stop(run_id, "cancelled", self._cancel_reason())

    def _cancel_reason(self) -> str:
        """Why a running run with a cancel request stops: ``queue stop`` flags every
        running run and the queue, and the flag on the run may be seen first."""
        with contextlib.suppress(PerceptuneError):
            if self.queue.control().stop:
                return STOP_REASON
        return CANCEL_REASON

    def _on_finish(self, outcome: RunOutcome) -> None:
        with self._lock:
            self._active.discard(outcome.run_id)
            self._stopping.discard(outcome.run_id)
            self._where.pop(outcome.run_id, None)
        if outcome.status != "interrupted":
            # Interrupted (this runner is stopping): it stays queued for the next one.
            with contextlib.suppress(PerceptuneError):
                self.queue.remove(outcome.run_id)
        test = outcome.test_accuracy
        self.log.info(
            "run %d %s after %d epochs%s",
            outcome.run_id,
            outcome.status,
            outcome.n_epochs,
            "" if test is None else f", test accuracy {test:.3f}",
        )
        self._wake.set()

    def _stop(self, run_id: int, status: str, reason: str) -> None:
        with self._lock:
            if run_id in self._stopping:
                return
            self._stopping.add(run_id)
        self.log.info("run %d: %s", run_id, reason)
        with self._lock:
            runner = self._where.get(run_id, self.runner)
        runner.stop(run_id, status, reason)

    def _stop_all(self) -> None:
        """``queue stop``: cancel the runs in flight, wait until recorded, exit."""
        self.log.info("stop requested: cancelling %d running run(s)", len(self._active))
        for run_id in list(self._active):
            self._stop(run_id, "cancelled", STOP_REASON)
        self._wait_recorded()
        if self._sweep is not None:  # it reads the stop itself, within 0.2 s
            self._sweep.join(STOP_WAIT_S)
        self.queue.clear_stop()

    def _wait_recorded(self) -> None:
        deadline = time.monotonic() + STOP_WAIT_S
        with self._lock:
            where = dict(self._where)
        for run_id, runner in where.items():
            runner.wait_recorded(run_id, timeout=max(0.0, deadline - time.monotonic()))

    def shutdown(self) -> None:
        """Stop the runs in flight after their epoch, left ``interrupted`` in the queue
        for the next runner (SIGTERM, a lost lease)."""
        self._shutting_down = True
        for runner, _ in self._pools:
            runner.executor.shutdown()
        self._wait_recorded()
        if self._sweep is not None:
            self._sweep.join(STOP_WAIT_S)

    def close(self) -> None:
        """Shut every pool down and stop the Runners' heartbeats."""
        for runner, _ in self._pools:
            runner.executor.shutdown()
            runner.close()


def serve(path: str, options: RunnerOptions, log: logging.Logger) -> int:
    """Serve the store at ``path`` until idle: take the lease, train, give it up.
    Returns 0, also when another live runner already serves the store."""
    from core.runner import Runner
    from core.store import RunStore

    store = RunStore(path)
    try:
        queue = StoredQueue(store)
        holder = queue.acquire_lease(options.describe())
        if holder is not None:
            log.info("%s already serves %s; this one exits", f"runner {holder}", path)
            return 0
        log.info("runner started (%s) for %s", options.describe(), path)
        from core.executors import MAX_CLUSTER_WORKERS, default_workers, max_workers

        cap = MAX_CLUSTER_WORKERS if options.scheduler else max_workers()
        wanted = queue.control().workers
        size = min(cap, max(1, default_workers() if wanted is None else wanted))
        if options.scheduler:
            size = cap  # the cluster queues what its workers cannot take yet

        def grow(extra: int) -> Runner:
            return Runner(store, make_pool(options, extra))

        try:
            runner = grow(size)
        except BaseException:
            queue.release_lease()
            raise
        growable = options.executor == "process"
        loop = QueueRunner(
            store, runner, log, options.idle_exit_s, max_parallel=cap,
            grow=grow if growable else None, pool_size=size,
            sweep_pool=lambda workers: make_pool(options, workers),
        )  # fmt: skip
        try:
            loop.run()
        except KeyboardInterrupt:
            log.info("runner stopping: the runs in flight are left for the next runner")
            loop.shutdown()
            raise
        finally:
            loop.close()
            with contextlib.suppress(PerceptuneError):
                queue.release_lease()
            log.info("runner exited")
        return 0
    finally:
        store.close()
