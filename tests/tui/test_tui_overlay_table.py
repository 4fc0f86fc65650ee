"""The overlay's table reaches every run at 80x24 and 120x40 (issue 13, Charts 4): a
narrow pane gives each run two lines (its scores and verdict, then what differs);
runs that do not fit are counted on the table's last line ("+2 more ↓") and ↓/↑
bring them into view; a pane with room shows them all, with no such line."""

from __future__ import annotations

import re

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input
from tui_helpers import settle

from tui.widgets.keybar import KeyBar

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]
#: Five runs that differ in four settings each (short: a few epochs on 200 rows).
RUNS = (
    ("1", "5", "0.0001", "10"),
    ("8,8", "6", "0.001", "10"),
    ("16,16", "5", "0", "5"),
    ("4", "7", "0.01", "3"),
    ("2,2", "5", "0.1", "10"),
)


def shown(widget: Widget) -> list[str]:
    width, height = widget.outer_size
    return [s.text.rstrip() for s in widget.render_lines(Region(0, 0, width, height))]


def runs_in(lines: list[str]) -> set[int]:
    return {int(m) for line in lines for m in re.findall(r"━ #(\d+)", line)}


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_every_overlaid_run_is_reachable(make_app, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for layers, epochs, alpha, patience in RUNS:
            for name, value in (
                ("layers", layers),
                ("epochs", epochs),
                ("alpha", alpha),
                ("n_iter_no_change", patience),
            ):
                app.query_one(f"#f-{name}", Input).value = value
            await pilot.press("ctrl+r")
            await settle(pilot)
        app.history.marked.update({1, 2, 3, 4, 5})
        app.action_overlay()
        await settle(pilot)
        charts = app.charts
        assert charts.overlay_ids == [1, 2, 3, 4, 5]
        charts.focus()
        await pilot.pause(0.1)
        table = charts.query_one("#verdict")
        lines = shown(table)
        assert all(len(line) <= table.outer_size.width for line in lines)
        if size == (120, 40):
            assert runs_in(lines) == {1, 2, 3, 4, 5}  # all of them, no hint
            assert not any("more ↓" in line for line in lines)
            return
        # Narrow: a run's scores and verdict on its line, what differs under it.
        row = next(i for i, line in enumerate(lines) if "━ #1 " in line)
        assert "under" in lines[row] or "good" in lines[row] or "over" in lines[row]
        assert lines[row + 1].strip() == "layers 1 ep 5 alpha 0.0001 patience 10"
        first = runs_in(lines)
        assert 1 in first and len(first) < 5
        hint = lines[-1].strip()
        assert hint == f"+{5 - len(first)} more ↓  (↑↓ scroll)"
        seen = set(first)
        for _ in range(4):
            await pilot.press("down")
            await pilot.pause(0.05)
            seen |= runs_in(shown(table))
        assert seen == {1, 2, 3, 4, 5}  # every run reachable
        lines = shown(table)
        assert 5 in runs_in(lines) and "above" in lines[-1] and "more" not in lines[-1]
        for _ in range(4):
            await pilot.press("up")
        await pilot.pause(0.1)
        assert runs_in(shown(table)) == first
        # Room for them all (the form hidden): all show, no hint, ↓ not needed.
        await pilot.press("down")
        await pilot.press("ctrl+b")
        await settle(pilot)
        lines = shown(table)
        assert runs_in(lines) == {1, 2, 3, 4, 5}
        assert not any("↓" in line or "above" in line for line in lines)
        assert "More runs" not in "".join(shown(app.screen.query_one(KeyBar)))
