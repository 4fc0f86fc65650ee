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
