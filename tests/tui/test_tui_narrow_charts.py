"""The Charts tab reads whole at 80x24 with the form shown (issue 13, item 20): the
run's title keeps its status, epochs and scores (on two lines, the name cut with "…"),
the verdict and why the run stopped are not cut, the decision regions' legend fits;
and on a light theme no curve is drawn in yellow or white (they vanish on white)."""

from __future__ import annotations

import pytest
from textual.color import Color
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, Static
from tui_helpers import settle

from tui.widgets.charts.plots import LIGHT_SWAPS, readable, rich_color

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]
#: Foreground colours that do not read on a light background.
PALE = {"yellow", "bright_yellow", "white", "bright_white"}


def shown(widget: Widget) -> list[str]:
    """What ``widget`` draws now, row by row."""
    width, height = widget.outer_size
    return [s.text.rstrip() for s in widget.render_lines(Region(0, 0, width, height))]


async def run_form(pilot, **fields: str) -> None:
    for name, value in fields.items():
        pilot.app.query_one(f"#f-{name}", Input).value = value
    await pilot.press("ctrl+r")
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_title_and_verdict_are_whole_with_the_form_shown(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await run_form(pilot, epochs="500")  # scikit-learn stops it early
        (record,) = app.store.list_runs()
        n, charts = record.n_epochs, app.charts
        assert app.query_one("#form").display  # the form takes the left column
        title = app.query_one("#chart-title", Static)
        lines = shown(title)
        width = title.content_region.width
        scores = f"train {record.train_accuracy:.3f} test {record.test_accuracy:.3f}"
        # Status, epochs and scores whole; the name first, cut with "…" when narrow.
        assert 1 <= len(lines) <= 2 and all(len(line) <= width + 2 for line in lines)
        assert lines[-1].strip().endswith(scores) and "done" in lines[-1]
        assert f"{n}/500" in lines[-1]
        assert lines[0].strip().startswith(f"#{record.id} 6,6 ")
        if size == (80, 24):
            assert len(lines) == 2 and lines[0].rstrip().endswith("…")
        # The verdict and the full stop reason, nothing cut.
        verdict = " ".join(line.strip() for line in shown(app.query_one("#verdict"))[1:])
        assert verdict.split(":")[0].strip() == record.verdict["verdict"]
        assert (
            f"stopped at epoch {n} of 500: loss did not improve by tol=0.0001 for 10 epochs"
            " (patience)"
        ) in verdict
        static = app.query_one("#verdict", Static)
        region = static.content_region  # all of it shows:
        assert static.visual.get_height(static.styles, region.width) <= region.height
        # The decision regions' legend fits the pane: beside the curves (wide), in
        # the accuracy chart's place (narrow, d).
        regions = charts.regions
        if size == (80, 24):
            await pilot.press("d")
            await settle(pilot)
            where = charts.accuracy
            assert not regions.display and shown(where)[0].startswith("decision regions")
        else:
            where = regions
            assert regions.display
        assert regions.ready
        # One line: "test points o=0  x=1 · black: wrong", or without "test points".
        legend = [line for line in shown(where) if "x=1" in line]
        assert len(legend) == 1 and "o=0" in legend[0], shown(where)
        assert legend[0].rstrip().endswith("· black: wrong")
        assert all(len(line) <= where.size.width for line in shown(where))


def test_light_theme_swaps_the_pale_colours() -> None:
    assert {readable(c, dark=False) for c in LIGHT_SWAPS} & {"orange", "white"} == set()
    assert readable("orange", dark=True) == "orange" and rich_color("orange") == "yellow"
    assert rich_color("orange", dark=False) not in PALE
    assert readable("red", dark=False) == "red"  # the test curve as on a dark theme


#: Yellow, white, bright yellow and bright white among the 16 standard colours.
PALE_NUMBERS = (3, 7, 11, 15)


def is_mark(char: str) -> bool:
    """A curve's braille dots or a dotted series' dot (not the axes or their labels)."""
    return "\u2801" <= char <= "\u28ff" or char in "•●"


def pale_pixels(widget: Widget) -> list[str]:
    """Curve marks drawn in yellow or white: the standard colours (which Textual turns
    into the theme's own shades of them) or their Rich names."""
    palette = widget.app.ansi_theme.ansi_colors
    pale = {Color(*palette[number]).hex.lower() for number in PALE_NUMBERS}
    found = []
    for strip in widget.render_lines(Region(0, 0, *widget.outer_size)):
        for segment in strip:
            color = segment.style.color if segment.style else None
            if color is None or not any(map(is_mark, segment.text)):
                continue
            if color.name in PALE or Color.from_rich_color(color).hex.lower() in pale:
                found.append(segment.text)
    return found


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_a_light_theme_draws_no_curve_in_yellow_or_white(make_app, size) -> None:
    """The overlay's third and fifth runs (yellow and white on a dark theme) and the
    loss curve (yellow) are drawn in colours that read on white; back on a dark
    theme, the colours come back."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.theme = "textual-light"
        for layers in ("1", "2", "3", "4", "5"):
            app.query_one("#f-layers", Input).value = layers
            app.query_one("#f-epochs", Input).value = "5"
            await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("f2")
        app.select_run(1, show_charts=True)
        await settle(pilot)
        if charts_short := app.charts.short:
            await pilot.press("l")  # the loss chart
            await settle(pilot)
        assert app.charts.loss.series and not pale_pixels(app.charts.loss)
        if charts_short:
            await pilot.press("l")
        app._load_overlay([1, 2, 3, 4, 5])
        await settle(pilot)
        plot = app.charts.accuracy
        assert len(plot.series) == 10  # test and train of each run
        assert not pale_pixels(plot)
        app.theme = "textual-dark"
        await settle(pilot)
        assert pale_pixels(plot)  # the dark theme's own colours are back
