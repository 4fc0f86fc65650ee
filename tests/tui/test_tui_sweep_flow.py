"""The sweep builder's wording and memory (issue 13, items 16 and 17), at 80x24 and
120x40: `;` between networks in a Hidden layers list (and the comma trap refused),
messages without TOML tables, the settings kept when the builder is reopened."""

from __future__ import annotations

import pytest
from textual.widgets import Static
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


def test_param_series_keeps_the_searched_order() -> None:
    from core.search.results import LeaderboardRow, param_series

    def row(run_id: int, layers: list[int], lr: float, test: float) -> LeaderboardRow:
        params = {"layers": layers, "lr": lr}
        return LeaderboardRow(
            rank=run_id, run_id=run_id, status="done", train_accuracy=test, test_accuracy=test,
            gap=0.0, verdict="good fit", n_epochs=5, point=params, params=params,
        )  # fmt: skip

    rows = [row(7, [128, 128], 0.1, 0.9), row(5, [1], 0.01, 0.8), row(6, [6, 6], 0.001, 0.7)]
    layers = param_series(rows, "layers", searched=[(1,), (6, 6), (128, 128)])
    assert layers.categorical and layers.order == ["1", "6,6", "128,128"]
    assert layers.run_ids == [7, 5, 6]
    lr = param_series(rows, "lr", searched=[0.1, 0.01, 0.001])
    assert not lr.categorical and lr.order == [0.1, 0.01, 0.001]


@pytest.mark.parametrize("size", SIZES)
async def test_sweep_builder_and_chart(make_app, size) -> None:
    """Items 16, 17, 19 in one session: a Hidden layers list by keys with ';', the comma
    trap refused, plain messages, the builder as left when reopened, and the results
    chart in the order searched with the highlighted point named."""
    from textual.widgets import Input

    from tui.screens.sweep_results import SweepResultsScreen
    from tui.widgets.sweep.results import ParamPlot

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.query_one("#f-epochs", Input).value = "4"
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
        await pilot.press("tab", *"1, 6,6")
        await checked(pilot, screen)
        assert screen.spec is None
        assert "separate networks with ;" in shown(screen, "#sweep-error")
        await pilot.press("ctrl+l")
        await checked(pilot, screen)
        assert app.screen is screen and app.store.list_sweeps() == []
        # With ; it is three networks (searched in this order).
        values.value = "128,128; 1; 6,6"
        screen.query_one("#sw-seed", Input).value = "5"
        await checked(pilot, screen)
        assert screen.error == "" and screen.points == 3
        # Closed and opened again: as it was left.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen)
        screen = await open_builder(pilot)
        assert screen.builder.modes["layers"] == "list"
        assert screen.builder.value_input("layers").value == "128,128; 1; 6,6"
        assert screen.query_one("#sw-seed", Input).value == "5"
        assert screen.error == "" and screen.points == 3

        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepResultsScreen))
        results = app.screen
        await wait_for(pilot, lambda: results.loaded > 0)
        if results.has_class("-short"):
            await pilot.press("g")  # the charts take the leaderboard's place
        plot = results.query_one(ParamPlot)
        assert plot.data is not None and plot.data.name == "layers"
        assert plot.data.order == ["128,128", "1", "6,6"]
        await pilot.pause()
        # Tick labels under the chart, left to right in the order searched.
        ticks = next(
            line for line in plot.render().plain.splitlines() if "128,128" in line and "6,6" in line
        )
        assert ticks.index("128,128") < ticks.index(" 1 ") < ticks.index("6,6")
        # The highlighted leaderboard point is named on the chart, and follows the cursor.
        first = results.leaderboard.selected_id()
        assert plot.highlight == first and f"◆ #{first}" in plot.render().plain
        results.leaderboard.move_cursor(row=2)
        await pilot.pause()
        other = results.leaderboard.selected_id()
        assert other != first and plot.highlight == other
        assert f"◆ #{other}" in plot.render().plain
