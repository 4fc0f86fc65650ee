"""What a key redraws: focus moves repaint the widgets they touch, not the screen."""

from __future__ import annotations

from tui_helpers import settle


async def test_focus_moves_do_not_repaint_the_whole_screen(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        compositor = app.screen._compositor
        full_updates = []
        original = compositor.render_full_update

        def counting(*args, **kwargs):
            full_updates.append(1)
            return original(*args, **kwargs)

        compositor.render_full_update = counting
        first = app.focused
        await pilot.press("tab", "tab", "shift+tab")
        await pilot.pause()
        assert app.focused is not first  # focus did move
        assert full_updates == []


async def test_form_border_marks_focus_within(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form, dataset = app.form, app.dataset_pane
        assert form.has_class("-focus-within") and not dataset.has_class("-focus-within")
        await pilot.press("tab")
        await pilot.pause()
        assert form.has_class("-focus-within")  # moved inside the form: still marked
        app.query_one("#d-noise").focus()
        await pilot.pause()
        assert dataset.has_class("-focus-within") and not form.has_class("-focus-within")
        await pilot.press("f3")
        await pilot.pause()
        assert not form.has_class("-focus-within")
        assert not dataset.has_class("-focus-within")
