"""Quitting: ctrl+q (with its "stop runs?" or "keep training?" dialog), quit signals
(SIGHUP, SIGTERM), remembering the session, and stopping what trains on unmount, mixed
into the app.

``action_quit`` keeps its name (the key line and the command palette call it); the code
lives here so the app only composes, routes and handles errors.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.css.query import NoMatches

from tui.screens.confirm_quit import ConfirmQuit
from tui.session import Session, save_session

if TYPE_CHECKING:
    from textual.screen import Screen

    from core.executors import Executor
    from core.runner import Runner
    from core.store import RunStore
    from tui.queue_model import QueueModel
    from tui.widgets.dataset.pane import DatasetPane
    from tui.widgets.form.form import HyperparamForm
    from tui.widgets.sweep.model import SweepModel

#: Seconds a quit waits for sweeps to leave their runs interrupted.
SWEEP_STOP_WAIT_S = 15.0
#: Signals that quit like ctrl+q without asking: the terminal went away (SIGHUP, an
#: SSH drop) or someone asks the process to end (SIGTERM). The app exits with 128 + the
#: signal's number, as a shell reports a process ended by it.
QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name)
)


class Lifecycle:
    """Mixin for :class:`~tui.app.PerceptuneApp`: how it quits and what it stops."""

    if TYPE_CHECKING:  # provided by the app
        store: RunStore
        queue: QueueModel
        sweeps: SweepModel
        runner: Runner
        executor: Executor
        background: bool
        form: HyperparamForm
        dataset_pane: DatasetPane
        active_tab: str
        screen: Screen[Any]
        _own_executor: bool
        _quitting: bool
        _exit: bool
        _exit_status: int
        _signal_handlers: dict[int, Any]

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
        def exit(self, result: Any = None, return_code: int = 0) -> None: ...

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmQuit):
            self.screen.dismiss(True)
            return
        if self._quitting:
            return
        self.remember_session()
        running, waiting = len(self.queue.running_ids()), len(self.queue.pending_ids())
        if self.background:
            sweeps = sum(1 for item in self.sweeps.items() if not item.ended)
            if self._ask_keep_training(running + sweeps, waiting):
                return
            self.exit(0)  # nothing of the queue trains in the app
            return
        for item in self.sweeps.items():
            if not item.ended:
                running += max(1, item.running)
                waiting += max(0, item.total - item.done - max(1, item.running))
        if running:

            def answered(quit_now: bool | None) -> None:
                if quit_now:
                    self._stop_and_exit()

            self.push_screen(ConfirmQuit(running, waiting), answered)
        elif waiting:
            self._stop_and_exit()
        else:
            self.exit(0)

    def _ask_keep_training(self, running: int, waiting: int) -> bool:
        """Background queue with work: ask "keep training / stop all" (ctrl+q again
        keeps). True when the dialog is up or answered here."""
        from tui.screens.keep_training import KEEP, STOP, KeepTraining

        if isinstance(self.screen, KeepTraining):
            self.screen.dismiss(KEEP)
            return True
        if not (running or waiting):
            return False

        def answered(choice: str | None) -> None:
            if choice == STOP:
                self._stop_background()
            elif choice == KEEP:
                self._quit_keeping()

        from core.daemon import log_path

        self.push_screen(KeepTraining(running, waiting, str(log_path(self.store.path))), answered)
        return True

    def _quit_keeping(self) -> None:
        """Quit; the runner trains on (the runs and the sweeps)."""
        self.exit(0)

    @work(thread=True, group="quit", exit_on_error=False, name="Stopping the queue")
    def _stop_background(self) -> None:
        self.queue.stop_all()  # type: ignore[attr-defined]  # BackgroundQueue
        self.call_from_thread(self._quit_keeping)

    def _stop_and_exit(self) -> None:
        self._quitting = True
        self.notify("Stopping runs…", markup=False, timeout=5)
        self._interrupt_all()

    @work(thread=True, group="quit", exit_on_error=False, name="Stopping runs")
    def _interrupt_all(self) -> None:
        try:
            self.sweeps.interrupt_all()
            self.queue.interrupt_all()
            self.sweeps.wait_idle(SWEEP_STOP_WAIT_S)
        finally:
            status = self._exit_status
            self.call_from_thread(lambda: self.exit(status, return_code=status))

    def _catch_signals(self) -> None:
        """Quit on :data:`QUIT_SIGNALS` through the normal path (runs left interrupted,
        terminal restored by Textual's driver) instead of dying on the spot. Through
        the event loop, so the handler runs on the UI thread between events."""
        try:
            loop = asyncio.get_running_loop()
            for signum in QUIT_SIGNALS:
                previous = signal.getsignal(signum)
                loop.add_signal_handler(signum, self._quit_on_signal, signum)
                self._signal_handlers[signum] = previous
        except (RuntimeError, ValueError, NotImplementedError):
            pass  # not the main thread (an embedding host) or no such signals: default

    def _release_signals(self) -> None:
        """Give the signals back as they were (the process may go on: a test run)."""
        if not self._signal_handlers:
            return
        loop = asyncio.get_running_loop()
        for signum, previous in self._signal_handlers.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._signal_handlers.clear()

    def _quit_on_signal(self, signum: int) -> None:
        """ctrl+q without the dialog: stop what trains, leave it and the waiting runs
        interrupted, exit with 128 + ``signum``."""
        if self._quitting or self._exit:
            return  # already on the way out
        self._exit_status = 128 + signum
        self.remember_session()
        self._stop_and_exit()

    def remember_session(self) -> None:
        """Save the form, the dataset and the tab for this store's next launch (the parts
        that are valid now; an invalid form keeps the last saved one)."""
        try:
            config = self.form.read_config()
            spec = self.dataset_pane.read_spec()
            tab = self.active_tab
        except NoMatches:  # the main screen is already gone
            return
        save_session(self.store, Session(config, spec, tab))

    def on_unmount(self) -> None:
        self._release_signals()
        # Leaving without the quit dialog (a test harness, a panic): stop what trains
        # and leave it interrupted, like ctrl+q does.
        if self.sweeps.interrupt_all():
            self.sweeps.wait_idle(5.0)
        if self.queue.running_ids() or self.queue.pending_ids():
            self.queue.interrupt_all(timeout=3.0)  # a background queue stops nothing
        if self.background:
            self.queue.close()  # type: ignore[attr-defined]  # stop following the store
            self.sweeps.close()  # type: ignore[attr-defined]
        self.runner.close()
        if self._own_executor:
            self.executor.shutdown(wait=False)
