"""Form and flow (issue 13, items 8-11 and the key line of 20), at 80x24 and 120x40:
reach any field by name, stay in the form after ctrl+r, switches that say On/Off,
dropdowns that leave the key line, toasts off the charts, F1 Help and ctrl+b Form
always on the key line, the form, data and tab remembered per store.

One app session per size does several checks: starting the app is most of the cost.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select
from tui_helpers import settle, wait_for

from tui.widgets.form.jump import FieldChoice, FieldJump, match_fields

SIZES = [(80, 24), (120, 40)]


def choice(name: str, label: str) -> FieldChoice:
    return FieldChoice(f"f-{name}", label, name, "form")


def test_match_fields_ranks_names_labels_and_words() -> None:
    choices = [choice("lr", "Learning rate"), choice("lr_schedule", "LR schedule"),
               choice("n_iter_no_change", "Patience"), choice("alpha", "Alpha (L2)")]  # fmt: skip
    assert [c.name for c in match_fields("lr", choices)] == ["lr", "lr_schedule"]
    assert [c.name for c in match_fields("pat", choices)] == ["n_iter_no_change"]
    assert [c.name for c in match_fields("sched", choices)] == ["lr_schedule"]
    assert [c.name for c in match_fields("l2", choices)] == ["alpha"]
    assert [c.name for c in match_fields("iter", choices)] == ["n_iter_no_change"]
    assert match_fields("zzz", choices) == []
    assert match_fields("  ", choices) == choices


def bar_text(app) -> str:
    return app.query_one("KeyBar").render().plain


@pytest.mark.parametrize("size", SIZES)
async def test_form_flow(make_app, size) -> None:
    from textual.widgets._select import SelectOverlay
    from textual.widgets._toast import Toast

    from core.config import RunConfig
    from tui.widgets.keybar import KeyBar

    app = make_app(config=RunConfig(epochs=20, early_stopping=True))
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        # Item 8: ctrl+g, a few letters, Enter: in Patience without 13 Tabs.
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, FieldJump)
        await pilot.press("p", "a", "t", "enter")
        field = app.query_one("#f-n_iter_no_change", Input)
        assert app.focused is field
        field.value = ""
        await pilot.press("3", "ctrl+r")
        await settle(pilot)
        run = app.store.list_runs()[0]
        assert run.params["n_iter_no_change"] == 3
        # The charts show the run; the cursor is still in Patience for the next change.
        assert app.active_tab == "charts" and app.selected_run == run.id
        assert app.focused is field
        await pilot.press("ctrl+g", "l", "r", "enter")
        assert app.focused is app.query_one("#f-lr", Input)
        await pilot.press("ctrl+g", "escape")
        assert app.focused is app.query_one("#f-lr", Input)

        # Item 11: toasts are short and stay left of the tabs (header, verdict).
        app.notify("Wrote /a/rather/long/path/to/perceptune_run_1.py, and more words", timeout=30)
        await pilot.pause(0.3)
        tabs = app.query_one("#tabs").region
        toasts = list(app.screen.query(Toast))
        assert toasts and all(t.region.width > 0 and t.region.right <= tabs.x for t in toasts)
        app.clear_notifications()

        # Item 10: switches say On / Off, and change by keys.
        nesterov = app.query_one("#f-nesterov")
        assert str(nesterov.render()) == "[x] On"
        assert str(app.query_one("#f-early_stopping").render()) == "[x] On"
        await pilot.press("ctrl+g", *"nest", "enter", "space")
        assert app.focused is nesterov and str(nesterov.render()) == "[ ] Off"
        assert app.form.read_config().nesterov is False

        # Item 10: a dropdown has a border and stops above the key line.
        await pilot.press("ctrl+g", *"data", "enter")
        source = app.query_one("#d-source", Select)
        assert app.focused is source
        await pilot.press("enter")
        await wait_for(pilot, lambda: source.expanded)
        await pilot.pause()
        overlay = source.query_one(SelectOverlay)
        assert overlay.region.bottom <= app.query_one(KeyBar).region.y
        assert overlay.styles.border_top[0] == "round"
        await pilot.press("escape")

        # Item 20: F1 Help and ctrl+b Form stay on the key line in every area; the
        # area's own first key still leads.
        for key, first in (("f2", "Regions"), ("f3", "Run next"), ("f4", "Chart"), ("f5", None)):
            await pilot.press(key)
            await pilot.pause()
            text = bar_text(app)
            assert " f1 Help " in text and " ^b Form " in text, (size, key, text)
            assert len(text) <= size[0]
            if first is not None:
                assert text.split("  ")[0].strip().endswith(first), text


async def test_jump_shows_a_hidden_form_at_any_width(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")  # hide the form; focus goes to the tabs
        await wait_for(pilot, lambda: not app.query_one("#left").display)
        await pilot.press("ctrl+g", *"seed", "enter")
        await pilot.pause()
        assert app.query_one("#left").display
        assert app.focused is app.query_one("#f-seed", Input)
        # Too narrow for both sides: the jump swaps the form in.
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert not app.query_one("#left").display
        await pilot.press("ctrl+g", *"epo", "enter")
        await pilot.pause()
        assert app.focused is app.query_one("#f-epochs", Input)
        assert app.query_one("#left").display and not app.query_one("#tabs").display


def plain_app(path):
    """The app as ``perceptune --store PATH`` opens it: no config or data given."""
    from core.executors import InlineExecutor
    from tui.app import PerceptuneApp

    return PerceptuneApp(path, InlineExecutor(1), 1, snapshot_mode=True)


async def test_form_dataset_and_tab_remembered_per_store(store_path, tmp_path) -> None:
    """Item 9: left at 80x24, reopened at 120x40 as it was; another store (with a
    damaged saved session) opens on the defaults."""
    from core.datasets import DatasetSpec
    from core.store import RunStore
    from tui.session import SESSION_KEY

    app = plain_app(store_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.query_one("#f-epochs", Input).value = "33"
        app.query_one("#f-n_iter_no_change", Input).value = "4"
        app.dataset_pane.load(DatasetSpec(name="circles", n_samples=150, noise=0.3))
        await settle(pilot)
        await pilot.press("f4")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app._exit)
    again = plain_app(store_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        config = again.form.read_config()
        assert (config.epochs, config.n_iter_no_change) == (33, 4)
        assert again.dataset_pane.read_spec() == DatasetSpec(
            name="circles", n_samples=150, noise=0.3
        )
        assert again.active_tab == "history" and again.query_one("#history-pane").display
        assert again.focused is again.query_one("#f-layers")  # typing goes to the form
    other_path = tmp_path / "other.db"
    with RunStore(other_path) as store:
        store.put_setting(SESSION_KEY, {"config": {"epochs": "-3"}, "dataset": 7, "tab": "nope"})
    other = plain_app(other_path)
    async with other.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert other.form.read_config().epochs == 100
        assert other.active_tab == "charts"
