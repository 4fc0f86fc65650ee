"""Epochs another process commits reach the screen after the app's redraw throttling:
progress is taken at the redraw tick (not a message per poll), and several epochs
committed between two ticks show as the latest one, in the Queue row and the chart
title alike; the Queue summary says when fewer workers are set than runs train."""

from __future__ import annotations

from pathlib import Path

from conftest import FAST_DATASET
from textual.css.query import NoMatches
from tui_helpers import wait_for

from core.config import RunConfig
from core.executors import InlineExecutor
from core.queue_runner import RunnerOptions
from core.queue_store import StoredQueue
from core.results import EpochPoint
from core.store import RunStore

EPOCHS = 1000


def progress_cell(app, run_id: int) -> str:
    """The Queue row's progress cell as drawn (``██░░ 7/1000``); empty while the row
    is not there yet (the pane mounts after the first frame, the row at a tick)."""
    try:
        table = app.queue_pane.table
    except NoMatches:
        return ""
    if str(run_id) not in [row.key.value for row in table.ordered_rows]:
        return ""
    return str(table.get_row(str(run_id))[4])


def title(app) -> str:
    return str(app.query_one("#chart-title").render())


async def test_epochs_committed_elsewhere_reach_the_queue_row_and_the_title(
    store_path: Path,
) -> None:
    from tui.app import PerceptuneApp

    # This test stands in for the runner: it claims the queued run and commits its
    # epochs through a connection of its own, as the runner process would.
    writer = RunStore(store_path)
    queue = StoredQueue(writer)
    run_id, _ = queue.add(RunConfig(epochs=EPOCHS), FAST_DATASET)
    other, _ = queue.add(RunConfig(epochs=EPOCHS), FAST_DATASET)
    for claimed in (run_id, other):  # running, owned by a live process: no runner starts
        assert queue.claim(claimed)
    queue.set_workers(2)
    # workers None: the store's setting (2) stays, as on a plain `perceptune` launch.
    app = PerceptuneApp(store_path, InlineExecutor(1), None, dataset=FAST_DATASET,
                        snapshot_mode=True, background=RunnerOptions(idle_exit_s=1))  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f3")
            await wait_for(pilot, lambda: app.queue.status(run_id) == "running")
            await wait_for(pilot, lambda: f" 0/{EPOCHS}" in progress_cell(app, run_id))

            writer.add_epoch(run_id, EpochPoint(1, 0.6, 0.55, 0.9))
            await wait_for(pilot, lambda: f" 1/{EPOCHS}" in progress_cell(app, run_id))
            # Many epochs between two redraw ticks: the row lands on the latest.
            for epoch in range(2, 41):
                writer.add_epoch(run_id, EpochPoint(epoch, 0.7, 0.65, 0.5))
            await wait_for(pilot, lambda: f" 40/{EPOCHS}" in progress_cell(app, run_id))
            assert "0.700" in [str(cell) for cell in app.queue_pane.table.get_row(str(run_id))]

            app.select_run(run_id, show_charts=True)  # the chart title follows it too
            await wait_for(pilot, lambda: f"epoch 40/{EPOCHS}" in title(app))
            writer.add_epoch(run_id, EpochPoint(41, 0.75, 0.7, 0.4))
            await wait_for(pilot, lambda: f"epoch 41/{EPOCHS}" in title(app))
            assert len(app.queue.curve(run_id)) == 41
            # Hidden meanwhile, the Queue row catches up when it shows again.
            await pilot.press("f3")
            await wait_for(pilot, lambda: f" 41/{EPOCHS}" in progress_cell(app, run_id))
            # Fewer workers than runs in flight (`queue workers 1` elsewhere): said.
            summary = app.query_one("#queue-summary")
            assert "new runs wait" not in str(summary.render())
            queue.set_workers(1)
            note = "workers 1/"
            await wait_for(pilot, lambda: note in str(summary.render()))
            assert "(2 running: new runs wait until fewer than 1 run)" in str(summary.render())
            for ended in (run_id, other):
                writer.finish_run(ended, "cancelled", stop_reason="cancelled by the test")
            await wait_for(pilot, lambda: str(summary.render()).startswith("0 running"))
            assert "new runs wait" not in str(summary.render())
    finally:
        writer.close()


