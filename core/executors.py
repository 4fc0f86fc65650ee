"""Where runs execute: a local process pool, or in-process for tests and debugging.

Both implement :class:`Executor`: ``submit`` a :class:`RunRequest` with a progress
callback, get a :class:`RunHandle` back, ``stop`` it (cancel or prune) between epochs.
Progress callbacks run on a thread of the executor, never the caller's.

Why processes: two MLP trainings in two threads take as long as one after the other
(the GIL) and make the caller's event loop lag; in two processes they take the time
of one. The pool uses ``forkserver`` (never plain ``fork`` of a threaded process) and
must be started before a Textual app runs: Textual replaces ``sys.stderr`` with an
object whose ``fileno()`` is -1, which multiprocessing then fails to pass on
(``bad value(s) in fds_to_keep``). :meth:`ProcessExecutor.start` does all of it.

Workers die with the process that started the pool, even on ``kill -9``
(:mod:`core.lifeline`); the forkserver and the resource tracker then exit on their
own. Ctrl-C and a hangup reach the workers too and are ignored there, SIGTERM stops
their run: the caller stops its runs between epochs and leaves them ``interrupted``.
At most :func:`max_workers` runs train at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

from core.results import EpochPoint

if TYPE_CHECKING:  # core.worker imports numpy: keep it out of a CLI's start-up path
    from core.worker import RunOutcome, RunRequest

#: Called on an executor thread with each epoch of a run. A returned string prunes
#: the run with that reason (the worker stops after the epoch it is in).
OnEpoch = Callable[[int, EpochPoint], "str | None"]

_STOP_CODES = {1: "cancelled", 2: "pruned", 3: "interrupted"}
#: Why a run in flight ended when its executor shut down (quit, Ctrl-C, SIGTERM,
#: SIGHUP). Such a run ends ``interrupted``: ``perceptune resume`` runs it again.
SHUTDOWN_REASON = "stopped: perceptune was shut down or interrupted"
_STOP_SLOTS = 1024
#: Local runs trained at once: at most this many per CPU core (``max_workers``).
#: More only thrash memory and the caches; a huge value would be a fork bomb.
WORKERS_PER_CORE = 4
#: Runs in flight at once on a remote Dask cluster (its cores are not ours to count).
MAX_CLUSTER_WORKERS = 4096


class RunHandle:
    """A submitted run: its future outcome and a way to stop it."""

    def __init__(self, run_id: int, future: Future, stopper: Callable[[int, str, str], None]):
        self.run_id = run_id
        self.future = future
        self._stopper = stopper
        self.recorded = threading.Event()  # set by a Runner once the outcome is stored

    def stop(self, status: str = "cancelled", reason: str = "") -> None:
        """Ask the run to end after its current epoch as ``cancelled``, ``pruned`` or
        ``interrupted`` (left for ``resume``)."""
        self._stopper(self.run_id, status, reason or status)

    def cancel(self) -> None:
        self.stop("cancelled", "cancelled by the user")

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float | None = None) -> RunOutcome:
        return self.future.result(timeout)


class Executor(Protocol):
    """Runs :class:`RunRequest` objects somewhere and reports their epochs."""

    workers: int

    def submit(self, request: RunRequest, on_epoch: OnEpoch | None = None) -> RunHandle: ...

    def shutdown(self, wait: bool = True) -> None: ...


def default_workers() -> int:
    """One worker per CPU core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def max_workers(remote: bool = False) -> int:
    """The most runs trained at once: ``WORKERS_PER_CORE`` per CPU core this process
    may use, or ``MAX_CLUSTER_WORKERS`` on a ``remote`` Dask cluster (a scheduler
    address given)."""
    return MAX_CLUSTER_WORKERS if remote else WORKERS_PER_CORE * default_workers()


def workers_range(remote: bool = False) -> str:
    """The allowed worker counts, for messages: ``1 to 8 (4 per CPU core, 2 cores)``."""
    if remote:
        return f"1 to {MAX_CLUSTER_WORKERS} on a Dask cluster"
    cores = default_workers()
    per = f"{WORKERS_PER_CORE} per CPU core, {cores} core{'s' if cores != 1 else ''}"
    return f"1 to {max_workers()} ({per})"


