"""SVG snapshots of the main screens at 80x24 and 120x40 (cursor blink off, no
durations on screen, notifications cleared). Update with
``pytest tests/tui --snapshot-update`` and look at the SVGs."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import settle

SIZES = [(80, 24), (120, 40)]


def quiet(app) -> None:
    app.clear_notifications()


async def one_run(pilot) -> None:
    app = pilot.app
    await settle(pilot)
    app.query_one("#f-epochs", Input).value = "40"
    app.query_one("#f-lr", Input).value = "0.05"
    await pilot.press("ctrl+r")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    "tab", ["f2", "f3", "f4", "f5"], ids=["charts", "queue", "history", "next"]
)
def test_main_screens(snap_compare, make_app, size, tab) -> None:
    async def run_before(pilot) -> None:
        await one_run(pilot)
        await pilot.press(tab)
        await settle(pilot)
        quiet(pilot.app)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_help_screen(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_invalid_form(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        field = pilot.app.query_one("#f-layers", Input)
        field.focus()
        field.value = ""
        await pilot.press(*"6,,6")
        await pilot.press("ctrl+r")
        await settle(pilot)
        quiet(pilot.app)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_overlay(snap_compare, make_app, size) -> None:
    """Three runs that differ in layers and epochs, overlaid: a colour each, test lines
    and train dots, and the table of what differs with the verdicts."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        for layers, epochs in (("1", "40"), ("6,6", "40"), ("16,16", "120")):
            app.query_one("#f-layers", Input).value = layers
            app.query_one("#f-epochs", Input).value = epochs
            await pilot.press("ctrl+r")
            await settle(pilot)
        app.history.marked.update({1, 2, 3})
        await pilot.press("f4")
        await settle(pilot)
        app.action_overlay()
        await settle(pilot)
        quiet(app)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
