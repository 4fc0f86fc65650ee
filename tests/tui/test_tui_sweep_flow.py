"""The sweep builder's wording and memory (issue 13, items 16 and 17), at 80x24 and
120x40: `;` between networks in a Hidden layers list (and the comma trap refused),
messages without TOML tables, the settings kept when the builder is reopened."""

from __future__ import annotations

import pytest
from textual.widgets import Select, Static
from tui_helpers import settle, wait_for

from tui.widgets.sweep.builder import layers_list_problem
from tui.widgets.sweep.wording import NOTHING_SEARCHED, plain_message

SIZES = [(80, 24), (120, 40)]


def test_layers_list_problem_catches_commas_between_networks() -> None:
    assert "separate networks with ;" in layers_list_problem("1, 6,6, 128,128")
    assert "one network of 5 layers" in layers_list_problem("1, 6,6, 128,128")
    for fine in ("1; 6,6; 128,128", "6,6", "6, 6", "32", "1;6,6"):
        assert layers_list_problem(fine) == ""


def test_plain_message_names_rows_not_tables() -> None:
    assert plain_message("sweep: [space]: empty: search at least one") == NOTHING_SEARCHED
    assert plain_message("sweep: [space].lr[1]: expected a positive number, got 'x'") == (
        "Learning rate, value 2: expected a positive number, got 'x'"
    )
    assert plain_message("sweep: [space].n_iter_no_change.int: expected [min, max]") == (
        "Patience range: expected [min, max]"
    )
    assert plain_message("sweep: [search].trials: must be at least 1, got 0") == (
        "Trials: must be at least 1, got 0"
    )
    assert plain_message("no table here") == "no table here"


async def open_builder(pilot):
    from tui.screens.sweep_builder import SweepBuilderScreen

    await pilot.press("f6")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SweepBuilderScreen))
    screen = pilot.app.screen
    await checked(pilot, screen)
    return screen


async def checked(pilot, screen) -> None:
    await pilot.pause(0.05)
    await wait_for(pilot, lambda: not screen.checking)
    await pilot.pause(0.05)


def shown(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.mark.parametrize("size", SIZES)
async def test_layers_list_by_keys_semicolons_and_memory(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await open_builder(pilot)
        # Nothing searched: what to do, in the screen's words.
        assert shown(screen, "#sweep-error") == NOTHING_SEARCHED
        # Hidden layers: fixed -> list, by keys. The value empties so the example shows.
        screen.query_one("#sv-layers").focus()
        await pilot.press("enter", "down", "enter")
        assert screen.builder.modes["layers"] == "list"
        values = screen.builder.value_input("layers")
        assert values.value == "" and ";" in values.placeholder
        assert "; (semicolon)" in shown(screen, "#sweep-help")
        # The comma trap: one 5-layer network nobody means is refused, saying why.
        await pilot.press("tab", *"1, 6,6, 128,128")
        await checked(pilot, screen)
        assert screen.spec is None
        assert "separate networks with ;" in shown(screen, "#sweep-error")
        await pilot.press("ctrl+l")
        await checked(pilot, screen)
        assert app.screen is screen and app.store.list_sweeps() == []
        # With ; it is three networks.
        values.value = "1; 6,6; 128,128"
        await checked(pilot, screen)
        assert screen.error == "" and screen.points == 3
        screen.query_one("#sw-strategy", Select).value = "random"
        await checked(pilot, screen)
        # Closed and opened again: as it was left.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen)
        screen = await open_builder(pilot)
        assert screen.builder.modes["layers"] == "list"
        assert screen.builder.value_input("layers").value == "1; 6,6; 128,128"
        assert screen.query_one("#sw-strategy", Select).value == "random"
        assert screen.error == ""
