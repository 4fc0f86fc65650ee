"""Sweeps in the app: the builder (F6) and results (F7) screens, launching, cancelling
and resuming sweeps, and their progress, mixed into the app.

They are app actions (``app.sweep_cancel``...) so the key line, the command palette
and the sweeps table's bindings reach them by the same name; the code lives here, next
to the sweep widgets, and the app only composes and routes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.search.results import sweep_title
from tui.format import acc
from tui.messages import SweepChanged
from tui.widgets.sweep.model import SweepItem, SweepModel
from tui.widgets.sweep.strip import SweepStrip

if TYPE_CHECKING:
    from textual.css.query import DOMQuery
    from textual.screen import Screen

    from core.search.sweepfile import SweepSpec
    from tui.widgets.dataset.pane import DatasetPane
    from tui.widgets.form.form import HyperparamForm


class SweepActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: everything about sweeps."""

    if TYPE_CHECKING:  # provided by the app
        sweeps: SweepModel
        sweep_builder_memory: dict[str, Any]
        form: HyperparamForm
        dataset_pane: DatasetPane
        screen_stack: list[Screen[Any]]
        _quitting: bool
        _sweeps_dirty: bool
        _sweep_seen: dict[int, tuple[int, str]]
        _history_dirty_at: float | None

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def _notify_soon(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def query(self, selector: Any) -> DOMQuery[Any]: ...
        def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
        def reload_history(self) -> None: ...
        def _modal_open(self) -> bool: ...
        def _switch_tab(self, tab: str) -> None: ...
        def _redraw(self) -> None: ...

    def action_sweep_builder(self) -> None:
        if self._modal_open() or self._quitting:
            return
        config = self.form.read_config()
        spec = self.dataset_pane.read_spec()
        if config is None or spec is None:
            why = ": a sweep takes its fixed values and data from them"
            message = self.dataset_pane.refuse_run(config is None, why)
            self.notify(message, severity="warning", markup=False)
            return
        from tui.screens.sweep_builder import SweepBuilderScreen

        def launch(sweep: SweepSpec | None) -> None:
            if sweep is not None:
                self._launch_sweep(sweep)

        # The builder's settings live as long as the app: F6 again shows them as left.
        self.push_screen(
            SweepBuilderScreen(config, spec, self.sweeps.pool, memory=self.sweep_builder_memory),
            launch,
        )

    def load_sweep_settings(self, config: RunConfig, spec: DatasetSpec) -> None:
        """A loaded sweep file's fixed values and data, into the form and dataset pane."""
        self.form.load(config)
        self.dataset_pane.load(spec)

    @work(thread=True, group="sweep", exit_on_error=False, name="Sweep")
    def _launch_sweep(self, spec: SweepSpec) -> None:
        sweep_id = self.sweeps.create(spec)
        try:
            self.call_from_thread(self._sweep_started, sweep_id)
        finally:  # progress and the end come as SweepChanged
            self.sweeps.run(sweep_id, spec)

    def _show_sweeps(self) -> None:
        """The Queue tab with its sweeps focused (the panes may still be mounting)."""
        self._switch_tab("queue")
        self._sweeps_dirty = True
        self._redraw()
        for table in self.query("#sweep-table"):
            table.focus()

    def _sweep_started(self, sweep_id: int) -> None:
        self._show_sweeps()
        item = self.sweeps.get(sweep_id)
        points = f": {item.total} points" if item is not None else ""
        title = item.label if item is not None else sweep_title(sweep_id)
        self.notify(f"Started {title}{points}.", markup=False, timeout=3)

    def _on_sweep_change(self, sweep_id: int) -> None:
        self.post_message(SweepChanged(sweep_id))

    def on_sweep_changed(self, message: SweepChanged) -> None:
        self._sweeps_dirty = True
        item = self.sweeps.get(message.sweep_id)
        if item is None:
            return
        seen = self._sweep_seen.get(item.sweep_id)
        self._sweep_seen[item.sweep_id] = (item.done, item.status)
        if seen is None or seen[0] != item.done:
            self._history_dirty_at = self._history_dirty_at or time.monotonic()
        if item.ended and (seen is None or seen[1] != item.status):
            self._sweep_ended(item)

    def _sweep_ended(self, item: SweepItem) -> None:
        from tui.screens.sweep_results import SweepResultsScreen

        self._history_dirty_at = None
        self.reload_history()
        for screen in self.screen_stack:
            if isinstance(screen, SweepResultsScreen):
                screen.action_reload()
        if self._quitting:
            return
        what = f"{item.label} {item.status}: {item.done}/{item.total} points"
        what = what[0].upper() + what[1:]
        if item.best is not None:
            what += f", best test {acc(item.best)} (run #{item.best_run})"
        severity = "error" if item.status == "failed" else "information"
        self.notify(f"{what}. F7 shows the leaderboard.", severity=severity, markup=False)

    def action_sweep_results(self, sweep_id: int | None = None) -> None:
        if self._modal_open():
            return
        from tui.screens.sweep_results import SweepResultsScreen

        self.push_screen(SweepResultsScreen(sweep_id))

    def action_sweep_results_selected(self) -> None:
        self.action_sweep_results(self.query_one(SweepStrip).selected_id())

    def action_sweep_cancel(self) -> None:
        sweep_id = self.query_one(SweepStrip).selected_id() if self.query(SweepStrip) else None
        if sweep_id is None:
            self.notify("No sweep to cancel.", severity="warning", markup=False, timeout=3)
        elif self.sweeps.cancel(sweep_id):
            self.notify(f"Cancelling {sweep_title(sweep_id)}…", markup=False, timeout=3)
        else:
            self.notify(f"{sweep_title(sweep_id)} has already ended.", markup=False, timeout=3)

    @work(thread=True, group="sweep", exit_on_error=False, name="Resuming sweeps")
    def _resume_sweeps(self, sweep_ids: list[int]) -> None:
        self.sweeps.resume(sweep_ids)  # each sweep's progress and end come as SweepChanged
        for reason in self.sweeps.last_skipped:  # a sweep that cannot run says why
            self._notify_soon(f"Not resumed: {reason}", severity="warning", markup=False)
