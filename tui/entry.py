"""The ``perceptune`` console script.

With no arguments (or only ``--store PATH`` / ``--workers N``) it opens the TUI; with a
subcommand, ``--help`` or anything else it hands over to the headless CLI
(``core.cli.main``). Textual is imported only when the TUI opens, so ``perceptune
--help`` and the subcommands start fast.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.executors import Executor

TUI_OPTIONS = ("--store", "--workers", "--executor", "--scheduler")
#: Dask TLS files (as on ``perceptune run``), by the name ``make_executor`` takes.
TUI_TLS_OPTIONS = {"--tls-ca-file": "ca_file", "--tls-cert": "cert", "--tls-key": "key"}
#: Local worker processes run this much nicer than the UI, so that keys and charts
#: stay responsive while every core trains (``bench/bench_tui_lag.py``).
WORKER_NICE = 10
#: Textual's frame cap (``TEXTUAL_FPS``, default 60) unless the user sets one. A frame
#: asked for within 1/FPS s of the last one waits for the next slot; while runs train the
#: title redraws 10 times a second, so a key often waited up to 16 ms for its frame. At
#: 120 the wait is at most 8 ms (tab switch p95 41-47 -> 31-35 ms). Frames are only drawn
#: when something changed: the app's own redraws stay capped at 10/s and Textual's
#: animations (smooth scrolling) tick at 60/s whatever the cap, so no more is sent over
#: SSH than before.
TEXTUAL_FPS = "120"


def parse_tui_args(argv: list[str]) -> dict[str, str] | None:
    """``{"store": ..., "workers": ...}`` (flag names without ``--``) when ``argv``
    only opens the TUI, else None."""
    options: dict[str, str] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, eq, value = arg.partition("=")
        if name not in TUI_OPTIONS and name not in TUI_TLS_OPTIONS:
            return None
        if not eq:
            if index + 1 >= len(argv):
                return None  # let the CLI report the missing value
            value = argv[index + 1]
            index += 1
        options[name[2:]] = value
        index += 1
    return options


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    options = parse_tui_args(args)
    if options is None:
        from core.cli import main as cli_main

        try:
            return cli_main(args)
        except SystemExit as exit:  # argparse: --help, usage errors
            if exit.code is None or isinstance(exit.code, int):
                return exit.code or 0
            print(exit.code, file=sys.stderr)
            return 1
    tls = {key: options[flag[2:]] for flag, key in TUI_TLS_OPTIONS.items() if flag[2:] in options}
    return open_tui(
        options.get("store"),
        options.get("workers"),
        options.get("executor", "process"),
        options.get("scheduler"),
        tls or None,
    )


def open_tui(
    store: str | None,
    workers_text: str | None,
    executor_kind: str = "process",
    scheduler: str | None = None,
    tls: dict[str, str] | None = None,
) -> int:
    from core.errors import PerceptuneError
    from core.executors import default_workers, make_executor, workers_problem, workers_range
    from core.store import DEFAULT_STORE_PATH

    workers = default_workers()
    if workers_text is not None:
        remote = executor_kind == "dask" and bool(scheduler)
        try:
            workers = int(workers_text)
        except ValueError:
            workers = 0
        problem = workers_problem(workers, remote)
        if problem is not None:  # also caps it: a huge pool would be a fork bomb
            shown = workers_text if len(workers_text) <= 40 else workers_text[:40] + "..."
            print(
                f"perceptune: --workers: expected {workers_range(remote)}, got {shown!r}",
                file=sys.stderr,
            )
            return 2
    if executor_kind == "inline":
        print(
            "perceptune: the TUI runs in worker processes: --executor process or dask",
            file=sys.stderr,
        )
        return 2
    background = background_options(executor_kind, scheduler, tls)
    hangup = _ignore_hangups()  # while the pool's processes start: they inherit it
    try:
        executor = make_executor(
            executor_kind, workers, scheduler=scheduler, nice=WORKER_NICE, tls=tls
        )
        start_executor(executor, in_app=background is None)
    except PerceptuneError as error:  # e.g. an unreachable Dask scheduler
        print(f"perceptune: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        if hangup is not None:  # the app itself quits on SIGHUP: its default is back
            signal.signal(signal.SIGHUP, hangup)
    try:
        textual_settings()
        from tui.app import PerceptuneApp

        try:
            app = PerceptuneApp(
                store or DEFAULT_STORE_PATH,
                executor,
                # In the background only a --workers given asks the runner for it.
                workers if workers_text is not None else None,
                background=background,
            )
        except PerceptuneError as error:
            print(f"perceptune: {error}", file=sys.stderr)
            return error.exit_code
        _short_gc_pauses()
        # Threads (chart drawing, run progress) hand the interpreter back to the event
        # loop within 1 ms instead of 5 when it wakes up.
        sys.setswitchinterval(0.001)
        result = app.run()
        return int(result or 0) if app.return_code is None else app.return_code
    finally:
        executor.shutdown(wait=True)


def start_executor(executor: Executor, in_app: bool) -> None:
    """Start ``executor`` before the app runs, as :mod:`core.executors` requires: its
    helper processes (a process pool's forkserver and resource tracker; a Dask
    LocalCluster is already up) cannot be started once Textual has swapped stderr for an
    object without a file descriptor.

    ``in_app``: the queue trains in this app, so every worker starts now (importing
    scikit-learn in the background) for the first runs not to wait. Otherwise the
    store's background runner trains the queue and the sweeps, and only decision
    regions use the app's pool: no worker starts until one is asked for, and the first
    is then forked from the forkserver already running (safe in a running app; about
    0.1 s, scikit-learn is already imported there)."""
    executor.start(warm=in_app)


#: Set to 0 to train the queue inside the app (stopped when it quits), as before.
BACKGROUND_VARIABLE = "PERCEPTUNE_BACKGROUND"


def background_options(
    executor_kind: str, scheduler: str | None, tls: dict[str, str] | None
) -> Any:
    """How the store's background runner trains what the app queues (the app's own
    executor flags), or None when ``$PERCEPTUNE_BACKGROUND`` is 0."""
    if os.environ.get(BACKGROUND_VARIABLE, "1").strip() == "0":
        return None
    from core.queue_runner import RunnerOptions, idle_exit_from_env

    return RunnerOptions(executor_kind, scheduler, tls, idle_exit_from_env())


def _ignore_hangups() -> Any:
    """Ignore SIGHUP; the handler it had (None where there is no SIGHUP).

    The pool's processes keep an ignored signal (forked and exec'd children inherit
    it). When the terminal hangs up, the kernel sends SIGHUP to every process of its
    foreground group: workers that died of it would leave their runs ``failed``. The
    app quits on SIGHUP instead, stopping the runs and leaving them ``interrupted``."""
    if not hasattr(signal, "SIGHUP"):
        return None
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return signal.SIG_DFL if previous is None else previous  # None: set outside Python


def textual_settings() -> None:
    """Textual settings of ours the user has not set; call before Textual is imported
    (it reads them from the environment then)."""
    os.environ.setdefault("TEXTUAL_FPS", TEXTUAL_FPS)


def _short_gc_pauses() -> None:
    """Keep the garbage collector from stalling the UI (``bench/bench_tui_lag.py``).

    A full collection walks every tracked object: with Textual, numpy and (once a
    bundled dataset is shown) scikit-learn imported, and the render caches churning
    while charts redraw, that was 9-13 pauses of up to 150 ms CPU in 20 s of training.
    Everything alive now (the imports) is frozen out of the collector's walk, and so
    is whatever survives each later full collection: those are long-lived by then.
    The cost: a reference cycle among such survivors that later becomes garbage is
    not reclaimed (a closed screen's widgets, say), a few kB a time.
    """
    import gc

    gc.freeze()  # without a collect first: that would cost the first frame ~10 ms

    def freeze_survivors(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.callbacks.append(freeze_survivors)


if __name__ == "__main__":
    raise SystemExit(main())
