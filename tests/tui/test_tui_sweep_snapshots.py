"""SVG snapshots of the sweep builder and the sweep results at 120x40 (cursor blink
off, notifications cleared, no durations on screen). Update with
``pytest tests/tui/test_tui_sweep_snapshots.py --snapshot-update``."""

from __future__ import annotations

from textual.widgets import Input
from tui_helpers import quiet, settle, wait_for

from core.executors import InlineExecutor
from core.search.engine import run_sweep
from core.search.sweepfile import parse_sweep
from core.store import RunStore

SWEEP = """
[dataset]
name = "moons"
n_samples = 200

[search]
name = "lr x epochs"

[space]
lr = [0.003, 0.03, 0.3]
epochs = [5, 20]
layers = [[6, 6], [16]]
"""


def test_sweep_builder(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        from tui.screens.sweep_builder import SweepBuilderScreen

        app = pilot.app
        await settle(pilot)
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepBuilderScreen))
        screen = app.screen
        builder = screen.builder
        for name, mode, text in (("lr", "list", "0.001, 0.01, 0.1"), ("epochs", "list", "50, 100")):
            builder.mode_select(name).value = mode
            builder._apply_mode(name, mode)
            builder.value_input(name).value = text
        screen.query_one("#sw-workers", Input).focus()
        await pilot.pause(0.3)
        await wait_for(pilot, lambda: not screen.checking)
        await settle(pilot)
        quiet(app)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def test_sweep_results(snap_compare, make_app, store_path) -> None:
    executor = InlineExecutor(1)
    with RunStore(store_path) as store:
        run_sweep(store, parse_sweep(SWEEP), executor)
    executor.shutdown()

    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        await pilot.press("f7")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", 0) > 0)
        await settle(pilot)
        quiet(app)

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)
