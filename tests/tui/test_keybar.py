"""The key line at the bottom: the focused area's keys, clickable, whole or left out."""

from __future__ import annotations

from typing import Any

from tui_helpers import settle


def bar_text(app: Any) -> str:
    return app.query_one("KeyBar").render().plain


def shown_descriptions(app: Any) -> list[str]:
    """What Textual says the screen's active, shown bindings are, one per action."""
    seen: dict[str, str] = {}
    for _node, binding, _enabled, _tooltip in app.screen.active_bindings.values():
        if binding.show:
            seen.setdefault(binding.action, binding.description)
    return list(seen.values())


async def test_bar_follows_focus_and_shows_every_key(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        text = bar_text(app)
        for description in shown_descriptions(app):
            assert f" {description} " in text
        assert "Cancel" not in text  # a queue key: the form has focus
        assert text.rstrip().endswith("^p palette")
        await pilot.press("f3")
        await pilot.pause()
        text = bar_text(app)
        assert "Cancel" in text and "Clear finished" in text and "Quit" in text
        for description in shown_descriptions(app):
            assert f" {description} " in text
        await pilot.press("f2")
        await pilot.pause()
        assert "Cancel" not in bar_text(app)


async def test_clicking_a_key_presses_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.queue.set_parallel(0)  # keep the enqueued run waiting, so it can be counted
        text = bar_text(app)
        x = text.index("Enqueue")
        await pilot.click("KeyBar", offset=(x, 0))
        await pilot.pause()
        assert len(app.queue.items()) == 1
        assert app.queue.items()[0].status == "queued"
        await pilot.click("KeyBar", offset=(text.index("Help"), 0))
        await pilot.pause()
        from tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)


async def test_narrow_bar_leaves_keys_out_whole(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(44, 20)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        text = bar_text(app)
        assert len(text) == 44
        assert text.endswith("▏^p palette ")
        keys = text[: text.index("▏")].split("  ")
        assert keys[0].strip().startswith("⏎ Run next")
        descriptions = shown_descriptions(app)
        for key in keys:
            key = key.strip()
            if key:  # each drawn key is a whole "key description"
                assert key.split(" ", 1)[1] in descriptions
        assert "Clear finished" not in text
