"""History's actions (enter, o, e, r, p, v) and reopening a run into the form, mixed
into the app.

They are app actions (``app.overlay``...) so the key line, the command palette and
the panes' bindings reach them by the same name (Charts' ``e`` and ``p`` too); the code
lives here, next to the pane, and the app only composes and routes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import Input

from core.config import RunConfig
from core.datasets import DatasetSpec
from tui.messages import OverlayLoaded, QueueChanged
from tui.widgets.charts.band import read_bands

if TYPE_CHECKING:
    from textual.css.query import DOMQuery

    from core.store import RunStore
    from tui.queue_model import QueueModel
    from tui.widgets.dataset.pane import DatasetPane
    from tui.widgets.form.form import HyperparamForm
    from tui.widgets.history.pane import HistoryPane


class HistoryActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: acts on the selected run."""

    if TYPE_CHECKING:  # provided by the app
        store: RunStore
        queue: QueueModel
        selected_run: int | None
        history: HistoryPane
        form: HyperparamForm
        dataset_pane: DatasetPane

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def _notify_soon(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def query(self, selector: Any) -> DOMQuery[Any]: ...
        def reload_history(self) -> None: ...
        def select_run(self, run_id: int, *, show_charts: bool = False) -> None: ...

    def _selected_record_id(self) -> int | None:
        if self.selected_run is None:
            self.notify("Select a run first.", severity="warning", markup=False, timeout=3)
        return self.selected_run

    def action_show_selected(self) -> None:
        run_id = self.history.selected_id()
        if run_id is not None:
            self.select_run(run_id, show_charts=True)

    def action_overlay(self) -> None:
        ids = sorted(self.history.marked)
        if not ids:
            selected = self.history.selected_id()
            ids = [selected] if selected is not None else []
        if not ids:
            self.notify("Mark runs in History with space first.", markup=False, timeout=3)
            return
        self._load_overlay(ids)

    @work(thread=True, exclusive=True, group="overlay", exit_on_error=False, name="Overlay")
    def _load_overlay(self, ids: list[int]) -> None:
        records = [self.store.get_run(run_id) for run_id in ids]
        curves = self.store.curves(ids)
        bands = read_bands(self.store, records)  # the CV runs' mean ± std
        self.post_message(OverlayLoaded(records, curves, bands))

    def action_edit_selected(self) -> None:
        run_id = self._selected_record_id()
        if run_id is not None:
            self._edit_run(run_id)

    @work(thread=True, group="edit", exit_on_error=False, name="Opening run")
    def _edit_run(self, run_id: int) -> None:
        record = self.store.get_run(run_id)
        config = RunConfig.from_mapping(record.params)
        spec = DatasetSpec.from_mapping(record.dataset)
        self.call_from_thread(self.load_into_form, config, spec, f"run #{run_id}")

    def load_into_form(self, config: RunConfig, spec: DatasetSpec | None, what: str) -> None:
        """Put a config (and dataset) in the form to tweak and run again."""
        self.query_one("#main").remove_class("-form-toggled")
        self.form.load(config)
        if spec is not None:
            self.dataset_pane.load(spec)
        self.query_one("#f-layers", Input).focus()
        self.notify(f"Loaded {what} into the form: change it and press ctrl+r.", markup=False)

    def action_rerun_selected(self) -> None:
        run_id = self._selected_record_id()
        if run_id is not None:
            self._rerun(run_id)

    @work(thread=True, group="queue", exit_on_error=False, name="Rerun")
    def _rerun(self, run_id: int) -> None:
        record = self.store.get_run(run_id)
        if record.status == "interrupted":
            self.queue.add_existing([record])
        elif record.status in ("queued", "running"):
            self._notify_soon(f"Run #{run_id} is {record.status}.", markup=False, timeout=3)
            return
        else:
            self.queue.rerun(record)
        self.queue.schedule()
        self.post_message(QueueChanged())
        self.call_from_thread(self.reload_history)

    # -- export ---------------------------------------------------------------------------

    def action_export_script(self) -> None:
        run_id = self._selected_record_id()
        if run_id is not None:
            self._export_script(run_id)

    @work(thread=True, group="export", exit_on_error=False, name="Export")
    def _export_script(self, run_id: int) -> None:
        from core.export import export_name, python_script, write_new_file

        record = self.store.get_run(run_id)
        path = write_new_file(  # never over an existing file: _2, _3... instead
            Path.cwd(), export_name("run", run_id), lambda name: python_script(record, name)
        )
        self._notify_soon(f"Wrote {path}", title="Exported run", markup=False)

    def action_export_csv(self) -> None:
        history = self.history
        self._export_csv(history.statuses, history.order_by, history.descending)

    @work(thread=True, group="export", exit_on_error=False, name="Export")
    def _export_csv(
        self, statuses: tuple[str, ...] | None, order_by: str, descending: bool
    ) -> None:
        from core.export import export_name, runs_csv, write_new_file

        records = self.store.list_runs(statuses=statuses, order_by=order_by, descending=descending)
        path = write_new_file(Path.cwd(), export_name("runs_csv"), runs_csv(records))
        self._notify_soon(
            f"Wrote {len(records)} runs to {path}", title="Exported history", markup=False
        )
