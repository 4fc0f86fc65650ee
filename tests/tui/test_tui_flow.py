"""Form and flow (issue 13, items 8-11): reach any field by name, stay in the form after
ctrl+r, switches that say On/Off, the key line that keeps Help and Form, at 80x24 and
120x40."""

from __future__ import annotations

import pytest
from textual.widgets import Input
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


@pytest.mark.parametrize("size", SIZES)
async def test_jump_to_patience_then_run_keeps_focus_in_form(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, FieldJump)
        await pilot.press("p", "a", "t", "enter")
        await pilot.pause()
        field = app.query_one("#f-n_iter_no_change", Input)
        assert app.focused is field
        field.value = ""
        await pilot.press("3")
        await pilot.press("ctrl+r")
        await settle(pilot)
        run = app.store.list_runs()[0]
        assert run.params["n_iter_no_change"] == 3
        # The charts show the run, the cursor is still in Patience for the next change.
        assert app.active_tab == "charts"
        assert app.selected_run == run.id
        assert app.focused is field
        # Another field, a few keys away.
        await pilot.press("ctrl+g", "l", "r", "enter")
        assert app.focused is app.query_one("#f-lr", Input)
        await pilot.press("ctrl+g", "escape")
        assert app.focused is app.query_one("#f-lr", Input)


async def test_jump_shows_the_hidden_form(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")  # hide the form; focus goes to the tabs
        await wait_for(pilot, lambda: not app.query_one("#left").display)
        await pilot.press("ctrl+g", "s", "e", "e", "d", "enter")
        await pilot.pause()
        assert app.query_one("#left").display
        assert app.focused is app.query_one("#f-seed", Input)


async def test_jump_to_a_field_in_a_tiny_terminal(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(50, 20)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.press("ctrl+g", "e", "p", "o", "enter")
        await pilot.pause()
        assert app.focused is app.query_one("#f-epochs", Input)
        assert app.query_one("#left").display and not app.query_one("#tabs").display


def plain_app(path):
    """The app as ``perceptune --store PATH`` opens it: no config or data given."""
    from core.executors import InlineExecutor
    from tui.app import PerceptuneApp

    return PerceptuneApp(path, InlineExecutor(1), 1, snapshot_mode=True)


@pytest.mark.parametrize("size", SIZES)
async def test_form_dataset_and_tab_remembered_per_store(store_path, tmp_path, size) -> None:
    from core.datasets import DatasetSpec

    app = plain_app(store_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.query_one("#f-epochs", Input).value = "33"
        app.query_one("#f-n_iter_no_change", Input).value = "4"
        app.dataset_pane.load(DatasetSpec(name="circles", n_samples=150, noise=0.3))
        await settle(pilot)
        await pilot.press("f4")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app._exit)
    again = plain_app(store_path)
    async with again.run_test(size=size) as pilot:
        await settle(pilot)
        config = again.form.read_config()
        assert (config.epochs, config.n_iter_no_change) == (33, 4)
        assert again.dataset_pane.read_spec() == DatasetSpec(
            name="circles", n_samples=150, noise=0.3
        )
        assert again.active_tab == "history"
        assert again.query_one("#history-pane").display
        assert again.focused is again.query_one("#f-layers")  # typing goes to the form
    # Another store starts from the defaults: settings are per store.
    other = plain_app(tmp_path / "other.db")
    async with other.run_test(size=size) as pilot:
        await settle(pilot)
        assert other.form.read_config().epochs == 100
        assert other.active_tab == "charts"


async def test_a_damaged_saved_session_opens_on_the_defaults(store_path) -> None:
    from core.store import RunStore
    from tui.session import SESSION_KEY

    with RunStore(store_path) as store:
        store.put_setting(SESSION_KEY, {"config": {"epochs": "-3"}, "dataset": 7, "tab": "nope"})
    app = plain_app(store_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.form.read_config().epochs == 100
        assert app.active_tab == "charts"


@pytest.mark.parametrize("size", SIZES)
async def test_switches_say_on_or_off(make_app, size) -> None:
    from core.config import RunConfig

    app = make_app(config=RunConfig(early_stopping=True))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        nesterov = app.query_one("#f-nesterov")
        early = app.query_one("#f-early_stopping")
        assert str(nesterov.render()) == "[x] On" and str(early.render()) == "[x] On"
        await pilot.press("ctrl+g", *"nest", "enter", "space")
        assert app.focused is nesterov
        assert str(nesterov.render()) == "[ ] Off"
        assert app.form.read_config().nesterov is False


@pytest.mark.parametrize("size", SIZES)
async def test_dropdown_has_a_border_and_leaves_the_key_line(make_app, size) -> None:
    from textual.widgets import Select
    from textual.widgets._select import SelectOverlay

    from tui.widgets.keybar import KeyBar

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g", *"data", "enter")
        source = app.query_one("#d-source", Select)
        assert app.focused is source
        await pilot.press("enter")
        await wait_for(pilot, lambda: source.expanded)
        await pilot.pause()
        overlay = source.query_one(SelectOverlay)
        keybar = app.query_one(KeyBar)
        assert overlay.region.bottom <= keybar.region.y  # the keys stay readable
        assert overlay.styles.border_top[0] == "round"
        await pilot.press("escape")


@pytest.mark.parametrize("size", SIZES)
async def test_toasts_stay_off_the_charts(make_app, size) -> None:
    from textual.widgets._toast import Toast

    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.press("ctrl+r")
        await settle(pilot)
        app.notify("Wrote /a/rather/long/path/to/perceptune_run_1.py, and more words", timeout=30)
        await pilot.pause(0.3)
        toasts = list(app.screen.query(Toast))
        assert toasts
        tabs = app.query_one("#tabs").region
        for toast in toasts:
            assert toast.region.width > 0
            assert toast.region.right <= tabs.x  # never over the chart header or verdict