def workers_problem(workers: int, remote: bool = False) -> str | None:
    """What is wrong with ``workers`` as a number of runs at once, or None if nothing
    (from 1 to :func:`max_workers`; ``remote``: on a Dask cluster at a scheduler)."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        return f"expected a whole number, got {str(workers)[:40]!r}"
    if 1 <= workers <= max_workers(remote):
        return None
    # str() of a 5,000-digit number raises: never print one whole.
    shown = str(workers) if abs(workers) < 10**20 else "a number of over 20 digits"
    return f"{shown} workers; allowed {workers_range(remote)}"


def check_workers(workers: int | None, what: str = "workers", remote: bool = False) -> None:
    """Raise InputError unless ``workers`` is None (the default) or from 1 to
    :func:`max_workers`. ``what`` names the setting in the message (``--workers``);
    ``remote`` is a Dask cluster at a scheduler address."""
    from core.errors import InputError

    problem = None if workers is None else workers_problem(workers, remote)
    if problem is not None:
        raise InputError(f"{what}: {problem}")


class InlineExecutor:
    """Runs in this process, on ``workers`` threads. For tests and debugging: the
    GIL makes parallel runs here no faster than sequential ones."""

    def __init__(self, workers: int = 1) -> None:
        check_workers(workers)
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="perceptune-run")
        self._stops: dict[int, tuple[str, str]] = {}
        self._active: set[int] = set()
        self._lock = threading.Lock()

    def submit(self, request: RunRequest, on_epoch: OnEpoch | None = None) -> RunHandle:
        from core.worker import execute_run

        def stop_signal(run_id: int) -> tuple[str, str] | None:
            with self._lock:
                return self._stops.get(run_id)

        with self._lock:
            self._active.add(request.run_id)
            self._stops.pop(request.run_id, None)  # a run started again starts afresh
        future = self._pool.submit(execute_run, request, on_epoch, stop_signal)
        future.add_done_callback(lambda _: self._done(request.run_id))
        return RunHandle(request.run_id, future, self._stop)

    def _done(self, run_id: int) -> None:
        with self._lock:
            self._active.discard(run_id)

    def _stop(self, run_id: int, status: str, reason: str) -> None:
        with self._lock:
            self._stops[run_id] = (status, reason)

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:  # as the process pool does: runs in flight stop after an epoch
            for run_id in self._active:
                self._stops.setdefault(run_id, ("interrupted", SHUTDOWN_REASON))
        self._pool.shutdown(wait=wait, cancel_futures=True)


# --- process pool -------------------------------------------------------------------

# Set in each worker process by the pool initializer.
_worker_progress: Any = None
_worker_stops: Any = None
#: Set in a worker by SIGTERM: its run stops after the epoch, ``interrupted``.
_worker_terminated = False
_worker_running = False  # a run is training in this worker
#: Seconds a worker sent SIGTERM gives its run to reach the end of an epoch, and then
#: its pool to end it, before it ends itself (SIGALRM).
TERM_GRACE_S = 15
TERM_IDLE_S = 2


def _init_worker(
    progress: Any,
    stops: Any,
    blas_threads: int | None = None,
    nice: int = 0,
    owner: int = 0,
) -> None:
    """Set up a pool worker. ``owner`` is the pid of the perceptune process that runs
    the pool: the worker dies with it (:mod:`core.lifeline`)."""
    import numpy as np

    from core import lifeline

    # First: a worker forked just as perceptune was killed must not outlive it.
    lifeline.die_with_parent()
    lifeline.die_with(owner)
    global _worker_progress, _worker_stops
    _worker_progress = progress
    _worker_stops = np.frombuffer(stops, dtype=np.int64).reshape(-1, 2)
    # Ctrl-C, and a terminal's hangup, reach the whole foreground process group. The
    # caller stops its runs between epochs and records them interrupted; left to
    # itself, scikit-learn would swallow the KeyboardInterrupt inside fit and end the
    # run early as if it had converged ("done"), and SIGHUP would kill the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # SIGTERM to the whole group (a shell's `kill %1`) likewise: stop the run after its
    # epoch as interrupted, as perceptune itself does; dying at once would record it
    # "failed". (A worker forked straight from the CLI would otherwise inherit the
    # CLI's handler, whose KeyboardInterrupt scikit-learn swallows.)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    if blas_threads is not None:
        # As joblib does for GridSearchCV's workers: N workers x all-core BLAS threads
        # oversubscribe the CPU, and an MLP's small matrix products then run several
        # times slower (measured 6x for (64, 64) on digits with 2 workers on 2 cores).
        from threadpoolctl import threadpool_limits

        threadpool_limits(blas_threads)
    if nice:
        # Below the process that started them (a TUI): when all cores train, its event
        # loop still gets one at once. Training loses nothing on an otherwise idle
        # machine; nice only decides who waits when the cores are short.
        with contextlib.suppress(OSError):
            os.nice(nice)


def _worker_sigterm(_signum: int, _frame: Any) -> None:
    global _worker_terminated
    _worker_terminated = True
    # Normally the pool ends this worker right after the run (perceptune got the same
    # signal); if nothing does (SIGTERM to this worker alone, or from a broken pool
    # ending its workers), SIGALRM's default action ends it.
    signal.alarm(TERM_GRACE_S if _worker_running else TERM_IDLE_S)


def _worker_stop_signal(run_id: int) -> tuple[str, str] | None:
    # The shared array holds (run_id, code) rows; a vectorised scan costs microseconds,
    # far less than an epoch.
    import numpy as np

    if _worker_terminated:
        return "interrupted", SHUTDOWN_REASON
    rows = np.flatnonzero(_worker_stops[:, 0] == run_id)
    for row in rows[::-1]:
        code = int(_worker_stops[row, 1])
        if code:
            return _STOP_CODES.get(code, "cancelled"), ""
    return None


def _worker_progress_sink(run_id: int, point: EpochPoint) -> None:
    # A flat tuple of plain values: unpickling a dataclass costs the listener ~10x more,
    # and a sweep sends an item per epoch of every run and fold.
    _worker_progress.put(
        (run_id, point.epoch, point.train_accuracy, point.test_accuracy, point.loss)
    )


def _preload_worker() -> None:
    import core.preload  # noqa: F401  (already there when forked from the forkserver)


def _run_in_worker(request: RunRequest) -> RunOutcome:
    from core.worker import execute_run

    global _worker_running
    _worker_running = True
    try:
        return execute_run(request, _worker_progress_sink, _worker_stop_signal)
    finally:
        _worker_running = False
        if _worker_terminated:  # sent SIGTERM: the result goes out, then the worker
            signal.alarm(TERM_IDLE_S)


class ProcessExecutor:
    """A local pool of ``workers`` processes with per-epoch progress streamed back."""

    def __init__(self, workers: int | None = None, nice: int = 0, fork_now: bool = False) -> None:
        check_workers(workers)
        self.workers = workers or default_workers()
        self.nice = nice  # added to the workers' niceness (lower priority)
        # fork_now: fork the workers straight from this process in start(), which must
        # then be single-threaded (checked). It saves the forkserver's own interpreter
        # start (~0.1 s), which matters to a one-run command like `perceptune run`.
        self._fork_now = fork_now and _single_threaded()
        self._context = multiprocessing.get_context("fork") if self._fork_now else _pool_context()
        # SimpleQueue writes synchronously: a worker's last epoch is in the pipe before
        # its result is sent, so the end-of-run sentinel below always comes after it.
        self._progress = self._context.SimpleQueue()
        self._stops = self._context.Array("q", 2 * _STOP_SLOTS, lock=False)
        self._stop_next = 0
        self._reasons: dict[int, tuple[str, str]] = {}
        self._callbacks: dict[int, OnEpoch] = {}
        self._callback_failed: set[int] = set()  # runs whose callback raised (said once)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._listener: threading.Thread | None = None
        self._closed = False

    def start(self, warm: bool = False, wait: bool = False) -> ProcessExecutor:
        """Start the pool's helper processes (forkserver, resource tracker) and the
        progress listener. Call before a Textual app runs.

        With ``warm`` every worker process starts now, on a background thread, so the
        first runs do not wait for scikit-learn to import; with ``wait`` this blocks
        until they are ready.
        """
        if self._pool is not None:
            return self
        if self._context.get_start_method() == "forkserver":
            from multiprocessing import forkserver

            forkserver.ensure_running()
        if not self._fork_now:  # forked workers share nothing that needs tracking
            from multiprocessing import resource_tracker

            resource_tracker.ensure_running()
        self._pool = self._new_pool()
        if self._fork_now:  # the first submit forks every worker, before any thread
            warmups = [self._pool.submit(_preload_worker) for _ in range(self.workers)]
        self._listener = self._start_listener(self._progress)
        if self._fork_now:
            if wait:
                for future in warmups:
                    future.result()
        elif wait:
            self._warm()
        elif warm:
            # Spawning a worker waits until the forkserver has imported scikit-learn
            # (about a second): do it on a thread so a UI can draw meanwhile; a run
            # submitted before then simply waits for its worker.
            threading.Thread(target=self._warm_quietly, name="perceptune-warm", daemon=True).start()
        return self

    def _start_listener(self, queue: Any) -> threading.Thread:
        listener = threading.Thread(
            target=self._listen, args=(queue,), name="perceptune-progress", daemon=True
        )
        listener.start()
        return listener

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(
                self._progress,
                self._stops,
                max(1, default_workers() // self.workers),
                self.nice,
                os.getpid(),  # the workers die with this process (core.lifeline)
            ),
        )

    def _submit(self, request: RunRequest) -> tuple[Future, Any]:
        """Submit to the pool; returns the future and the progress queue its worker
        writes to (the one its end-of-run sentinel must go through)."""
        with self._lock:
            pool, queue = self._pool, self._progress
        assert pool is not None
        try:
            return pool.submit(_run_in_worker, request), queue
        except BrokenProcessPool:
            # A worker died (killed, out of memory): its run was recorded failed, and
            # the pool takes no more work. The forkserver is fine: start a new pool so
            # a sweep goes on. (A pool forked straight from a CLI cannot be redone
            # safely once threads run; it only ever has its one run anyway.)
            if self._fork_now or self._closed:
                raise
            # The dead worker may have been killed inside a progress write, holding the
            # queue's lock for good: the new pool gets a new queue and listener.
            with self._lock:
                replace = self._pool is pool  # not done yet by another thread
                if replace:
                    old_queue = self._progress
                    self._progress = self._context.SimpleQueue()
                    self._listener = self._start_listener(self._progress)
                    self._pool = self._new_pool()
                fresh, queue = self._pool, self._progress
            if replace:
                pool.shutdown(wait=False, cancel_futures=True)
                _put_within(old_queue, None, timeout=1.0)  # its listener ends, if it can
            return fresh.submit(_run_in_worker, request), queue

    def _warm_quietly(self) -> None:
        # Any real problem (a worker that cannot start) is reported by the first run.
        with contextlib.suppress(Exception):
            self._warm()

    def _warm(self) -> None:
        assert self._pool is not None
        for future in [self._pool.submit(_preload_worker) for _ in range(self.workers)]:
            future.result()

    def submit(self, request: RunRequest, on_epoch: OnEpoch | None = None) -> RunHandle:
        self.start(warm=False)
        assert self._pool is not None
        with self._lock:
            if on_epoch is not None:
                self._callbacks[request.run_id] = on_epoch
            # A run started again starts afresh: forget an earlier stop of the same id.
            self._reasons.pop(request.run_id, None)
            rows = self._stop_rows()
            rows[rows[:, 0] == request.run_id, 1] = 0
        inner, queue = self._submit(request)
        outer: Future = Future()
        inner.add_done_callback(lambda done: self._finished(request.run_id, done, outer, queue))
        return RunHandle(request.run_id, outer, self._stop)

    def _finished(self, run_id: int, inner: Future, outer: Future, queue: Any) -> None:
        error = inner.exception()
        # The listener may not have read the worker's last epochs yet: a sentinel in the
        # same pipe drops the callback only after them. A run whose worker died (the
        # pool broke) sends no more epochs, and its queue's lock may have died with it.
        if error is not None or not _put_within(queue, (run_id, None), timeout=5.0):
            self._drop_callback(run_id)
        if error is not None:
            outer.set_exception(error)
            return
        outcome: RunOutcome = inner.result()
        given = self.stop_reason(run_id)
        if given is not None and outcome.status == given[0] and not outcome.stop_reason:
            outcome.stop_reason = f"{given[1]} (after epoch {outcome.n_epochs})"
        outer.set_result(outcome)

    def _stop_rows(self) -> Any:
        import numpy as np

        return np.frombuffer(self._stops, dtype=np.int64).reshape(-1, 2)

    def _stop(self, run_id: int, status: str, reason: str) -> None:
        code = next(c for c, s in _STOP_CODES.items() if s == status)
        with self._lock:
            self._reasons[run_id] = (status, reason)
            slot = self._stop_next % _STOP_SLOTS
            self._stop_next += 1
            self._stops[2 * slot + 1] = 0
            self._stops[2 * slot] = run_id
            self._stops[2 * slot + 1] = code

    def stop_reason(self, run_id: int) -> tuple[str, str] | None:
        """The status and reason a caller gave when it stopped ``run_id``."""
        with self._lock:
            return self._reasons.get(run_id)

    def _drop_callback(self, run_id: int) -> None:
        with self._lock:
            self._callbacks.pop(run_id, None)
            self._callback_failed.discard(run_id)

    def _listen(self, queue: Any) -> None:
        while True:
            try:
                item = queue.get()
            except (EOFError, OSError):
                return
            if item is None:
                return
            if len(item) == 2:  # (run_id, None): the run's end (see _finished)
                self._drop_callback(item[0])
                continue
            run_id, epoch, train, test, loss = item
            point = EpochPoint(epoch, train, test, loss)
            with self._lock:
                callback = self._callbacks.get(run_id)
            if callback is None:
                continue
            try:
                verdict = callback(run_id, point)
            except Exception as error:  # a caller's bug must not kill the listener
                with self._lock:
                    first = run_id not in self._callback_failed
                    self._callback_failed.add(run_id)
                if first:  # once per run, not once per epoch
                    print(
                        f"perceptune: progress callback of run {run_id} failed: {error!r}",
                        file=sys.stderr,
                    )
                continue
            if verdict:
                self._stop(run_id, "pruned", str(verdict))

    def shutdown(self, wait: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            for run_id in list(self._callbacks):
                self._stop(run_id, "interrupted", SHUTDOWN_REASON)
            self._pool.shutdown(wait=wait, cancel_futures=True)
        _put_within(self._progress, None, timeout=2.0)
        if self._listener is not None and wait:
            self._listener.join(timeout=5)


def _put_within(queue: Any, item: Any, timeout: float) -> bool:
    """Put ``item`` on a multiprocessing SimpleQueue unless its write lock stays taken
    for ``timeout`` seconds: a worker killed (kill -9, out of memory) in the middle of
    a progress write never releases it, and a plain put() would then wait forever."""
    from multiprocessing.reduction import ForkingPickler

    data = ForkingPickler.dumps(item)
    lock = getattr(queue, "_wlock", None)
    if lock is None:  # a queue whose writes need no lock
        queue._writer.send_bytes(data)
        return True
    if not lock.acquire(timeout=timeout):
        return False
    try:
        queue._writer.send_bytes(data)
    finally:
        lock.release()
    return True


def _single_threaded() -> bool:
    """Only the main thread runs, native ones (e.g. OpenBLAS's) included, so a plain
    fork copies no other thread's locks."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # not Linux: never fork
        return False


def _pool_context() -> Any:
    # forkserver: workers fork from a clean single-threaded server that has already
    # imported scikit-learn (core/preload.py), so they start in milliseconds and
    # inherit no threads.
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["core.forkserver_preload"])
        return context
    return multiprocessing.get_context("spawn")


def make_executor(
    kind: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    nice: int = 0,
    tls: dict[str, str] | None = None,
) -> Executor:
    """``process`` (default), ``inline``, or ``dask``: a Dask cluster at ``scheduler``
    (``tcp://host:8786`` or ``tls://host:8786`` with the ``tls`` files: ``ca_file``,
    ``cert``, ``key``), or a LocalCluster of ``workers`` processes without one.
    ``nice`` lowers the priority of local worker processes (the process pool only)."""
    from core.errors import InputError

    check_workers(workers, remote=kind == "dask" and bool(scheduler))
    if kind == "dask":
        # Imported here: distributed takes about a second to import.
        from core.executors_dask import DaskExecutor

        return DaskExecutor(scheduler=scheduler, workers=workers, tls=tls)
    if scheduler:
        raise InputError("--scheduler needs the dask executor (--executor dask)")
    if tls:
        raise InputError("--tls-* options need the dask executor (--executor dask)")
    if kind == "inline":
        return InlineExecutor(workers or 1)
    if kind == "process":
        return ProcessExecutor(workers, nice=nice)
    raise InputError(f"unknown executor {kind!r}; choose process, inline or dask")
