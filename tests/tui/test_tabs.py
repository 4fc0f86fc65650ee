"""The right side's tab line: F2-F5 and clicks switch tabs; one pane shows at a time."""

from __future__ import annotations

from tui_helpers import settle, wait_for


def shown_panes(app) -> list[str]:
    return [pane.id for pane in app.query_one("#tab-panes").children if pane.display]


async def test_keys_and_clicks_switch_tabs(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.query_one("#tab-bar")
        text = bar.render().plain
        assert "F2 Charts" in text and "F5 Next step" in text  # keys shown when they fit
        assert app.active_tab == "charts" and shown_panes(app) == ["charts-pane"]
        steps = [("f3", "queue", "queue-pane"), ("f4", "history", "history-pane"),
                 ("f5", "nextstep", "next-pane"), ("f2", "charts", "charts-pane")]  # fmt: skip
        for key, tab, pane in steps:
            await pilot.press(key)
            # A pane still composing (slow machine) is switched to right after it mounts.
            await wait_for(pilot, lambda tab=tab: app.active_tab == tab)
            assert shown_panes(app) == [pane]
        assert app.focused is app.charts
        await pilot.click("#tab-bar", offset=(text.index("History"), 0))
        await pilot.pause()
        assert app.active_tab == "history" and shown_panes(app) == ["history-pane"]
        assert app.focused is app.history.table


async def test_narrow_tab_line_drops_keys_then_shortens_then_follows_the_active_tab(
    make_app,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.query_one("#tab-bar")
        text = bar.render().plain
        assert "Charts" in text and "Next step" in text
        assert "F2" not in text
        await pilot.resize_terminal(62, 24)  # the form keeps 36 columns: 26 for the tabs
        await pilot.pause()
        text = bar.render().plain
        assert text.split() == ["Chart", "Queue", "Hist", "Next"]
        assert len(text) <= bar.size.width
        bar.styles.width = 12  # too narrow even for the short titles
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.active_tab == "nextstep")
        await pilot.pause()
        text = bar.render().plain
        assert "Next" in text and "Chart" not in text  # starts at the active tab
        await pilot.click("#tab-bar", offset=(text.index("Next"), 0))
        await pilot.pause()
        assert app.active_tab == "nextstep"


async def test_a_tab_asked_for_before_its_pane_mounts_still_opens(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        # At once, before the hidden panes (Lazy) are mounted after the first frame.
        assert not app.query("HistoryPane")
        app.action_show_tab("history")
        await settle(pilot)
        assert app.active_tab == "history"
        assert shown_panes(app) == ["history-pane"]
        assert app.focused is app.history.table
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.query("QueuePane")
        app._switch_tab("queue")  # as a sweep launched from the resume offer does
        await settle(pilot)
        assert shown_panes(app) == ["queue-pane"]


async def test_run_selected_before_the_next_step_tab_mounts_gets_its_suggestions(
    make_app, store_path
) -> None:
    first = make_app()
    async with first.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        (record,) = first.store.list_runs()
    app = make_app(path=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        # The run is selected and loaded before the hidden tabs have mounted (Lazy).
        assert not app.query("NextStepPane")
        app.records[record.id] = record
        app.selected_run = record.id
        await settle(pilot)
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.active_tab == "nextstep")
        await settle(pilot)
        assert app.next_step.run_id == record.id
        assert app.next_step.suggestions


async def test_focus_stays_on_the_side_that_shows(make_app) -> None:
    """Below 60 columns only the tabs or the form fit; keys must not go to a hidden
    field, and the key line must show the keys of what is on screen."""
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        assert app.query_one("#main").has_class("-tiny")
        assert app.focused is app.charts  # not the hidden "Hidden layers" field
        layers = app.query_one("#f-layers", Input)
        await pilot.press("l")  # a Charts key (swap in the loss chart), not typed text
        assert layers.value == "6,6"
        assert app.charts.has_class("-loss")
        await pilot.press("ctrl+b")  # the form swaps in, with focus
        await pilot.pause()
        assert app.focused is layers
        await pilot.press("f3")  # a tab key brings the tabs back
        await wait_for(pilot, lambda: app.active_tab == "queue")
        assert app.query_one("#tabs").display and not app.query_one("#left").display
        assert app.focused is app.queue_pane.table
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.focused is app.query_one("#f-layers")
        await pilot.press("ctrl+b")  # hides the form on a wide screen: focus leaves it
        await pilot.pause()
        assert app.focused is app.charts
