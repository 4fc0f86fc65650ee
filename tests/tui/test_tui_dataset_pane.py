"""The dataset pane with a CSV file: the column table core.inspection gives (kinds,
missing cells, actions), rows, dropped rows, classes and problems; ``t`` sets the
target and ``x`` toggles a column ignored, and the spec a run gets carries both; an
unusable file's message on ctrl+r; hostile column names shown literally; the pane
scrolls at 80x24 with a hint pinned to the bottom of the left column."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static
from tui_helpers import settle, wait_for

from core.datasets import DatasetSpec
from tui.widgets.dataset import hint as hints
from tui.widgets.dataset.report import short_action, toggled
from tui.widgets.dataset.table import ColumnTable

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SIZES = [(80, 24), (120, 40)]


def csv_spec(name: str, **fields: Any) -> DatasetSpec:
    return DatasetSpec.from_mapping({"train": str(DATA / name), **fields})


def shown(widget: Widget) -> str:
    """What ``widget`` draws now, row by row (the real rendering path)."""
    width, height = widget.outer_size
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join(strip.text.rstrip() for strip in strips)


def flat(widget: Widget) -> str:
    """What ``widget`` draws, its wrapped lines joined with single spaces."""
    return " ".join(shown(widget).split())


def last_toast(app: Any) -> str:
    return list(app._notifications)[-1].message


def rows(app: Any) -> dict[str, tuple[str, str, str]]:
    """Column name -> (kind, NA, action) as the table shows them."""
    table = app.query_one(ColumnTable)
    out = {}
    for index, column in enumerate(table.report_columns):
        cells = [str(getattr(c, "plain", c)).strip() for c in table.get_row_at(index)]
        out[column["name"]] = (cells[1], cells[2], cells[3])
    return out


async def go_to(pilot: Any, name: str) -> None:
    """Focus the column table and put its cursor on column ``name``."""
    table = pilot.app.query_one(ColumnTable)
    table.focus()
    names = [column["name"] for column in table.report_columns]
    table.move_cursor(row=names.index(name))
    await pilot.pause()


def test_short_actions_and_toggles() -> None:
    column = {"name": "x", "kind": "numeric", "missing": 0, "action": "feature"}
    assert short_action(column) == "feature"
    assert short_action({**column, "missing": 3, "action": "imputed (median): 3"}) == "imputed"
    assert short_action({**column, "action": "ignored: --drop"}) == "dropped"
    assert short_action({**column, "kind": "id", "action": "ignored: ID-like"}) == "ignored"
    onehot = {"name": "c", "kind": "categorical", "missing": 0, "distinct": 4,
              "action": "one-hot: 4 columns (--keep)"}  # fmt: skip
    assert short_action(onehot) == "one-hot 4 (kept)"
    # Used -> --drop; dropped -> back; ignored by the rules -> --keep; kept -> back.
    assert toggled("x", column, None, None) == ("x", None)
    assert toggled("x", column, "a,x", None) == ("a", None)
    ignored = {**column, "kind": "text", "action": "ignored: free text"}
    assert toggled("x", ignored, "a", None) == ("a", "x")
    assert toggled("x", ignored, None, "x,b") == (None, "b")


async def test_the_table_lists_kinds_actions_rows_and_classes(make_app: Any) -> None:
    """Text columns, NA, R row names, an id and a date column, ';' with decimal commas."""
    app = make_app(dataset=csv_spec("survey_text.csv"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = rows(app)
        assert table["id"] == ("id", "0", "ignored")
        # ISO dates are expanded into numbers (core: "expanded: weekday ..."): used.
        assert table["date"] == ("date", "0", "feature")
        assert table["Sex"] == ("category", "5", "one-hot 2")
        assert table["Height"] == ("number", "26", "imputed")
        assert table["Age"] == ("number", "0", "feature")
        assert table["Smoke"][::2] == ("target", "target")
        info = flat(app.query_one("#d-info", Static))
        assert "233 of 237 rows used, 4 dropped (no target)" in info
        assert "Never: 196" in info and "Heavy: 7" in info
        # Warnings and notes listed together, nothing refused.
        assert "looks like an ID" in flat(app.query_one("#d-warnings", Static))
        assert app.dataset_pane.data_error == ""
        # The highlighted column's full action, with the keys.
        await go_to(pilot, "Sex")
        line = flat(app.query_one("#d-column", Static))
        assert "imputed (most frequent): 5 missing" in line and "x ignores it" in line

        # A loaded spec's reading options (no field of their own) stay in the spec.
        app.dataset_pane.load(csv_spec("cars_excel.csv", sep=";", decimal=","))
        await settle(pilot)
        spec = app.dataset_pane.read_spec()
        assert spec is not None and (spec.sep, spec.decimal) == (";", ",")
        table = rows(app)
        assert table["Model"] == ("text", "0", "ignored")
        assert table["Price"] == ("number", "4", "imputed")  # decimal commas, empty cells
        assert table["AirBags"] == ("category", "0", "one-hot 3")  # 'None' is a category
        assert table["Origin"][2] == "target"

        app.dataset_pane.load(csv_spec("penguins_r.csv", target="species"))
        await settle(pilot)
        assert rows(app)["unnamed 1"] == ("index", "0", "ignored")  # R's row names
        assert rows(app)["comments"][2] == "ignored"
    assert app.return_code in (None, 0)


async def test_target_and_toggle_keys_set_the_spec_and_the_table(make_app: Any) -> None:
    """penguins_r.csv's last column is not the class: the run keys point to the pane;
    t on 'species' fixes it; x drops a column and uses an ignored one; the run queued
    from the form carries the target and --drop/--keep."""
    app = make_app(dataset=csv_spec("penguins_r.csv"))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        pane = app.dataset_pane
        assert "only one class" in pane.data_error
        assert "only one class" in flat(app.query_one("#d-problems", Static))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert last_toast(app) == "The CSV can't be used: see the Dataset pane."
        assert app.store.count_runs() == 0

        await go_to(pilot, "species")
        await pilot.press("t")
        await settle(pilot)
        spec = pane.read_spec()
        assert spec is not None and spec.target == "species"
        assert pane.data_error == "" and rows(app)["species"][2] == "target"
        assert app.query_one("#d-problems").has_class("-off")
        assert "Adelie" in flat(app.query_one("#d-info", Static))

        await go_to(pilot, "island")
        await pilot.press("x")
        await settle(pilot)
        assert rows(app)["island"][2] == "dropped"
        assert pane.read_spec().drop == "island"
        await go_to(pilot, "unnamed 1")
        await pilot.press("x")
        await settle(pilot)
        assert rows(app)["unnamed 1"][2] == "feature (kept)"
        assert pane.report is not None and pane.report.inputs == 8  # 10 - island's 3 + 1
        app.queue.set_parallel(0)  # queued, not trained: only the stored spec matters
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: app.store.count_runs() == 1)
        (record,) = app.store.list_runs()
        assert record.dataset["target"] == "species"
        assert (record.dataset["drop"], record.dataset["keep"]) == ("island", "unnamed 1")

        # x again: back to the automatic choices.
        await go_to(pilot, "island")
        await pilot.press("x")
        await settle(pilot)
        await go_to(pilot, "unnamed 1")
        await pilot.press("x")
        await settle(pilot)
        spec = pane.read_spec()
        assert (spec.drop, spec.keep) == (None, None)
        assert rows(app)["island"][2] == "one-hot 3"
        # The target cannot be toggled; another file forgets the column choices.
        await go_to(pilot, "species")
        await pilot.press("x")
        await pilot.pause()
        assert "is the target" in last_toast(app)
        await go_to(pilot, "sex")
        await pilot.press("x")
        await settle(pilot)
        app.query_one("#d-train").value = str(DATA / "cars_excel.csv")
        app.query_one("#d-target").value = ""
        await settle(pilot)
        spec = pane.read_spec()
        assert spec is not None and spec.drop is None and pane.data_error == ""
    assert app.return_code in (None, 0)


async def test_red_fields_and_a_bad_file_say_both(make_app: Any) -> None:
    app = make_app(dataset=csv_spec("penguins_r.csv"))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        app.query_one("#f-epochs").value = "x"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert last_toast(app) == (
            "Fix the fields marked in red first; the CSV can't be used: see the Dataset pane."
        )
        app.query_one("#f-epochs").value = "5"
        await pilot.pause()
        await pilot.press("f6")  # the sweep builder takes its data from the pane too
        await pilot.pause()
        assert last_toast(app) == "The CSV can't be used: see the Dataset pane."
        app.query_one("#f-epochs").value = "x"
        app.dataset_pane.load(csv_spec("penguins_r.csv", target="species"))
        await settle(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert last_toast(app) == "Fix the fields marked in red first."
        assert app.store.count_runs() == 0


def hostile_columns_csv(root: Path) -> Path:
    """Markup and control characters in column names (a header cannot hold a newline)."""
    path = root / "hostile.csv"
    # Not "[" first: core reads a file that starts with "[" as JSON.
    names = ["n", "[/b]", "[red]x[/red]", "z\x1b[31m", "a,b", "label"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for i in range(40):
            label = "yes" if i % 2 else "no"
            writer.writerow([i % 4 * 0.5, i % 7, f"t{i % 3}", i % 5 * 0.5, i % 2, label])
    return path


async def test_hostile_column_names_show_literally(make_app: Any, tmp_path: Path) -> None:
    path = hostile_columns_csv(tmp_path)
    app = make_app(dataset=DatasetSpec.from_mapping({"train": str(path)}))
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot)
        table = shown(app.query_one(ColumnTable))
        pane = app.dataset_pane
        why = (table, pane.data_error, pane.report is not None, app.query_one(ColumnTable).size)
        for name in ("[/b]", "[red]x[/red]", "z\\x1b[31m", "a,b"):
            assert name in table, why
        assert "\x1b" not in table
        await go_to(pilot, "[red]x[/red]")
        assert "[red]x[/red]: category" in flat(app.query_one("#d-column", Static))
        await pilot.press("t")
        await settle(pilot)
        assert app.dataset_pane.read_spec().target == "[red]x[/red]"
        assert "target [red]x[/red]" in flat(app.query_one("#d-info", Static))
        # Names --drop cannot hold are refused, shown escaped.
        await go_to(pilot, "z\x1b[31m")
        await pilot.press("x")
        await pilot.pause()
        assert "z\\x1b[31m" in last_toast(app)
        assert app.dataset_pane.read_spec().drop is None
        await go_to(pilot, "[/b]")
        await pilot.press("x")
        await settle(pilot)
        assert app.dataset_pane.read_spec().drop == "[/b]"
    assert app.return_code in (None, 0)


async def test_the_pane_scrolls_at_80x24_with_a_hint(make_app: Any) -> None:
    app = make_app(dataset=csv_spec("cars_excel.csv"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        left, hint = app.query_one("#left"), app.query_one("#left-hint", Static)
        assert hint.display and str(hint.content) == hints.BELOW
        assert "Dataset below" in shown(hint)
        assert left.scroll_y == 0  # the form on top, the pane out of sight
        # Tab into the pane: it scrolls into view, the hint says what is above.
        app.query_one(ColumnTable).focus()
        await settle(pilot)
        await wait_for(pilot, lambda: left.scroll_y > 0)  # scrolling waits for a refresh
        assert str(hint.content) in (hints.ABOVE, hints.MORE_BELOW)
        # A click on the hint goes back up, and down again.
        # (Each change shows after a refresh: waited for, not slept on, under load.)
        left.scroll_end(animate=False)
        await wait_for(pilot, lambda: str(hint.content) == hints.ABOVE)
        await pilot.click("#left-hint")
        await wait_for(pilot, lambda: left.scroll_y == 0 and str(hint.content) == hints.BELOW)
        await pilot.click("#left-hint")
        await wait_for(pilot, lambda: left.scroll_y > 0)
        # An unusable file: the hint says so while the pane is out of sight.
        app.dataset_pane.load(csv_spec("penguins_r.csv"))
        left.scroll_home(animate=False)
        await settle(pilot)
        assert str(hint.content) == hints.UNUSABLE_BELOW and hint.has_class("-error")
        await pilot.press("ctrl+r")
        # The message points to the pane: it is brought into view.
        await wait_for(pilot, lambda: left.scroll_y > 0)
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_snapshot_pane_with_a_csv(snap_compare: Any, make_app: Any, size: Any) -> None:
    """The table focused on 'Price' (the pane scrolled into view at 80x24)."""
    # Relative to the test's folder (the current directory): the path shows on screen.
    shutil.copy(DATA / "cars_excel.csv", "cars_excel.csv")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await go_to(pilot, "Price")
        await settle(pilot)
        if size == (80, 24):  # the focused table scrolls into view after a refresh
            left = pilot.app.query_one("#left")
            table, screen = pilot.app.query_one(ColumnTable), pilot.app.screen
            if not screen.can_view_entire(table):
                # What focusing does (Screen.set_focus), once the pane is laid out: on
                # a loaded machine the focus can come before the table has its rows,
                # and its scroll then finds nothing to do (full runs waited in vain).
                screen.scroll_to_center(table, animate=False, origin_visible=True)
            await wait_for(pilot, lambda: left.scroll_y > 0)
            # Not scroll_y == scroll_target_y: a layout after the scroll may clamp
            # scroll_y and leave the target where it was.
            await pilot.wait_for_animation()
            await settle(pilot)
        pilot.app.clear_notifications()

    app = make_app(dataset=DatasetSpec.from_mapping({"train": "cars_excel.csv"}))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_report_is_cached_on_the_file_and_its_settings(
    make_app: Any, tmp_path: Path
) -> None:
    """Scale and the split seed do not read the file again; an edited file is read
    again (its size and modification time are part of the key)."""
    from core import inspection

    path = tmp_path / "heart.csv"
    shutil.copy(DATA / "heart_small.csv", path)
    app = make_app(dataset=DatasetSpec.from_mapping({"train": str(path)}))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.dataset_pane.report
        assert first is not None and first.rows == 200
        app.query_one("#d-scale").value = False
        app.query_one("#d-split_seed").value = "7"
        await settle(pilot)
        assert app.dataset_pane.read_spec().split_seed == 7
        assert app.dataset_pane.report is first  # the cached report: not parsed again
        with open(path, "a") as handle:
            handle.write("50,120,200,150,1.0,maybe\n")
        app.query_one("#d-split_seed").value = "8"
        await settle(pilot)
        report = app.dataset_pane.report
        assert report is not first and report.rows == 201 and "maybe" in report.classes
        assert report is inspection.inspect_csv(str(path))  # core's cache holds it
    assert app.return_code in (None, 0)


async def test_a_wide_file_scrolls_inside_the_table(make_app: Any, tmp_path: Path) -> None:
    """30 columns at 80x24: the table keeps its height and scrolls to the cursor."""
    path = tmp_path / "wide.csv"
    names = [f"f{i}" for i in range(30)]
    lines = [",".join([*names, "y"])]
    for r in range(30):
        lines.append(",".join([*(str((r * (i + 3)) % 11) for i in range(30)), str(r % 2)]))
    path.write_text("\n".join(lines) + "\n")
    app = make_app(dataset=DatasetSpec.from_mapping({"train": str(path)}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one(ColumnTable)
        assert table.row_count == 31 and table.size.height <= 12
        table.focus()
        await wait_for(pilot, lambda: table.has_focus)  # the keys go to the table
        await pilot.press("pagedown", "pagedown", "pagedown")
        await wait_for(pilot, lambda: table.current_column()["name"] == "y")
        await wait_for(pilot, lambda: table.scroll_y > 0)  # scrolled at the next refresh
        assert table.current_column()["name"] == "y"
        assert "y: the target" in flat(app.query_one("#d-column", Static))
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_the_scale_switch_says_on_or_off(make_app: Any, size: tuple[int, int]) -> None:
    """The Scale switch draws its state in text, as the form's switches do (Textual's
    own Switch drew a blank slider there); space turns scaling off and the run's data
    says so."""
    from tui.widgets.onoff import OFF_TEXT, ON_TEXT, OnOffSwitch

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        switch = app.query_one("#d-scale", OnOffSwitch)
        switch.focus()  # scrolls the pane into view at 80x24
        await settle(pilot)
        assert shown(switch) == ON_TEXT
        # On screen, beside its label (not hidden by the form at 80x24).
        region = switch.region
        assert app.screen.get_widget_at(region.x, region.y)[0] is switch
        label = app.query_one("#dlbl-scale")
        assert label.region.y == region.y and "Scale" in shown(label)
        await pilot.press("space")
        await settle(pilot)
        assert shown(switch) == OFF_TEXT
        assert app.dataset_pane.read_spec().scale is False
    assert app.return_code in (None, 0)
