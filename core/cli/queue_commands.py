"""The background-training subcommands: ``queue [add|cancel|stop|workers]`` and
``runner``.

``queue add`` stores a run in the store's queue and makes sure a runner serves the
store (starting one, detached, when none lives); the runner trains the queue and
exits when it is empty (:mod:`core.queue_runner`). ``run --detach`` is ``queue add``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

from core.cli.commands import open_store, parse_id
from core.cli.output import printable
from core.errors import InputError

#: Seconds ``queue stop`` waits for the runner to record its runs and exit.
STOP_WAIT_S = 40.0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``queue`` (with its actions) and ``runner`` to the ``perceptune`` parser."""
    from core.cli.parser import (
        OneLineParser,
        _add_store,
        add_executor_flags,
        add_run_flags,
    )

    queue = sub.add_parser(
        "queue",
        help="the store's queue, trained in the background: list, add, cancel, stop, workers",
        description="With no action: the queued and running runs in order, with their "
        "epochs done, and the runner that trains them.",
    )
    _add_store(queue)
    queue.add_argument("--json", action="store_true", help="print one JSON object")
    queue.set_defaults(handler=cmd_queue)
    actions = queue.add_subparsers(title="actions", metavar="ACTION", parser_class=OneLineParser)

    add = actions.add_parser(
        "add", help="queue a run (the run flags) and start the runner if none is alive"
    )
    add_run_flags(add)  # the same run flags as `run`, --cv and --no-refit included
    _add_leaf_flags(add)
    add_executor_flags(add)
    add.set_defaults(handler=cmd_queue_add)

    cancel = actions.add_parser(
        "cancel", help="cancel queued runs; a running one stops after its epoch"
    )
    cancel.add_argument("run_ids", metavar="RUN_ID", nargs="+")
    _add_leaf_flags(cancel)
    cancel.set_defaults(handler=cmd_queue_cancel)

    stop = actions.add_parser("stop", help="cancel every queued and running run, stop the runner")
    _add_leaf_flags(stop)
    stop.set_defaults(handler=cmd_queue_stop)

    workers = actions.add_parser("workers", help="how many runs train at once (0 pauses)")
    workers.add_argument("count", metavar="N")
    _add_leaf_flags(workers)
    add_executor_flags(workers)
    workers.set_defaults(handler=cmd_queue_workers)

    runner = sub.add_parser(
        "runner",
        help="train the store's queue until it is empty (detached unless --foreground)",
        description="Start the store's background runner by hand (for systemd or nohup). "
        "It trains the queue, logs to STORE.log and exits once idle.",
    )
    _add_store(runner)
    runner.add_argument(
        "--foreground", action="store_true", help="serve in this process (logs on stderr too)"
    )
    runner.add_argument("--daemon", action="store_true", help=argparse.SUPPRESS)
    runner.add_argument(
        "--idle-exit",
        metavar="SECONDS",
        default=None,
        help="exit after this long with nothing to train (default 30; $PERCEPTUNE_RUNNER_IDLE_S)",
    )
    add_executor_flags(runner)
    runner.set_defaults(handler=cmd_runner)


def _add_leaf_flags(parser: argparse.ArgumentParser) -> None:
    """``--store`` and ``--json`` on an action: given after the action, or before it
    (``queue --store X add``); SUPPRESS keeps the value given before."""
    parser.add_argument(
        "--store", metavar="PATH", default=argparse.SUPPRESS, help="SQLite run store"
    )
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")


# --- options ----------------------------------------------------------------------


def _idle_exit(args: argparse.Namespace) -> float:
    """Seconds of idleness before a runner exits: ``--idle-exit``, else the
    environment variable, else the default."""
    from core.queue_runner import IDLE_EXIT_S, IDLE_VARIABLE, idle_problem

    text = getattr(args, "idle_exit", None)
    what = "--idle-exit"
    if text is None:
        text, what = os.environ.get(IDLE_VARIABLE), IDLE_VARIABLE
    if text is None:
        return IDLE_EXIT_S
    problem = idle_problem(str(text))
    if problem is not None:
        raise InputError(f"{what}: {problem}")
    return float(text)


def runner_options(args: argparse.Namespace) -> Any:
    """The runner options the executor flags describe (checked as ``run`` checks them)."""
    from core.cli.parser import tls_files
    from core.queue_runner import RunnerOptions

    kind = getattr(args, "executor", None) or "process"
    scheduler = getattr(args, "scheduler", None)
    tls = tls_files(args)
    if kind != "dask" and scheduler:
        raise InputError("--scheduler needs the dask executor (--executor dask)")
    if kind != "dask" and tls:
        raise InputError("--tls-* options need the dask executor (--executor dask)")
    return RunnerOptions(executor=kind, scheduler=scheduler, tls=tls, idle_exit_s=_idle_exit(args))


