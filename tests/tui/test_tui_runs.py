"""Running from the form, the queue, cancel, resizing mid-run, quit and resume."""

from __future__ import annotations

import re
import time

from textual.widgets import Input
from tui_helpers import press_busy, quit_through_the_dialog, settle, wait_for

from core.config import RunConfig
from core.errors import NotFoundError


def set_field(app, name: str, value: str) -> None:
    app.query_one(f"#f-{name}", Input).value = value


async def start_long_run(pilot, epochs: int = 100_000, after: int = 2) -> None:
    """ctrl+r on a run that trains until stopped (no early stop on tolerance); returns
    once it has trained ``after`` epochs."""
    app = pilot.app
    await settle(pilot)
    set_field(app, "epochs", str(epochs))
    set_field(app, "n_iter_no_change", "100000")
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: app.queue.items() and app.queue.items()[0].epoch >= after)


async def test_ctrl_r_gives_a_finished_run_with_train_and_test_series(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        started = time.monotonic()
        await pilot.press("ctrl+r")
        await settle(pilot)
        elapsed = time.monotonic() - started
        (record,) = app.store.list_runs()
        assert record.status == "done"
        assert record.n_epochs == 100
        assert RunConfig.from_mapping(record.params) == RunConfig()
        series = {s.label: s for s in app.charts.accuracy.series}
        assert set(series) == {"train", "test"}
        assert len(series["train"].xs) == len(series["test"].xs) == record.n_epochs
        assert series["test"].ys[-1] == record.test_accuracy
        assert app.charts.loss.series[0].label == "loss"
        verdict = str(app.query_one("#verdict").render())
        assert record.verdict["verdict"] in verdict
        assert re.search(r"test \d\.\d{3}\b", verdict)
        # Redraws are rate-limited (~10/s), however many epochs came in.
        assert app.charts.draws <= elapsed / 0.1 + 5
        row = app.queue_pane.table.get_row(str(record.id))
        assert f"{record.test_accuracy:.3f}" in [str(cell) for cell in row]


async def test_queue_move_remove_and_clear_finished(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("minus")  # 0 workers: the queue waits
        assert app.queue.parallel == 0
        for epochs in ("5", "6", "7"):
            set_field(app, "epochs", epochs)
            await pilot.press("ctrl+n")
            await settle(pilot)
        assert app.queue.pending_ids() == [1, 2, 3]
        table = app.queue_pane.table
        assert table.row_count == 3
        table.move_cursor(row=2)
        await pilot.press("u")
        assert app.queue.pending_ids() == [1, 3, 2]
        await pilot.press("u")
        assert app.queue.pending_ids() == [3, 1, 2]
        await pilot.press("d")
        assert app.queue.pending_ids() == [1, 3, 2]
        table.move_cursor(row=0)
        await pilot.pause()
        await pilot.press("x")
        await settle(pilot)
        assert app.queue.pending_ids() == [3, 2]
        try:
            app.store.get_run(1)
            raise AssertionError("a removed waiting run must leave the store")
        except NotFoundError:
            pass
        await pilot.press("plus")
        await settle(pilot)
        assert [r.status for r in app.store.list_runs()] == ["done", "done"]
        assert [r.n_epochs for r in app.store.list_runs(order_by="id")] == [6, 7]
        await pilot.press("f")
        await pilot.pause(0.2)
        assert app.queue.items() == []
        assert table.row_count == 0
        assert app.store.count_runs() == 2


async def test_retry_queues_a_new_run_with_the_same_settings(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        set_field(app, "epochs", "8")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("f3", "r")
        await settle(pilot)
        first, second = app.store.list_runs(order_by="id")
        assert second.params == first.params and second.status == "done"


async def test_cancel_a_running_run(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_long_run(pilot, after=3)
        await press_busy(pilot, "f3")
        # The Queue pane mounts on its first showing: c goes to it once it has focus.
        await wait_for(pilot, lambda: app.focused is app.queue_pane.table)
        await press_busy(pilot, "c")
        await settle(pilot)
        (record,) = app.store.list_runs()
        assert record.status == "cancelled"
        assert 3 <= record.n_epochs < 100_000
        assert app.queue.items()[0].status == "cancelled"


async def test_resize_to_40x12_mid_run_and_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_long_run(pilot, 400)
        await pilot.resize_terminal(40, 12)
        await pilot.pause(0.3)
        assert app.query_one("#main").has_class("-tiny")
        await press_busy(pilot, "ctrl+b")  # the form swaps in at tiny sizes
        assert app.query_one("#left").display
        await press_busy(pilot, "ctrl+b", "f3", "f4", "f2")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert not app.query_one("#main").has_class("-tiny")
        (record,) = app.store.list_runs()
        assert record.status == "done" and record.n_epochs == 400
        assert len(app.charts.accuracy.series[0].xs) == 400


async def test_quit_leaves_active_runs_interrupted_and_offers_resume(make_app) -> None:
    from tui.screens.confirm_quit import ConfirmQuit
    from tui.screens.resume import ResumeRuns

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_long_run(pilot)
        await press_busy(pilot, "ctrl+q")
        assert isinstance(app.screen, ConfirmQuit)
        await press_busy(pilot, "escape")  # stay
        assert not isinstance(app.screen, ConfirmQuit)
        await quit_through_the_dialog(pilot)
    (record,) = app.store.list_runs()
    assert record.status == "interrupted"

    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, ResumeRuns))
        await press_busy(pilot, "r")
        await wait_for(pilot, lambda: again.queue.running_ids() == [record.id])
        await wait_for(pilot, lambda: again.queue.items()[0].epoch >= 1)
        again.queue.cancel(record.id)
        await settle(pilot)
    assert again.store.get_run(record.id).status == "cancelled"


async def test_quit_without_active_runs_does_not_ask(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_busy(pilot, "ctrl+q")
        await wait_for(pilot, lambda: app._exit)
    assert app.return_code == 0
