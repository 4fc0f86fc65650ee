"""The lesson from the Next step tab (l) and the palette: the runs core.lesson defines,
queued on the current data, overlaid on the charts with their verdicts once they end;
the help's "reading the curves"; the colour of ``unstable``."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Input, Markdown, Static
from tui_helpers import settle, wait_for

from core.datasets import DatasetSpec
from core.diagnosis import READING_THE_CURVES
from core.lesson import LESSON_DATASET, lesson_configs
from tui.format import VERDICT_COLORS, verdict_color

EXPECTED = ["underfitting", "good fit", "overfitting", "unstable"]


def queued_lesson(app: Any) -> list[Any]:
    return [r for r in app.store.list_runs(order_by="id") if r.label.startswith("lesson: ")]


def assert_lesson(records: list[Any], dataset: DatasetSpec) -> None:
    """``records`` are the lesson's runs exactly as ``perceptune lesson`` builds them."""
    runs = lesson_configs(dataset)
    assert [r.params for r in records] == [run.config.to_dict() for run in runs]
    assert [r.label for r in records] == [f"lesson: {run.label}" for run in runs]
    assert all(r.dataset == dataset.to_dict() for r in records)


def screen_text(app: Any) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_l_on_next_step_queues_the_lesson_on_the_current_data(make_app) -> None:
    app = make_app()  # moons with 200 rows: the user's choice, kept
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.queue.set_parallel(0)  # keep them waiting: what is queued is what counts
        # A bare l typed into a form field is text, not the lesson.
        await pilot.press("end", "l")
        assert app.query_one("#f-layers", Input).value.endswith("l")
        assert not app.store.list_runs()
        # Bad data: the lesson says so and queues nothing.
        noise = app.query_one("#d-noise", Input)
        good_noise = noise.value
        noise.value = "lots"
        await pilot.press("f5")
        await pilot.press("l")
        await settle(pilot)
        assert not app.store.list_runs()
        assert any("dataset fields" in n.message for n in app._notifications)
        noise.value = good_noise
        await pilot.press("f5", "l")
        await wait_for(pilot, lambda: len(app.queue.items()) == 4)
        await settle(pilot)
        records = queued_lesson(app)
        assert_lesson(records, app.initial_dataset)
        assert [item.status for item in app.queue.items()] == ["queued"] * 4
        assert any("Queued the lesson" in n.message for n in app._notifications)
        assert app.next_step.lessons.pending() == [tuple(r.id for r in records)]
        assert not app.overlay


async def test_palette_lesson_on_the_lesson_data_and_the_help_about_it(make_app) -> None:
    app = make_app(dataset=DatasetSpec())  # the untouched default: moons, 400 rows
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.queue.set_parallel(0)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Lesson")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.queue.items()) == 4)
        await settle(pilot)
        assert_lesson(queued_lesson(app), LESSON_DATASET)
        # The help reads the curves with core's own text and names the lesson's key.
        await pilot.press("f1")
        await pilot.pause()
        source = app.screen.query_one(Markdown).source
        assert READING_THE_CURVES in source  # one source of truth
        assert "l the lesson's runs" in source
        assert "## The lesson: l on the Next step tab" in source
        for run in lesson_configs():
            assert f"**{run.expect}** ({run.label})" in source


async def test_a_lesson_whose_runs_were_cancelled_or_removed_overlays_the_rest(
    make_app,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.queue.set_parallel(0)
        await pilot.press("f5", "l")
        await wait_for(pilot, lambda: len(app.queue.items()) == 4)
        await settle(pilot)
        small, good, big, fast = (r.id for r in queued_lesson(app))
        await pilot.press("f3")
        table = app.queue_pane.table
        table.move_cursor(row=2)  # the big, slow one: taken off the queue (deleted)
        await pilot.press("x")
        await settle(pilot)
        table.move_cursor(row=2)  # now the unstable one: cancelled before it ran
        await pilot.press("c")
        await settle(pilot)
        assert not app.overlay  # two still wait
        # The user types in the form while they train: the overlay shows, the keys
        # stay in the field.
        epochs = app.query_one("#f-epochs", Input)
        epochs.focus()
        await app.run_action("workers(1)")
        await settle(pilot)
        await wait_for(pilot, lambda: app.overlay)
        assert app.charts.overlay_ids == [small, good]
        assert app.active_tab == "charts"
        assert app.focused is epochs
        assert app.next_step.lessons.pending() == []
        assert {big, fast} & set(app.charts.overlay_ids) == set()


async def test_the_lesson_ends_overlaid_with_each_verdict_as_labelled(make_app) -> None:
    """The real lesson on its own data (about 4 s of training, mostly the big run)."""
    app = make_app(dataset=DatasetSpec(), workers=2)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("f5", "l")
        await wait_for(pilot, lambda: len(queued_lesson(app)) == 4)
        await settle(pilot, timeout=120)
        await wait_for(pilot, lambda: app.overlay)
        await settle(pilot)
        records = queued_lesson(app)
        assert_lesson(records, LESSON_DATASET)
        assert [r.verdict["verdict"] for r in records] == EXPECTED
        assert app.charts.overlay_ids == [r.id for r in records]
        assert app.active_tab == "charts"
        text = screen_text(app)
        for record, verdict in zip(records, EXPECTED, strict=True):
            assert f"#{record.id}" in text and verdict in text
        # unstable has its own colour in History and on the Next step verdict line.
        fast = records[3]
        await pilot.press("f4")
        await settle(pilot)
        history = app.history.table
        row = history.get_row(str(fast.id))
        cells = [cell for cell in row if isinstance(cell, Text) and cell.plain == "unstable"]
        assert cells and cells[0].style == verdict_color("unstable")
        app.select_run(fast.id)
        await pilot.press("f5")
        await settle(pilot)
        title = app.next_step.query_one("#next-title", Static).content
        assert isinstance(title, Text) and "unstable" in title.plain
        start = title.plain.index("unstable")
        styles = {str(span.style) for span in title.spans if span.start <= start < span.end}
        assert f"bold {verdict_color('unstable')}" in styles


def test_unstable_has_a_colour_of_its_own() -> None:
    """Different from every other verdict's colour as terminals draw the 16 colours and
    as Textual draws them (its dark and light ANSI themes)."""
    from rich.color import Color
    from textual._ansi_theme import ALABASTER, MONOKAI

    assert set(EXPECTED) <= set(VERDICT_COLORS)
    others = [name for name in VERDICT_COLORS if name != "unstable"]
    unstable = Color.parse(verdict_color("unstable"))
    assert unstable.number is not None and unstable.number < 16  # a standard colour
    for theme in (None, MONOKAI, ALABASTER):
        drawn = unstable.number if theme is None else unstable.get_truecolor(theme)
        for name in others:
            color = Color.parse(verdict_color(name))
            assert drawn != (color.number if theme is None else color.get_truecolor(theme))