# --- queue ----------------------------------------------------------------------------


def workers_text(workers: int, running: int) -> str:
    """``2 run(s) at once``; with more runs in flight than that (``queue workers``
    lowered), what happens: they finish (a run in flight is never cut) and no new
    run starts until fewer than ``workers`` run."""
    text = f"{workers} run(s) at once"
    if workers == 0:
        return text + (
            f" (paused: the {running} running finish, none starts)" if running else " (paused)"
        )
    if running > workers:
        return (
            text
            + f" ({running} running: they finish; new runs wait until fewer than {workers} run)"
        )
    return text


def _runner_line(runner: Any, path: str) -> str:
    from core.daemon import log_path

    if runner is None:
        return f"no runner; log: {log_path(path)}"
    return f"runner: {runner} ({printable(runner.executor)}); log: {log_path(path)}"


def cmd_queue(args: argparse.Namespace) -> int:
    """``perceptune queue``: the runs in order, and the runner."""
    from core.executors import default_workers
    from core.queue_store import StoredQueue

    store = open_store(args.store, must_exist=True)
    queue = StoredQueue(store)
    entries = queue.entries()
    sweeps = queue.sweeps()
    runner = queue.runner()
    control = queue.control()
    workers = default_workers() if control.workers is None else control.workers
    running = sum(1 for entry in entries if entry.status == "running")
    if args.json:
        print(
            json.dumps(
                {
                    "runner": None if runner is None else runner.to_dict(),
                    "workers": workers,
                    "running": running,
                    "runs": [entry.to_dict() for entry in entries],
                    "sweeps": [sweep.to_dict() for sweep in sweeps],
                }
            )
        )
        return 0
    print(f"{_runner_line(runner, args.store)}; {workers_text(workers, running)}")
    for sweep in sweeps:
        item = sweep.to_dict()
        print(
            f"sweep {sweep.sweep_id}: {item['status']}, {sweep.finished}/{sweep.points} points"
            f" finished  {printable(sweep.name)}"
        )
    if not entries and not sweeps:
        print(f"the queue of {args.store} is empty")
        return 0
    print(f"{'id':>5}  {'status':<11} {'epochs':>11}  label")
    for entry in entries:
        status = "stopping" if entry.cancel else entry.status
        epochs = f"{entry.n_epochs}/{entry.epochs}"
        print(f"{entry.run_id:>5}  {status:<11} {epochs:>11}  {printable(entry.label)}")
    if runner is None and queue.has_work():
        print(
            f"runs wait for a runner: `perceptune runner --store {args.store}` starts one",
            file=sys.stderr,
        )
    return 0


def cmd_queue_add(args: argparse.Namespace) -> int:
    """``perceptune queue add [run flags]`` (and ``run --detach``)."""
    from core.cli.commands import (
        check_before_storing,
        check_cv,
        config_from_args,
        dataset_from_args,
        with_absolute_paths,
    )
    from core.daemon import ensure_runner, log_path
    from core.queue_store import StoredQueue

    config = config_from_args(args)
    spec = dataset_from_args(args)
    options = runner_options(args)
    # Bad data, a network too large or folds the data cannot give: nothing stored.
    check_cv(spec, check_before_storing(config, spec))
    spec = with_absolute_paths(spec)  # the runner works in another directory
    store = open_store(args.store)
    queue = StoredQueue(store)
    run_id, live = queue.add(config, spec)
    runner = ensure_runner(queue, options, live)
    store.close()
    if getattr(args, "json", False):
        print(json.dumps({"id": run_id}))
        return 0
    who = f"{runner} trains it" if runner is not None else "trained already"
    print(f"Run {run_id} queued; {who}. Log: {log_path(args.store)}")
    return 0


