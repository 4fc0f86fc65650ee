"""The form shows core's validation messages inline and blocks running."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static, Switch
from tui_helpers import settle

from core.config import RunConfig, parse_field
from core.errors import ConfigError


def core_message(name: str, value: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_field(name, value)
    return caught.value.message


async def type_into(pilot, selector: str, text: str) -> None:
    field = pilot.app.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


async def test_bad_layers_show_core_message_and_block_run(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # The form opens on the textbook defaults.
        assert app.form.read_config() == RunConfig()
        assert app.query_one("#f-solver", Select).value == "adam"
        assert app.query_one("#f-early_stopping", Switch).value is False
        # `?` and pane letters go into a focused Input, not to bindings.
        field = app.query_one("#f-layers", Input)
        field.focus()
        field.value = ""
        await pilot.press("question_mark", "c", "x", "f")
        await pilot.pause()
        assert field.value == "?cxf"
        assert len(app.screen_stack) == 1  # no help screen
        assert app.form.errors["layers"]
        await type_into(pilot, "#f-layers", "6,,6")
        error = app.query_one("#ferr-layers", Static)
        assert str(error.render()) == core_message("layers", "6,,6")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.store.count_runs() == 0
        assert app.queue.items() == []


BAD_VALUES = [("lr", "abc"), ("lr", "0"), ("epochs", "0"), ("alpha", "-1"), ("seed", "x"),
              ("batch_size", "0"), ("momentum", "2")]  # fmt: skip


async def test_each_bad_field_gets_its_message(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for field, text in BAD_VALUES:
            app.query_one(f"#f-{field}", Input).value = text  # validated as on typing
            await pilot.pause()
            assert app.form.errors[field] == core_message(field, text)
            assert app.form.read_config() is None
            await pilot.pause()
            assert str(app.query_one(f"#ferr-{field}", Static).render()) == app.form.errors[field]
            # Fixing the value clears the message.
            app.query_one(f"#f-{field}", Input).value = "1"
            await pilot.pause()
            assert field not in app.form.errors
        assert app.form.read_config() is not None


async def test_bad_dataset_file_shows_one_line_error(make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one("#d-source", Select).value = "csv"
        await pilot.pause()
        path = app.query_one("#d-train", Input)
        path.value = str(tmp_path / "missing.csv")
        await settle(pilot)
        message = app.dataset_pane.data_error
        assert "missing.csv" in message and "\n" not in message
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.store.count_runs() == 0
        # A bad dataset field gets core's message under the field.
        app.query_one("#d-test_size", Input).value = "2"
        await settle(pilot)
        assert "between 0 and 1" in app.dataset_pane.errors["test_size"]


async def test_long_value_scrolls_and_typing_does_not_lay_out_the_screen(make_app) -> None:
    """FieldInput skips Input's whole-screen layout per key; the text still scrolls."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        layouts = []
        original = app.screen._refresh_layout

        def counting(*args, **kwargs):
            layouts.append(1)
            return original(*args, **kwargs)

        app.screen._refresh_layout = counting
        field = app.query_one("#f-lr", Input)
        text = "0.01" + "0" * 33 + "129"  # valid all along: no error line comes or goes
        await type_into(pilot, "#f-lr", text)
        assert field.value == text
        assert "lr" not in app.form.errors
        assert field.size.width < 40
        assert field.scroll_offset.x > 0  # scrolled to keep the cursor in view
        shown = "".join(segment.text for segment in field.render_line(0))
        assert shown.rstrip().endswith("0129")
        layouts.clear()
        await pilot.press("backspace", "backspace")
        await pilot.pause()
        assert field.value == text[:-2]
        assert layouts == []  # the field's box did not change: nothing to lay out
