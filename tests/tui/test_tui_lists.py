"""History and Queue read right (issue 13, items 12, 13, 15), at 80x24 and 120x40:
a settings and a data column that tell runs apart, verdicts not cut, train before test
in both tables, space marks without moving, the cursor on the newest run, an early
stop shown as a full bar, Enter with 0 workers says why nothing starts."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import settle, wait_for

from core.config import RunConfig
from tui.settings_text import data_text, settings_text, short_verdict

SIZES = [(80, 24), (120, 40)]


def test_settings_text_names_every_changed_setting() -> None:
    assert settings_text(RunConfig().to_dict()) == "6,6"
    config = RunConfig(layers=(128, 128), epochs=50, n_iter_no_change=3, tol=0.01, seed=None)
    assert settings_text(config.to_dict()) == "128,128 ep=50 tol=0.01 pat=3 seed=random"
    assert settings_text({"layers": [6, 6], "solver": "sgd", "nesterov": False}) == (
        "6,6 sgd no-nesterov"
    )
    assert settings_text({"layers": "garbage"}) == "—"  # a damaged row, not an error
    assert data_text({"name": "moons", "n_samples": 200, "noise": 0.3}) == "moons noise=0.3 n=200"
    assert data_text({"name": "iris", "test_size": 0.5}) == "iris test=0.5"
    verdicts = ("underfitting", "good fit", "overfitting", "unstable")
    assert [short_verdict(v) for v in verdicts] == ["under", "good", "over", "unstable"]


def screen_text(app) -> str:
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


async def enqueue_with_patience(pilot, patience: str) -> None:
    pilot.app.query_one("#f-n_iter_no_change", Input).value = patience
    await pilot.press("ctrl+n")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_history_and_queue(make_app, size) -> None:
    # tol=0.5: scikit-learn stops after n_iter_no_change epochs without such a gain,
    # long before the 200 planned.
    app = make_app(config=RunConfig(epochs=200, tol=0.5, n_iter_no_change=2))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await enqueue_with_patience(pilot, "2")
        await enqueue_with_patience(pilot, "3")
        await pilot.press("f4")
        await wait_for(pilot, lambda: app.history.table.row_count == 2)
        await pilot.pause()
        table = app.history.table
        labels = [str(column.label) for column in table.columns.values()]
        assert labels[:7] == ["✓", "#", "train", "test", "gap", "verdict", "settings"]
        rows = [table.get_row_at(i) for i in range(2)]
        # Two runs that differ only in patience never read the same.
        assert [str(row[6]) for row in rows] == [
            "6,6 ep=200 tol=0.5 pat=3",
            "6,6 ep=200 tol=0.5 pat=2",
        ]
        assert [str(row[7]) for row in rows] == ["moons n=200"] * 2
        # The cursor opens on the newest run, and that is the run the keys act on.
        assert table.cursor_row == 0 and app.history.selected_id() == 2
        assert app.selected_run == 2
        summary = str(app.query_one("#history-summary").render())
        assert summary == "2 runs · sort newest ↓ · filter all"  # one line at 80 columns
        assert app.query_one("#history-summary").size.height == 1
        # The verdict fits whole on screen, even at 80 columns.
        verdict = str(rows[0][5])
        assert verdict in ("under", "good", "over", "unstable")
        assert f" {verdict} " in screen_text(app)
        # Space marks the run under the cursor and leaves the cursor there.
        await pilot.press("space")
        assert app.history.marked == {2} and table.cursor_row == 0
        await pilot.press("space")
        assert app.history.marked == set() and table.cursor_row == 0
        # Moved down, the cursor stays on its run when a new one arrives.
        await pilot.press("down")
        before = app.history.loaded
        await enqueue_with_patience(pilot, "4")
        await wait_for(pilot, lambda: app.history.loaded > before and table.row_count == 3)
        assert app.history.selected_id() == 1

        # Queue: train before test as in History; an early stop is a full bar.
        await pilot.press("f3")
        await pilot.pause()
        queue = app.queue_pane.table
        labels = [str(column.label) for column in queue.columns.values()]
        assert labels.index("train") < labels.index("test")
        item = next(i for i in app.queue.items() if i.run_id == 1)
        assert item.status == "done" and 0 < item.epoch < 200
        row = [i.run_id for i in app.queue.items()].index(1)
        assert str(queue.get_row_at(row)[4]) == f"████████ {item.epoch}/200 early stop"
        # Its config and data cells read as History's: what differs from the defaults.
        cells = {i.run_id: queue.get_row_at(n) for n, i in enumerate(app.queue.items())}
        assert [str(cells[n][5]) for n in (1, 2)] == [
            "6,6 ep=200 tol=0.5 pat=2",
            "6,6 ep=200 tol=0.5 pat=3",
        ]
        assert str(cells[1][6]) == "moons n=200"
        # 0 workers: Enter on a waiting run says why it does not start.
        await pilot.press("minus")
        await settle(pilot)
        assert app.queue.parallel == 0
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: len(app.queue.items()) == 4)
        await pilot.pause(0.2)
        queue.move_cursor(row=[i.run_id for i in app.queue.items()].index(4))
        await pilot.press("enter")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("workers are 0 (paused): press + to start" in m for m in messages)
        assert app.queue.status(4) == "queued"
