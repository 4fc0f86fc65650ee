"""Helpers for the TUI tests: wait until the app has settled."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any


def app_busy(app: Any) -> bool:
    queue = app.queue
    if queue.running_ids() or (queue.pending_ids() and queue.parallel > 0):
        return True
    if any(worker.is_running for worker in app.workers):
        return True
    if app.charts.regions_busy:
        return True
    return app.dataset_pane.describing


async def workers_done(app: Any) -> None:
    """Wait for the app's workers; a failed one is the app's to report, and a cancelled
    one (an exclusive worker replaced by a newer one) is expected, not ours."""
    from textual.worker import WorkerCancelled, WorkerFailed

    with contextlib.suppress(WorkerFailed, WorkerCancelled):
        await app.workers.wait_for_complete()


async def settle(pilot: Any, timeout: float = 30.0) -> None:
    """Wait until no run trains or waits to start, every worker has finished, the
    dataset is described, and the redraw timer has shown the result."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await workers_done(app)
        await pilot.pause(0.05)
        if not app_busy(app):
            break
    else:
        raise AssertionError("the app did not settle")
    await workers_done(app)
    # What the next redraw tick (every REDRAW_INTERVAL_S) would show, shown now: the
    # tick's own callback, then the chart builds it starts, then a frame.
    app._redraw()
    await workers_done(app)
    await pilot.pause(0.05)
    await screen_settled(pilot)


async def screen_settled(pilot: Any, timeout: float = 5.0) -> None:
    """Wait until the screen has laid out and painted what changed: a widget shown a
    moment ago (a class toggled, a table filled) has no size until the screen's next
    update, and a DataTable works out its rows' height when idle, which a loaded
    machine can delay past a fixed pause. Best effort: gives up quietly after
    ``timeout`` (the test's own assertion then says what is missing)."""
    from textual.widgets import DataTable

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot._wait_for_screen()
        screen = pilot.app.screen
        pending = (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._recompose_required
            or screen._dirty_widgets
            or screen._callbacks
            or any(table._require_update_dimensions for table in screen.query(DataTable))
        )
        if not pending:
            return
        await pilot.pause(0.02)


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def quiet(app: Any) -> None:
    """Snapshot hygiene: no toasts (they expire on a timer)."""
    app.clear_notifications()


async def press_busy(pilot: Any, *keys: str) -> None:
    """Press keys while a run trains in this process. ``pilot.press`` waits until the
    CPU is idle after each key, which never happens while a thread trains; this posts
    the keys like the terminal driver does and gives the app a moment for each."""
    import asyncio

    for key in keys:
        pilot.app.simulate_key(key)
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)


async def quit_through_the_dialog(pilot: Any) -> None:
    """ctrl+q while something trains: the dialog asks, y quits; wait for the exit."""
    from tui.screens.confirm_quit import ConfirmQuit

    await press_busy(pilot, "ctrl+q")
    assert isinstance(pilot.app.screen, ConfirmQuit)
    await press_busy(pilot, "y")
    await wait_for(pilot, lambda: pilot.app._exit)
