"""The ``perceptune`` console script.

With no arguments (or only ``--store PATH`` / ``--workers N``) it opens the TUI; with a
subcommand, ``--help`` or anything else it hands over to the headless CLI
(``core.cli.main``). Textual is imported only when the TUI opens, so ``perceptune
--help`` and the subcommands start fast.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.executors import ProcessExecutor, RunHandle
    from core.worker import RunRequest

TUI_OPTIONS = ("--store", "--workers")


class WarmingExecutor:
    """A :class:`~core.executors.ProcessExecutor` whose worker processes start in the
    background, so the first frame does not wait for them.

    The forkserver and multiprocessing's resource tracker start here, in the calling
    thread, before the app runs (they need the real stderr, which Textual replaces).
    Starting the workers blocks until the forkserver has imported scikit-learn (about
    a second): that happens on a thread, and a run submitted before waits for it.
    """

    def __init__(self, inner: ProcessExecutor) -> None:
        self.inner = inner
        self.workers = inner.workers
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> WarmingExecutor:
        if sys.platform.startswith("linux"):  # the pool uses forkserver there
            from multiprocessing import forkserver

            forkserver.ensure_running()
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        self._thread = threading.Thread(target=self._warm, name="perceptune-warm", daemon=True)
        self._thread.start()
        return self

    def _warm(self) -> None:
        try:
            self.inner.start(warm=True)
        except BaseException as error:  # reported on the first submit
            self._error = error
        finally:
            self._ready.set()

    def submit(self, request: RunRequest, on_epoch: Any = None) -> RunHandle:
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self.inner.submit(request, on_epoch)

    def shutdown(self, wait: bool = True) -> None:
        if self._thread is not None:
            self._ready.wait(timeout=30)
        self.inner.shutdown(wait=wait)

    def __getattr__(self, name: str) -> Any:  # anything else the pool offers
        return getattr(self.inner, name)


def parse_tui_args(argv: list[str]) -> dict[str, str] | None:
    """``{"store": ..., "workers": ...}`` when ``argv`` only opens the TUI, else None."""
    options: dict[str, str] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, eq, value = arg.partition("=")
        if name not in TUI_OPTIONS:
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
    return open_tui(options.get("store"), options.get("workers"))


def open_tui(store: str | None, workers_text: str | None) -> int:
    from core.errors import PerceptuneError
    from core.executors import ProcessExecutor, default_workers
    from core.store import DEFAULT_STORE_PATH

    workers = default_workers()
    if workers_text is not None:
        try:
            workers = int(workers_text)
        except ValueError:
            workers = 0
        if workers < 1:
            print(
                f"perceptune: --workers must be a whole number >= 1, got {workers_text!r}",
                file=sys.stderr,
            )
            return 2
    # The pool (forkserver, resource tracker) must start before the app runs: Textual
    # swaps stderr for an object without a file descriptor, which multiprocessing
    # cannot hand to new processes.
    executor = WarmingExecutor(ProcessExecutor(workers))
    try:
        from tui.app import PerceptuneApp

        try:
            app = PerceptuneApp(store or DEFAULT_STORE_PATH, executor, workers)  # type: ignore[arg-type]
        except PerceptuneError as error:
            print(f"perceptune: {error}", file=sys.stderr)
            return error.exit_code
        executor.start()
        result = app.run()
        return int(result or 0) if app.return_code is None else app.return_code
    finally:
        executor.shutdown(wait=True)


if __name__ == "__main__":
    raise SystemExit(main())
