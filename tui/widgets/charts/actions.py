"""Which run Charts and Next step are about: selecting a run (from the Queue or
History), loading its stored record and curve, following its epochs while it trains,
and showing an overlay, mixed into the app.

``select_run`` and the message handlers (``on_run_loaded``, ``on_epoch_progress``,
``on_history_pane_highlighted``, ``on_overlay_loaded``) keep their names: the panes, the
tests and the other actions call them. The code lives here, next to the Charts pane.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.widget import Widget
from textual.widgets import Input

from core.datasets import DatasetSpec
from core.errors import PerceptuneError
from core.store import RunRecord
from tui.format import dataset_label
from tui.messages import EpochProgress, OverlayLoaded, RunLoaded
from tui.widgets.charts.pane import RunView
from tui.widgets.history.pane import HistoryPane
from tui.widgets.nextstep.pane import NextStepPane

if TYPE_CHECKING:
    from core.store import RunStore
    from tui.queue_model import QueueModel
    from tui.widgets.charts.pane import ChartsPane

PaneT = TypeVar("PaneT", bound=Widget)


class ChartsActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: the selected run and what shows it."""

    if TYPE_CHECKING:  # provided by the app
        store: RunStore
        queue: QueueModel
        charts: ChartsPane
        focused: Widget | None
        selected_run: int | None
        views: dict[int, RunView]
        records: dict[int, RunRecord]
        overlay: bool
        _queue_dirty: bool
        _charts_dirty: bool

        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def _mounted_panes(self, kind: type[PaneT]) -> list[PaneT]: ...
        def action_show_tab(self, tab: str) -> None: ...
        def _switch_tab(self, tab: str) -> None: ...

    @property
    def selected_record(self) -> RunRecord | None:
        """The stored record of the selected run, once loaded."""
        return self.records.get(self.selected_run) if self.selected_run is not None else None

    def select_run(self, run_id: int, *, show_charts: bool = False) -> None:
        """Make ``run_id`` the run Charts and Next step are about."""
        self.selected_run = run_id
        self.overlay = False
        item = self.queue.get(run_id)
        if item is not None and run_id not in self.views:
            self.views[run_id] = RunView(
                run_id, item.label, item.dataset, item.status, item.epochs, list(item.curve)
            )
        self._charts_dirty = True
        self._load_run(run_id)
        if show_charts:
            self.action_show_tab("charts")

    @work(thread=True, exclusive=True, group="load-run", exit_on_error=False, name="Loading run")
    def _load_run(self, run_id: int) -> None:
        record = self.store.get_run(run_id)
        curve = self.store.curve(run_id)
        self.post_message(RunLoaded(record, curve))

    def on_run_loaded(self, message: RunLoaded) -> None:
        record = message.record
        self.records[record.id] = record
        curve = message.curve
        status = record.status
        if self.queue.status(record.id) == "running":
            status = "running"
            live = self.queue.curve(record.id)
            if len(live) > len(curve):
                curve = list(live)
        self.views[record.id] = RunView(
            run_id=record.id,
            label=record.label,
            dataset_label=_dataset_text(record.dataset),
            status=status,
            planned_epochs=int(record.params.get("epochs") or len(curve) or 1),
            curve=list(curve),
            params=record.params,
            dataset=record.dataset,
            verdict=record.verdict,
            stop_reason=record.stop_reason,
            error=record.error,
        )
        if record.id == self.selected_run:
            self._charts_dirty = True
            for pane in self._mounted_panes(NextStepPane):
                pane.show_record(record)

    def on_epoch_progress(self, message: EpochProgress) -> None:
        self._queue_dirty = True
        if self.queue.status(message.run_id) != "running":
            return  # a late epoch of a run whose outcome (with the whole curve) is in
        view = self.views.get(message.run_id)
        if view is not None and len(message.curve) >= len(view.curve):
            view.curve = list(message.curve)
            view.status = "running"
        if message.run_id == self.selected_run:
            self._charts_dirty = True

    def on_history_pane_highlighted(self, message: HistoryPane.Highlighted) -> None:
        if message.run_id != self.selected_run:
            self.select_run(message.run_id)

    def on_overlay_loaded(self, message: OverlayLoaded) -> None:
        self.overlay = True
        self.charts.show_overlay(message.records, message.curves, message.bands)
        if isinstance(self.focused, Input):  # a lesson ended while the user types
            self._switch_tab("charts")  # show it, but leave the keys to the field
        else:
            self.action_show_tab("charts")


def _dataset_text(dataset: dict[str, Any]) -> str:
    try:
        return DatasetSpec.from_mapping(dataset).label()
    except PerceptuneError:
        return dataset_label(dataset)
