"""Interrupted runs and sweeps: finding them at start (and on the palette's "Resume"),
offering to resume them (:class:`ResumeRuns` / :class:`ResumeWork`), and queueing them
again, mixed into the app.

``action_offer_resume`` and ``on_interrupted_found`` keep their names (the command
palette and the messages reach them); the code lives next to the dialogs it opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from core.store import RunRecord
from tui.messages import InterruptedFound, QueueChanged
from tui.screens.resume import ResumeRuns
from tui.screens.sweep_resume import ResumeWork

if TYPE_CHECKING:
    from core.store import RunStore
    from tui.queue_model import QueueModel
    from tui.widgets.sweep.model import SweepModel


class ResumeActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: offers to resume interrupted work."""

    if TYPE_CHECKING:  # provided by the app
        store: RunStore
        queue: QueueModel
        sweeps: SweepModel
        selected_run: int | None

        def _notify_soon(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def call_after_refresh(self, callback: Callable[..., Any], *args: Any) -> bool: ...
        def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
        def select_run(self, run_id: int, *, show_charts: bool = False) -> None: ...
        def _resume_sweeps(self, sweep_ids: list[int]) -> None: ...
        def _show_sweeps(self) -> None: ...

    def action_offer_resume(self) -> None:
        self._find_interrupted(offer=False)

    @work(thread=True, group="resume", exit_on_error=False, name="Finding interrupted runs")
    def _find_interrupted(self, offer: bool) -> None:
        if offer:  # at start: show the newest stored run right away
            newest = self.store.list_runs(limit=1, descending=True)
            if newest:
                self.call_from_thread(self._show_newest, newest[0].id)
        from core.search.engine import POINT_FINISHED, pending_work, running_elsewhere
        from core.search.results import sweep_title

        sweeps, records = pending_work(self.store)  # runs outside sweeps
        for sweep_id, owner in running_elsewhere(self.store):  # not offered: say why
            title = sweep_title(sweep_id, self.store.get_sweep(sweep_id)["name"])
            self._notify_soon(f"{title} is running in {owner}.", markup=False, timeout=5)
        active = set(self.sweeps.active_ids())
        sweeps = [sweep for sweep in sweeps if sweep["id"] not in active]
        counts: dict[int, str] = {}
        for sweep in sweeps:
            total = self.store.count_runs(sweep_id=sweep["id"])
            done = self.store.count_runs(statuses=POINT_FINISHED, sweep_id=sweep["id"])
            counts[sweep["id"]] = f"{done}/{total} points done" if total else "not started"
        if records or sweeps:
            self.post_message(InterruptedFound(records, sweeps, counts))
        elif not offer:
            self._notify_soon("No interrupted runs or sweeps.", markup=False, timeout=3)

    def _show_newest(self, run_id: int) -> None:
        if self.selected_run is None:
            self.select_run(run_id)

    def on_interrupted_found(self, message: InterruptedFound) -> None:
        records, sweeps = message.records, message.sweeps

        def resume(answer: bool | None) -> None:
            if answer and records:
                self._resume(records)
            if answer and sweeps:
                self._resume_sweeps([sweep["id"] for sweep in sweeps])
                self.call_after_refresh(self._show_sweeps)

        if sweeps:
            self.push_screen(ResumeWork(sweeps, records, message.counts), resume)
        else:
            self.push_screen(ResumeRuns(records), resume)

    @work(thread=True, group="queue", exit_on_error=False, name="Resuming runs")
    def _resume(self, records: list[RunRecord]) -> None:
        added = self.queue.add_existing(records)
        self.queue.schedule()
        self.post_message(QueueChanged())
        self._notify_soon(f"Resuming {len(added)} runs.", markup=False, timeout=3)
