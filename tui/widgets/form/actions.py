"""Running the form (ctrl+r, ctrl+n) and reaching its fields (ctrl+g), mixed into
the app.

They are app actions (``app.run_now``...) so the key line, the command palette and
every pane reach them by the same name; the code lives here, next to the form, and the
app only composes and routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from core.config import RunConfig
from core.datasets import DatasetSpec
from tui.messages import QueueChanged
from tui.session import Session, save_session

if TYPE_CHECKING:
    from textual.widget import Widget

    from core.store import RunStore
    from tui.queue_model import QueueModel
    from tui.widgets.dataset.pane import DatasetPane
    from tui.widgets.form.form import HyperparamForm


class FormActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: the form's config into the queue."""

    if TYPE_CHECKING:  # provided by the app
        store: RunStore
        queue: QueueModel
        form: HyperparamForm
        dataset_pane: DatasetPane
        focused: Widget | None
        screen: Any
        _quitting: bool
        _queue_dirty: bool

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
        def reload_history(self) -> None: ...
        def select_run(self, run_id: int, *, show_charts: bool = False) -> None: ...
        def _modal_open(self) -> bool: ...
        def _switch_tab(self, tab: str) -> None: ...

    def action_run_now(self) -> None:
        self._submit_form(front=True)

    def action_enqueue(self) -> None:
        self._submit_form(front=False)

    def _submit_form(self, *, front: bool) -> None:
        if self._modal_open() or self._quitting:
            return
        config = self.form.read_config()
        spec = self.dataset_pane.read_spec()
        if config is None or spec is None:
            message = self.dataset_pane.refuse_run(config is None)
            self.notify(message, severity="warning", markup=False)
            return
        self._add_run(config, spec, front=front)

    @work(thread=True, group="queue", exit_on_error=False, name="Queueing run")
    def _add_run(self, config: RunConfig, spec: DatasetSpec, *, front: bool) -> None:
        run_id = self.queue.add(config, spec, front=front)
        self.call_from_thread(self._added, run_id, front)
        save_session(self.store, Session(config, spec))  # what was run: the next launch's
        self.queue.schedule()
        self.post_message(QueueChanged())

    def _added(self, run_id: int, front: bool) -> None:
        self._queue_dirty = True
        self.reload_history()
        if front:
            # The charts show the new run, but focus stays where the user typed: the
            # next change to the form is one key away, not `e` and a dozen Tabs.
            self.select_run(run_id, show_charts=not self._focus_in_form())
            if self._focus_in_form():
                self._switch_tab("charts")
        else:
            self.notify(f"Run #{run_id} queued.", markup=False, timeout=3)

    def _focus_in_form(self) -> bool:
        """True while a field of the left column (form or dataset) has focus."""
        left = self.query_one("#left")
        focused = self.focused
        return focused is not None and (focused is left or left in focused.ancestors)

    def action_jump_field(self) -> None:
        """ctrl+g: pick a field by typing part of its name; focus lands in it."""
        if self._modal_open() or self._quitting:
            return
        from tui.widgets.form.jump import FieldJump, field_choices

        def jump(widget_id: str | None) -> None:
            if widget_id:
                self.focus_field(widget_id)

        self.push_screen(FieldJump(field_choices(self.screen)), jump)

    def focus_field(self, widget_id: str) -> None:
        """Show the form column if hidden and focus the field widget ``widget_id``."""
        main = self.query_one("#main")
        main.set_class(main.has_class("-tiny"), "-form-toggled")  # the side with the form
        widget = self.query_one(f"#{widget_id}")
        widget.focus()
        widget.scroll_visible(animate=False)
