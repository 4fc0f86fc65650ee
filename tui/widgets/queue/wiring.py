"""Where the queue and the sweeps train, and how their progress reaches the UI,
mixed into the app.

With ``background`` options the store's background runner trains them
(:class:`~tui.background_queue.BackgroundQueue`, :class:`~tui.background_sweeps.
BackgroundSweeps`), and goes on after the app quits; without, this app's executor does
(:class:`~tui.queue_model.QueueModel`, :class:`~tui.widgets.sweep.model.SweepModel`).
Either way run callbacks arrive on other threads. An ended run becomes a message
(:class:`RunFinished`); progress does not: the latest curve of each run waits in a
dict until the app's next redraw takes it (:meth:`QueueWiring._take_progress`), so
epochs arriving 20-40 times a second wake the UI only at its tick instead of once
each (a message from a thread wakes the event loop). With the background runner the
tick asks the follower to look at the store and one ``StorePolled`` message per look
that found something brings the redraw. ``on_run_finished`` and
``on_queue_changed`` keep their names.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.css.query import NoMatches
from textual.widget import Widget

from core.results import EpochPoint
from core.worker import RunOutcome
from tui.errors import show_error
from tui.messages import EpochProgress, QueueChanged, RunFinished, StorePolled
from tui.queue_model import QueueModel
from tui.widgets.history.pane import HistoryPane
from tui.widgets.queue.pane import QueuePane
from tui.widgets.sweep.model import SweepModel
from tui.widgets.sweep.strip import SweepStrip

if TYPE_CHECKING:
    from core.executors import Executor
    from core.queue_runner import RunnerOptions
    from core.runner import Runner
    from core.store import RunStore
    from tui.widgets.charts.pane import ChartsPane, RunView

PaneT = TypeVar("PaneT", bound=Widget)

#: How often live progress reaches the screen. Each frame costs the UI ~2-4 ms of CPU
#: however little changed (Textual renders every widget under the changed line), so
#: 10 a second cost ~3 % of a core. With the background runner the tick asks the
#: follower to look at the store and the screen is redrawn as soon as it has looked,
#: so an epoch committed by the runner is on screen after this wait + a look + a frame:
#: within 200 ms p95 (bench/bench_follow_lag.py prints commit -> screen).
REDRAW_INTERVAL_S = 0.16
#: History reloads at most this often while a sweep's points finish.
SWEEP_HISTORY_S = 0.5
#: A run trained by another process outside the queue, shown in Charts, is read again
#: (record and whole curve, in a thread) at most this often while it moves.
OTHER_RUN_READ_S = 0.5


class QueueWiring:
    """Mixin for :class:`~tui.app.PerceptuneApp`: builds ``queue`` and ``sweeps`` and
    turns their callbacks into messages."""

    if TYPE_CHECKING:  # provided by the app
        store: RunStore
        executor: Executor
        runner: Runner
        selected_run: int | None
        views: dict[int, RunView]
        charts: ChartsPane
        overlay: bool
        snapshot_mode: bool
        sweeps: SweepModel
        _queue_pane: QueuePane | None
        _charts_dirty: bool
        _sweeps_dirty: bool
        _queue_dirty: bool
        _quitting: bool
        _history_dirty_at: float | None

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def _mounted_panes(self, kind: type[PaneT]) -> list[PaneT]: ...
        def _load_run(self, run_id: int) -> None: ...
        def _check_lessons(self) -> None: ...
        def _on_sweep_change(self, sweep_id: int) -> None: ...
        def on_epoch_progress(self, message: EpochProgress) -> None: ...

    def _wire_queue(
        self, store_path: str | Path, workers: int | None, background: RunnerOptions | None
    ) -> None:
        """Build ``self.queue`` and ``self.sweeps``. ``workers``: runs at once (None: the
        executor's pool size, or the runner's own choice); ``background``: the runner's
        options, or None to train in this app."""
        pool = max(1, self.executor.workers)
        self.background = background is not None
        #: Run id -> its latest curve, not drawn yet (see _on_progress).
        self._progress: dict[int, tuple[EpochPoint, ...]] = {}
        #: Runs outside the queue (a foreground CLI `run`) with new epochs or a new
        #: status since the last tick, and when the shown one was last read again.
        self._others_moved: set[int] = set()
        self._other_read_at = 0.0
        if background is not None:
            from tui.background_queue import BackgroundQueue

            self.queue = BackgroundQueue(  # type: ignore[assignment]  # QueueModel's API
                str(store_path),
                background,
                on_progress=self._on_progress,
                on_finished=self._on_finished,
                workers=workers,
                on_other_runs=self._history_changed,
                on_queue_changed=self._queue_changed_elsewhere,
                on_other_moved=self._other_run_moved,
                on_polled=self._store_polled,
            )
        else:
            self.queue = QueueModel(
                self.runner,
                parallel=min(workers or pool, pool),
                max_parallel=pool,
                on_progress=self._on_progress,
                on_finished=self._on_finished,
            )
        if background is not None:
            from tui.background_sweeps import BackgroundSweeps

            self.sweeps = BackgroundSweeps(  # type: ignore[assignment]  # SweepModel's API
                str(store_path), background, self._on_sweep_change, pool=workers or pool
            )
        else:
            self.sweeps = SweepModel(self.store, self.executor, on_change=self._on_sweep_change)

    def _notify_soon(self, message: str, **kwargs: Any) -> None:
        """notify() from a thread worker (notifications live on the UI thread)."""
        self.call_from_thread(lambda: self.notify(message, **kwargs))

    def _on_progress(self, run_id: int, curve: tuple[EpochPoint, ...]) -> None:
        """A run's curve so far (from the queue's thread): kept for the next redraw
        tick, replacing an older one not taken yet (one dict assignment: atomic)."""
        self._progress[run_id] = curve

    def _take_progress(self) -> None:
        """On the redraw tick: hand the curves that came since the last tick to
        ``on_epoch_progress``. ``popitem`` is atomic while the queue's thread adds:
        a curve that comes meanwhile is taken now or at the next tick."""
        progress = self._progress
        for _ in range(len(progress)):
            try:
                run_id, curve = progress.popitem()
            except KeyError:
                break
            self.on_epoch_progress(EpochProgress(run_id, curve))
        self._follow_other_run()

    def _other_run_moved(self, run_id: int) -> None:
        """A run outside the queue got epochs or ended (from the follower's thread:
        one set insertion)."""
        self._others_moved.add(run_id)

    def _follow_other_run(self) -> None:
        """On the redraw tick: the Charts pane shows a run that another process trains
        in the foreground (not through the queue, so no progress comes for it): read it
        again, at most every OTHER_RUN_READ_S (a swap loses nothing: a run that moves
        is added again at the follower's next look)."""
        moved = self._others_moved
        if not moved:
            return
        if self.selected_run not in moved:
            moved.clear()  # runs not shown: History reads them by itself
            return
        if time.monotonic() - self._other_read_at < OTHER_RUN_READ_S:
            return
        moved.clear()
        self._other_read_at = time.monotonic()
        self._load_run(self.selected_run)

    def _store_polled(self) -> None:
        """The follower looked at the store and found something (from its thread):
        draw it now rather than at the next tick."""
        self.post_message(StorePolled())

    def on_store_polled(self, message: StorePolled) -> None:
        self._redraw()

    def _on_finished(self, outcome: RunOutcome) -> None:
        self.post_message(RunFinished(outcome))

    def _queue_changed_elsewhere(self) -> None:
        """The stored queue changed (another process queued, moved or cancelled a
        run, or set the workers): the redraw tick shows it (from the follower's
        thread: one assignment)."""
        self._queue_dirty = True

    def _history_changed(self) -> None:
        """Another process stored or ended a run (a CLI ``run``, another app): the
        redraw timer reloads History soon (from the follower's thread: one assignment)."""
        self._history_dirty_at = self._history_dirty_at or time.monotonic()

    def on_run_finished(self, message: RunFinished) -> None:
        outcome = message.outcome
        self._queue_dirty = True
        if self._quitting:
            return
        if outcome.status == "failed" and outcome.error:
            show_error(self, outcome.error, f"run #{outcome.run_id} failed")
        if outcome.run_id == self.selected_run or outcome.run_id in self.views:
            self._load_run(outcome.run_id)
        self.reload_history()
        self._schedule()
        self._check_lessons()

    def on_queue_changed(self, message: QueueChanged) -> None:
        self._queue_dirty = True
        self._check_lessons()

    # -- the redraw tick ---------------------------------------------------------------

    def _redraw_tick(self) -> None:
        """Every REDRAW_INTERVAL_S: with the background runner, ask the follower to look
        at the store (what it finds is drawn when it has looked: ``StorePolled``);
        draw what changed here meanwhile."""
        if self.background:
            self.queue.poll_soon()  # type: ignore[attr-defined]  # BackgroundQueue's
        self._redraw()

    def _redraw(self) -> None:
        """At each tick and after each look at the store: take the runs' progress since
        the last redraw and bring the queue table and charts up to date (only what
        changed)."""
        self._take_progress()
        if self._queue_dirty and (pane := self._queue_pane_mounted()) is not None:
            self._queue_dirty = False
            try:
                pane.show(self.queue.items(), self.queue.parallel, self.queue.max_parallel)
            except NoMatches:  # its parts are being removed (the app is closing)
                self._queue_pane = None
        if self._charts_dirty:
            self._charts_dirty = False
            view = self.views.get(self.selected_run) if self.selected_run is not None else None
            if view is not None and not self.overlay:
                # NoMatches: its parts are being removed (the app is closing).
                with contextlib.suppress(NoMatches):
                    self.charts.show_run(view)
        if self._sweeps_dirty and (strips := self._mounted_panes(SweepStrip)):
            try:
                strips[0].show(self.sweeps.items(), self.snapshot_mode)
                self._sweeps_dirty = False
            except NoMatches:  # its table is not there (being removed: the app is closing)
                pass  # drawn at a later tick if it comes back
        dirty_at = self._history_dirty_at
        if dirty_at is not None and time.monotonic() - dirty_at >= SWEEP_HISTORY_S:
            self._history_dirty_at = None
            self.reload_history()

    def _queue_pane_mounted(self) -> QueuePane | None:
        """The Queue pane once mounted (kept: a DOM query on every redraw tick cost
        ~8 % of the UI's time while following runs)."""
        pane = self._queue_pane
        if pane is None or not pane.is_mounted or not pane.is_attached:
            panes = self._mounted_panes(QueuePane)
            pane = self._queue_pane = panes[0] if panes else None
        return pane

    def reload_history(self) -> None:
        for pane in self._mounted_panes(HistoryPane):
            pane.reload()

    @work(thread=True, group="queue", exit_on_error=False, name="Starting runs")
    def _schedule(self) -> None:
        if self.queue.schedule():
            self.post_message(QueueChanged())