async def test_a_foreground_run_of_another_process_is_followed_in_charts(
    store_path: Path,
) -> None:
    from tui.app import PerceptuneApp

    # A CLI `run` in another terminal: stored as running, never in the queue; this
    # test commits its epochs through a connection of its own, as that process would.
    writer = RunStore(store_path)
    config = RunConfig(epochs=EPOCHS)
    run_id = writer.create_run(
        config.to_dict(), FAST_DATASET.to_dict(), status="running", label="cli run"
    )
    writer.add_epoch(run_id, EpochPoint(1, 0.6, 0.55, 0.9))
    app = PerceptuneApp(store_path, InlineExecutor(1), None, dataset=FAST_DATASET,
                        snapshot_mode=True, background=RunnerOptions(idle_exit_s=1))  # fmt: skip
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            app.select_run(run_id, show_charts=True)
            await wait_for(pilot, lambda: f"epoch 1/{EPOCHS}" in title(app))
            for epoch in range(2, 26):
                writer.add_epoch(run_id, EpochPoint(epoch, 0.7, 0.65, 0.5))
            # No key pressed: the chart follows the other process's epochs ...
            await wait_for(pilot, lambda: f"epoch 25/{EPOCHS}" in title(app))
            assert app.queue.status(run_id) is None  # not the queue's run
            assert len(app.views[run_id].curve) == 25
            # ... and its end.
            writer.finish_run(run_id, "cancelled", stop_reason="cancelled by the test")
            await wait_for(pilot, lambda: app.views[run_id].status == "cancelled")
            await wait_for(pilot, lambda: "cancelled" in title(app))
    finally:
        writer.close()


def test_a_cancelled_run_is_not_shown_stopping_once_it_has_ended(store_path: Path) -> None:
    """The runner ends a cancelled run, then takes it off the stored queue: a look in
    between still reads its cancel flag, and the run must not stay "cancelled…"."""
    from tui.background_queue import BackgroundQueue

    writer = RunStore(store_path)
    queue = StoredQueue(writer)
    run_id, _ = queue.add(RunConfig(epochs=EPOCHS), FAST_DATASET)
    assert queue.claim(run_id)
    following = BackgroundQueue(str(store_path), RunnerOptions(idle_exit_s=1))
    try:
        following._refresh(force=True)
        queue.cancel([run_id])  # asked: the run is stopping
        following._refresh(force=True)
        assert following.items()[0].stopping
        writer.finish_run(run_id, "cancelled", stop_reason="cancelled by the user")
        following._refresh(force=True)  # ended, still on the stored queue
        assert following.items()[0].status == "cancelled"
        assert not following.items()[0].stopping
        queue.remove(run_id)  # the runner's clean-up
        following._refresh(force=True)
        assert not following.items()[0].stopping
    finally:
        following.close()
        writer.close()


def test_the_follower_looks_when_asked_and_says_so_after_the_progress(
    store_path: Path, monkeypatch
) -> None:
    """The app's redraw tick asks for a look (``poll_soon``) instead of the follower
    looking every 50 ms: with the idle poll made far longer than the test, an epoch
    committed elsewhere still arrives at once when asked, and ``on_polled`` (the app's
    cue to redraw) comes after the progress it found."""
    import threading

    import tui.background_queue as background_queue
    from tui.background_queue import BackgroundQueue

    monkeypatch.setattr(background_queue, "IDLE_POLL_S", 60.0)
    writer = RunStore(store_path)
    queue = StoredQueue(writer)
    run_id, _ = queue.add(RunConfig(epochs=EPOCHS), FAST_DATASET)
    assert queue.claim(run_id)  # running, owned by this live process: no runner starts
    events: list[tuple[str, int]] = []
    polled = threading.Event()

    def on_polled() -> None:
        events.append(("polled", 0))
        polled.set()

    following = BackgroundQueue(
        str(store_path),
        RunnerOptions(idle_exit_s=1),
        on_progress=lambda rid, curve: events.append(("progress", curve[-1].epoch)),
        on_polled=on_polled,
    )
    try:
        following.start()
        following.poll_soon()  # the first look: the run, no epochs yet
        assert polled.wait(10)
        polled.clear()
        events.clear()
        writer.add_epoch(run_id, EpochPoint(1, 0.6, 0.55, 0.9))
        writer.add_epoch(run_id, EpochPoint(2, 0.7, 0.6, 0.8))
        following.poll_soon()
        assert polled.wait(10), "asked for a look, none came"
        assert events == [("progress", 2), ("polled", 0)]
        assert following.items()[0].epoch == 2
        # Nothing new: a look that finds nothing is not announced.
        events.clear()
        polled.clear()
        following.poll_soon()
        assert not polled.wait(0.5)
        assert events == []
    finally:
        following.close()
        writer.close()
