"""The app over the store's background queue: ctrl+n queues in the store, a real
detached runner trains, the app follows the store live; quitting leaves the runner
training ("keep training" in the quit dialog), and a new app on the store re-attaches
to the run in flight and stops it all ("stop all")."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from conftest import FAST_DATASET
from textual.widgets import Input
from tui_helpers import wait_for

from core.executors import InlineExecutor
from core.queue_runner import RunnerOptions
from core.queue_store import StoredQueue
from core.store import RunStore, _pid_alive
from tui.screens.keep_training import KeepTraining
from tui.widgets.history.pane import HistoryPane

LONG = "100000"


def set_field(app, name: str, value: str) -> None:
    app.query_one(f"#f-{name}", Input).value = value


def stored(store_path: Path, run_id: int):
    with RunStore(store_path) as store:
        return store.get_run(run_id)


def runner_pid(store_path: Path) -> int | None:
    with RunStore(store_path) as store:
        runner = StoredQueue(store).runner()
        return None if runner is None else runner.pid


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.05)


async def test_the_queue_trains_in_the_background_and_outlives_the_app(store_path: Path) -> None:
    from tui.app import PerceptuneApp

    options = RunnerOptions(idle_exit_s=1)
    app = PerceptuneApp(store_path, InlineExecutor(1), 1, dataset=FAST_DATASET,
                        snapshot_mode=True, background=options)  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            set_field(app, "epochs", "30")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: app.queue.status(1) == "done", timeout=60)
            assert len(app.queue.curve(1)) == 30  # the runner's epochs, read from the store
            assert stored(store_path, 1).status == "done"
            assert any(
                line.endswith("run 1 started")
                for line in Path(f"{store_path}.log").read_text().splitlines()
            )

            set_field(app, "epochs", LONG)
            set_field(app, "n_iter_no_change", LONG)
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: len(app.queue.curve(2)) >= 2, timeout=60)
            assert app.queue.status(2) == "running"
            await pilot.press("ctrl+q")
            assert isinstance(app.screen, KeepTraining)
            await pilot.press("k")  # keep training in the background
            await wait_for(pilot, lambda: app._exit, timeout=10)
        after_quit = stored(store_path, 2).n_epochs
        wait_until(lambda: stored(store_path, 2).n_epochs > after_quit + 5)
        assert stored(store_path, 2).status == "running"

        again = PerceptuneApp(store_path, InlineExecutor(1), 1, snapshot_mode=True,
                              background=options)  # fmt: skip
        async with again.run_test(size=(120, 40)) as pilot:
            # Re-attached: the run in flight, its curve from where it is, still rising.
            await wait_for(pilot, lambda: again.queue.status(2) == "running", timeout=20)
            seen = len(again.queue.curve(2))
            assert seen > after_quit
            await wait_for(pilot, lambda: len(again.queue.curve(2)) > seen, timeout=20)
            # The Queue's config and data cells read as History's (what differs).
            item = next(i for i in again.queue.items() if i.run_id == 2)
            assert (item.settings, item.data) == (f"6,6 ep={LONG} pat={LONG}", "moons n=200")
            # A run another process stores (a CLI `run`) shows up in History by itself.
            with RunStore(store_path) as other:
                outside = other.create_run({"epochs": 3}, {"name": "moons"}, status="done")

            def in_history() -> bool:  # the tab mounts after the first frame (Lazy)
                panes = again._mounted_panes(HistoryPane)
                return bool(panes) and any(r.id == outside for r in panes[0].records)

            await wait_for(pilot, in_history, timeout=20)
            await pilot.press("ctrl+q")
            assert isinstance(again.screen, KeepTraining)
            await pilot.press("s")  # stop all: written to the store, the runner obeys
            await wait_for(pilot, lambda: again._exit, timeout=30)
        # The runner obeys the stop on its own, after the app has gone.
        wait_until(lambda: stored(store_path, 2).status == "cancelled")
        assert stored(store_path, 2).stop_reason.startswith("cancelled")
    finally:
        pid = runner_pid(store_path) if store_path.exists() else None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not _pid_alive(pid), timeout=20)


SWEEP = """
[dataset]
name = "moons"
n_samples = 120

[fixed]
epochs = 5

[space]
lr = [0.01, 0.1]
layers = [[4], [8]]
"""


async def test_a_sweep_launched_from_the_app_trains_in_the_background(store_path: Path) -> None:
    from core.search.sweepfile import parse_sweep
    from tui.app import PerceptuneApp

    app = PerceptuneApp(store_path, InlineExecutor(1), 1, dataset=FAST_DATASET,
                        snapshot_mode=True, background=RunnerOptions(idle_exit_s=1))  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.2)
            app._launch_sweep(parse_sweep(SWEEP))
            await wait_for(pilot, lambda: app.sweeps.get(1) is not None, timeout=20)
            await wait_for(pilot, lambda: app.sweeps.get(1).status == "done", timeout=60)
            assert app.sweeps.get(1).done == 4 and app.sweeps.get(1).best is not None
        with RunStore(store_path) as store:
            assert store.get_sweep(1)["status"] == "done"
            assert {r.status for r in store.list_runs(sweep_id=1)} == {"done"}
        log = Path(f"{store_path}.log").read_text()
        assert "sweep 1 done" in log  # trained by the runner, not by the app
    finally:
        pid = runner_pid(store_path) if store_path.exists() else None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not _pid_alive(pid), timeout=20)
