"""SIGTERM quits the app like ctrl+q, in process: a real signal to this process reaches
the app through the event loop (SIGHUP takes the same path). The tmux tests
(``test_tmux_signals.py``) check both with a real terminal and process."""

from __future__ import annotations

import os
import signal
from typing import Any

from tui_helpers import press_busy, wait_for

from core.config import RunConfig

#: Trains until it is stopped.
ENDLESS = RunConfig(epochs=100_000, n_iter_no_change=100_000)


async def test_sigterm_leaves_running_and_waiting_runs_interrupted(make_app: Any) -> None:
    before = signal.getsignal(signal.SIGTERM)
    app = make_app(config=ENDLESS)
    async with app.run_test(size=(120, 40)) as pilot:
        await press_busy(pilot, "ctrl+n", "ctrl+n", "ctrl+n")
        await wait_for(pilot, lambda: len(app.queue.ids()) == 3 and app.queue.running_ids())
        await wait_for(pilot, lambda: app.queue.curve(app.queue.running_ids()[0]))
        # Only with the app's handler in place: the default would end the test run.
        assert signal.SIGTERM in app._signal_handlers
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(pilot, lambda: app._exit)
    assert app.return_code == 128 + signal.SIGTERM
    assert [r.status for r in app.store.list_runs()] == ["interrupted"] * 3
    assert signal.getsignal(signal.SIGTERM) == before  # given back when the app ended
