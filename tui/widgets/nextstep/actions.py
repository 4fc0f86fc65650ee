"""The Next step tab's actions: the lesson (l), a chosen suggestion loaded into the
form or queued, and overlaying a finished lesson, mixed into the app.

``action_lesson`` and ``on_next_step_pane_chosen`` keep their names (the command palette
and the pane's message reach them); the code lives here, next to the pane.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.widget import Widget

from core.config import RunConfig
from core.datasets import DatasetSpec
from tui.messages import QueueChanged
from tui.widgets.nextstep.pane import NextStepPane

if TYPE_CHECKING:
    from textual.css.query import DOMQuery

    from tui.queue_model import QueueModel

PaneT = TypeVar("PaneT", bound=Widget)


class NextStepActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: acts on the Next step tab's choices."""

    if TYPE_CHECKING:  # provided by the app
        queue: QueueModel
        next_step: NextStepPane

        def _notify_soon(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def query(self, selector: Any) -> DOMQuery[Any]: ...
        def _mounted_panes(self, kind: type[PaneT]) -> list[PaneT]: ...
        def reload_history(self) -> None: ...
        def load_into_form(
            self, config: RunConfig, spec: DatasetSpec | None, what: str
        ) -> None: ...

    def action_lesson(self) -> None:
        """The palette's "Lesson": the Next step tab owns the action (its key is l)."""
        for pane in self.query(NextStepPane):
            pane.action_lesson()

    def on_next_step_pane_chosen(self, message: NextStepPane.Chosen) -> None:
        pane = self.next_step
        if not 0 <= message.index < len(pane.suggestions):
            return
        suggestion = pane.suggestions[message.index]
        spec = DatasetSpec.from_mapping(pane.dataset) if pane.dataset else None
        if message.load:
            self.load_into_form(suggestion.config, spec, f"'{suggestion.label}'")
            return
        if spec is None:
            return
        self._add_suggestion(suggestion.config, spec, suggestion.label)

    @work(thread=True, group="queue", exit_on_error=False, name="Queueing suggestion")
    def _add_suggestion(self, config: RunConfig, spec: DatasetSpec, label: str) -> None:
        run_id = self.queue.add(config, spec)
        self.queue.schedule()
        self.post_message(QueueChanged())
        self._notify_soon(f"Queued run #{run_id}: {label}", markup=False, timeout=3)
        self.call_from_thread(self.reload_history)

    def _check_lessons(self) -> None:
        """A lesson queued on Next step (l) is overlaid once its runs have ended."""
        for pane in self._mounted_panes(NextStepPane):
            pane.check_lessons()
