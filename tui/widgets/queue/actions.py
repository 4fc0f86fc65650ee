"""The Queue tab's actions (enter, c, r, x, u, d, f, + and -), mixed into the app.

They are app actions (``app.queue_cancel``...) so the key line, the command palette
and the Queue table's bindings reach them by the same name; the code lives here, next
to the pane it acts on, and the app only composes and routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from tui.messages import QueueChanged

if TYPE_CHECKING:
    from tui.queue_model import QueueModel
    from tui.widgets.queue.pane import QueuePane


class QueueActions:
    """Mixin for :class:`~tui.app.PerceptuneApp`: acts on the highlighted queue row."""

    if TYPE_CHECKING:  # provided by the app
        queue: QueueModel
        queue_pane: QueuePane
        _queue_dirty: bool

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def _notify_soon(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def reload_history(self) -> None: ...
        def _redraw(self) -> None: ...
        def _schedule(self) -> None: ...
        def select_run(self, run_id: int, *, show_charts: bool = False) -> None: ...

    def _queue_selection(self) -> int | None:
        run_id = self.queue_pane.selected_id()
        if run_id is None:
            self.notify("The queue is empty.", severity="warning", markup=False, timeout=3)
        return run_id

    @work(thread=True, group="queue", exit_on_error=False, name="Queue")
    def _queue_op(self, operation: Callable[[], Any], refuse: str = "") -> None:
        result = operation()
        if result is False and refuse:
            self._notify_soon(refuse, severity="warning", markup=False, timeout=4)
        self.queue.schedule()
        self.post_message(QueueChanged())
        self.call_from_thread(self.reload_history)

    def action_queue_cancel(self) -> None:
        run_id = self._queue_selection()
        if run_id is not None:
            self._queue_op(lambda: self.queue.cancel(run_id), f"Run #{run_id} has already ended.")

    def action_queue_remove(self) -> None:
        run_id = self._queue_selection()
        if run_id is not None:
            self._queue_op(
                lambda: self.queue.remove(run_id),
                f"Run #{run_id} is training: cancel it first (c).",
            )

    def action_queue_retry(self) -> None:
        run_id = self._queue_selection()
        if run_id is not None:
            self._queue_op(
                lambda: self.queue.retry(run_id) is not None,
                f"Run #{run_id} has not ended yet.",
            )

    def action_queue_move(self, delta: int) -> None:
        run_id = self._queue_selection()
        if run_id is None:
            return
        if self.queue.move(run_id, delta):
            self._queue_dirty = True
            self._redraw()
            ids = self.queue.ids()
            self.queue_pane.table.move_cursor(row=ids.index(run_id), animate=False)

    def action_queue_run_now(self) -> None:
        run_id = self._queue_selection()
        if run_id is None:
            return
        if self.queue.to_front(run_id):
            self._queue_dirty = True
            self._schedule()
            if self.queue.parallel == 0:  # nothing starts: say why, and what starts it
                self.notify(
                    f"Run #{run_id} is next, but workers are 0 (paused): press + to start.",
                    severity="warning",
                    markup=False,
                    timeout=4,
                )
        self.select_run(run_id)

    def action_queue_clear(self) -> None:
        self.queue.clear_finished()
        self._queue_dirty = True

    def action_workers(self, delta: int) -> None:
        before = self.queue.parallel
        after = self.queue.set_parallel(before + delta)
        if after == before and delta > 0:
            from core.executors import max_workers, workers_range

            more = (
                "(start perceptune with --workers N for more)"
                if self.queue.max_parallel < max_workers()
                else f"(perceptune allows {workers_range()})"
            )
            self.notify(
                f"At most {self.queue.max_parallel} workers: the pool size {more}.",
                markup=False,
                timeout=4,
            )
        self._queue_dirty = True
        self._schedule()