def queue_sweep(args: argparse.Namespace, spec: Any, kind: str, scheduler: str | None) -> int:
    """``perceptune sweep FILE --detach``: store the sweep (checked already by the
    caller) and queue it for the runner; its points train ``queue workers`` at once."""
    from argparse import Namespace

    from core.daemon import ensure_runner, log_path
    from core.queue_store import StoredQueue

    given = vars(args) | {"executor": kind, "scheduler": scheduler}
    options = runner_options(Namespace(**given))
    store = open_store(args.store)
    queue = StoredQueue(store)
    sweep_id = store.create_sweep(spec.to_dict(), name=spec.name)
    live = queue.add_sweep(sweep_id)
    runner = ensure_runner(queue, options, live)
    store.close()
    if args.json:
        print(json.dumps({"sweep_id": sweep_id}))
        return 0
    who = f"{runner} trains it" if runner is not None else "trained already"
    print(f"Sweep {sweep_id} queued ({spec.n_points()} points); {who}. Log: {log_path(args.store)}")
    return 0


def cmd_queue_cancel(args: argparse.Namespace) -> int:
    from core.queue_store import StoredQueue

    ids = [parse_id(text) for text in args.run_ids]
    store = open_store(args.store, must_exist=True)
    states = StoredQueue(store).cancel(ids)
    store.close()
    if getattr(args, "json", False):
        print(json.dumps([{"id": i, "state": s} for i, s in states.items()]))
        return 0
    for run_id, state in states.items():
        if state == "stopping":
            print(f"Run {run_id} stops after its current epoch (cancelled).")
        else:
            print(f"Run {run_id} cancelled.")
    return 0


def cmd_queue_stop(args: argparse.Namespace) -> int:
    """Cancel everything in the queue and wait (a while) for the runner to exit."""
    from core.queue_store import StoredQueue

    store = open_store(args.store, must_exist=True)
    queue = StoredQueue(store)
    count, runner = queue.request_stop()
    exited = True
    if runner is not None:
        from core.store import _pid_alive

        # Gone once it gave up the lease and, on this host, its process ended too (it
        # gives the lease up just before its interpreter winds down).
        here = runner.host == store._host

        def stopping() -> bool:
            return queue.runner() is not None or (here and bool(_pid_alive(runner.pid)))

        deadline = time.monotonic() + STOP_WAIT_S
        while stopping() and time.monotonic() < deadline:
            time.sleep(0.1)
        exited = not stopping()
    store.close()
    if getattr(args, "json", False):
        print(json.dumps({"cancelled": count, "runner_exited": exited}))
        return 0
    who = "" if runner is None else f"; {runner} " + ("exited" if exited else "is still stopping")
    print(f"Queue stopped: {count} run(s) cancelled{who}.")
    return 0


def cmd_queue_workers(args: argparse.Namespace) -> int:
    """Set the runs at once; start a runner if runs wait and none lives."""
    from core.daemon import ensure_runner
    from core.executors import MAX_CLUSTER_WORKERS, max_workers
    from core.queue_store import StoredQueue
    from core.values import shown

    options = runner_options(args)
    store = open_store(args.store)
    queue = StoredQueue(store)
    live = queue.runner()
    remote = options.scheduler is not None or (
        live is not None and live.executor.startswith("dask ") and "local" not in live.executor
    )
    limit = MAX_CLUSTER_WORKERS if remote else max_workers()
    try:
        count = int(args.count) if len(args.count) < 20 else None
    except ValueError:
        count = None
    if count is None or not 0 <= count <= limit:
        raise InputError(
            f"workers: expected a whole number from 0 to {limit}, got {shown(args.count)}"
        )
    live = queue.set_workers(count)
    if live is None and count > 0 and queue.has_work():
        live = ensure_runner(queue, options)
    running = sum(1 for entry in queue.entries() if entry.status == "running")
    store.close()
    if getattr(args, "json", False):
        print(json.dumps({"workers": count, "running": running}))
        return 0
    print(workers_text(count, running) + ".")
    return 0


# --- runner ---------------------------------------------------------------------------


def cmd_runner(args: argparse.Namespace) -> int:
    """``perceptune runner``: detached by default; ``--foreground`` serves here."""
    from core.daemon import ensure_runner, log_path, runner_logger
    from core.queue_runner import serve
    from core.queue_store import StoredQueue

    options = runner_options(args)
    if not args.foreground:
        store = open_store(args.store)
        runner = ensure_runner(StoredQueue(store), options)
        store.close()
        state = f"{runner} serves {args.store}" if runner else "nothing to train"
        print(f"Runner: {state}; log: {log_path(args.store)}")
        return 0
    if args.daemon:
        # Detached: no terminal to hang up or interrupt; SIGTERM still stops it.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = runner_logger(args.store, echo=not args.daemon)
    try:
        return serve(args.store, options, log)
    except KeyboardInterrupt:
        raise
    except Exception as error:
        log.exception("runner failed: %s", error)
        raise
