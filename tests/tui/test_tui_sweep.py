"""Sweeps in the TUI: the builder (points, core's messages, TOML round trip), launching
into the queue, the results screen, cancel, and the resume offer for an unfinished
sweep."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from conftest import FAST_DATASET
from textual.widgets import DataTable, Input, Static
from tui_helpers import press_busy, quit_through_the_dialog, settle, wait_for

from core.config import RunConfig
from core.errors import InputError
from core.search.sweepfile import SweepSpec, dump_sweep, load_sweep


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


def search(screen, mode_of: dict[str, tuple[str, str]]) -> None:
    """Set hyperparameter rows: name -> (mode, text)."""
    builder = screen.builder
    for name, (mode, text) in mode_of.items():
        builder.mode_select(name).value = mode
        builder._apply_mode(name, mode)
        builder.value_input(name).value = text


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_grid_sweep_from_builder_to_leaderboard(make_app) -> None:
    from tui.screens.sweep_results import SweepResultsScreen
    from tui.widgets.sweep.results import LeaderboardTable, ParamPlot

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_builder(pilot)
        # Keys only: the learning rate's mode is a Select, its values an Input.
        screen.query_one("#sv-lr").focus()
        await pilot.press("enter", "down", "enter")  # fixed -> list
        assert screen.builder.modes["lr"] == "list"
        await pilot.press("tab")
        assert screen.focused is screen.builder.value_input("lr")
        await pilot.press("ctrl+u", *"0.01, 0.1")
        search(screen, {"epochs": ("list", "5, 10")})
        await checked(pilot, screen)
        assert screen.error == ""
        assert screen.points == 4
        assert text_of(screen, "#sweep-points").startswith("4 points")
        assert "ETA" in text_of(screen, "#sweep-points")

        await pilot.press("ctrl+l")
        await settle(pilot)
        (sweep,) = app.store.list_sweeps()
        assert sweep["status"] == "done"
        runs = app.store.list_runs(sweep_id=sweep["id"])
        assert len(runs) == 4 and {r.status for r in runs} == {"done"}
        # The sweep's row on the Queue tab, and its runs in History.
        strip = app.query_one("#sweep-table", DataTable)
        assert "4/4" in str(strip.get_row_at(0)[2])
        assert app.history.total >= 4

        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepResultsScreen))
        results = app.screen
        await wait_for(pilot, lambda: results.loaded > 0)
        table = results.query_one(LeaderboardTable)
        assert table.row_count == 4
        tests = [float(str(table.get_row_at(i)[3])) for i in range(4)]
        assert tests == sorted(tests, reverse=True)
        assert all(len(str(table.get_row_at(i)[3])) == 5 for i in range(4))  # 0.887
        best = max(runs, key=lambda r: (r.test_accuracy, -(r.gap or 0), -r.id))
        assert results.best is not None and results.best.test_accuracy == best.test_accuracy
        plot = results.query_one(ParamPlot)
        assert plot.data is not None and plot.data.name in ("epochs", "lr")
        names = {s.name for s in results.series}
        assert names == {"lr", "epochs"}
        results.chart_index = [s.name for s in results.series].index("lr")
        results._draw_param_chart()
        assert plot.log_axis  # learning rate: log x axis
        assert len(results.query_one("#top-plot").series) == 4

        await pilot.press("c", "p")
        await settle(pilot)
        csv = Path(f"perceptune_sweep_{sweep['id']}.csv").read_text().splitlines()
        assert len(csv) == 5 and csv[0].startswith("rank,run_id")
        assert Path(f"perceptune_sweep_{sweep['id']}_best.py").exists()

        await pilot.press("b")  # the best configuration into the form
        await settle(pilot)
        assert not isinstance(app.screen, SweepResultsScreen)
        assert app.form.read_config() == RunConfig.from_mapping(results.best.params)

        # The next ETA comes from the seconds per epoch these runs took.
        screen = await open_builder(pilot)
        assert screen.seconds_per_epoch is not None


async def test_bad_values_show_cores_message_and_block_launch(make_app) -> None:
    from tui.screens.sweep_builder import SweepBuilderScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_builder(pilot)
        # Nothing searched yet: core says the space is empty.
        assert "[space]: empty" in screen.error
        screen.query_one("#sw-strategy").value = "random"
        search(screen, {"lr": ("uniform", "0.1, 0.001")})
        await checked(pilot, screen)
        try:
            SweepSpec.from_dict(screen.tables(), source="sweep")
            raise AssertionError("core should refuse the range")
        except InputError as error:
            expected = str(error)
        assert "[space].lr: range min 0.1 > max 0.001" in expected
        assert screen.error == expected
        # Shown in the builder's words: the row's label, not the TOML table.
        assert "Learning rate: range min 0.1 > max 0.001" in text_of(screen, "#sweep-error")
        assert screen.builder.query_one("#svlbl-lr").has_class("-invalid")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, SweepBuilderScreen)  # launch blocked
        assert app.store.list_sweeps() == []
        plain = "Learning rate: range min 0.1 > max 0.001"
        assert any(plain in n.message and not n.markup for n in app._notifications)
        # Fixed: the message goes, the points show.
        search(screen, {"lr": ("uniform", "0.001, 0.1")})
        await checked(pilot, screen)
        assert screen.error == "" and screen.points == 20
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SweepBuilderScreen)
        assert app.store.list_sweeps() == []


async def test_save_then_load_round_trips(make_app, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one("#f-alpha", Input).value = "0.001"  # a fixed value from the form
        screen = await open_builder(pilot)
        screen.query_one("#sw-strategy").value = "random"
        screen.query_one("#sw-trials", Input).value = "7"
        screen.query_one("#sw-seed", Input).value = "3"
        screen.query_one("#sw-prune").value = "median"
        screen.query_one("#sw-name", Input).value = "demo"
        search(
            screen,
            {
                "layers": ("shape", "1, 3; 4, 64"),
                "lr": ("log_uniform", "0.0001, 0.1"),
                "epochs": ("list", "5, 10"),
                "activation": ("list", "relu, tanh"),
            },
        )
        await checked(pilot, screen)
        assert screen.error == "", screen.error
        built = screen.spec
        assert built is not None and built.fixed["alpha"] == 0.001
        path = tmp_path / "demo.toml"
        screen.query_one("#sweep-path", Input).value = str(path)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert load_sweep(path) == built
        assert dump_sweep(load_sweep(path)) == path.read_text()

        # Change everything, then load the file back.
        search(screen, {"layers": ("fixed", ""), "lr": ("list", "0.5")})
        screen.query_one("#sw-strategy").value = "grid"
        app.query_one("#f-alpha", Input).value = "0.0001"
        await checked(pilot, screen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await checked(pilot, screen)
        assert screen.spec == load_sweep(path)
        assert screen.builder.modes["lr"] == "log_uniform"
        assert screen.builder.value_input("layers").value == "1, 3; 4, 64"
        assert app.form.read_config().alpha == 0.001  # fixed values back in the form


async def launch_endless_sweep(pilot) -> None:
    """A 2-point sweep whose runs train for 100,000 epochs, launched and running."""
    app = pilot.app
    await settle(pilot)
    app.query_one("#f-n_iter_no_change", Input).value = "100000"
    screen = await open_builder(pilot)
    search(screen, {"lr": ("list", "0.01, 0.02"), "epochs": ("list", "100000")})
    await checked(pilot, screen)
    await pilot.press("ctrl+l")
    await wait_for(pilot, lambda: bool(app.sweeps.items()) and app.sweeps.items()[0].running)


async def test_cancel_a_running_sweep(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await launch_endless_sweep(pilot)
        await wait_for(pilot, lambda: bool(app.query_one("#sweep-table", DataTable).row_count))
        app.query_one("#sweep-table", DataTable).focus()
        await press_busy(pilot, "c")
        await settle(pilot)
        (item,) = app.sweeps.items()
        assert item.status == "cancelled"
        (sweep,) = app.store.list_sweeps()
        assert sweep["status"] == "cancelled"
        statuses = {r.status for r in app.store.list_runs(sweep_id=sweep["id"])}
        assert statuses == {"cancelled"}


async def test_quit_mid_sweep_leaves_it_interrupted(make_app) -> None:
    from core.search.engine import pending_work

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await launch_endless_sweep(pilot)
        await quit_through_the_dialog(pilot)
    (sweep,) = app.store.list_sweeps()
    assert sweep["status"] == "interrupted"
    statuses = sorted(r.status for r in app.store.list_runs(sweep_id=sweep["id"]))
    assert statuses == ["interrupted", "queued"]
    assert [s["id"] for s in pending_work(app.store)[0]] == [sweep["id"]]


async def test_unfinished_sweep_is_offered_for_resume(make_app, store_path: Path) -> None:
    from core.executors import InlineExecutor
    from core.search.engine import SweepStopped, run_sweep
    from core.search.sweepfile import parse_sweep
    from core.store import RunStore
    from tui.screens.sweep_resume import ResumeWork

    spec = parse_sweep(
        "[dataset]\nname = 'moons'\nn_samples = 200\n[space]\nlr = [0.01, 0.1]\nepochs = [5, 10]\n"
    )
    assert spec.dataset == FAST_DATASET
    executor = InlineExecutor(1)
    with RunStore(store_path) as store:
        # Stopped before anything trained: every point stored, still queued.
        with contextlib.suppress(SweepStopped):
            run_sweep(store, spec, executor, should_stop=lambda: "interrupted")
        (sweep,) = store.list_sweeps()
        assert sweep["status"] == "interrupted"
    executor.shutdown()

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        # The dialog is on the stack before its lines are composed, and its list is
        # mounted after its title (a busy machine shows the gap): wait for the line.
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ResumeWork)
                and any(line.startswith("sweep 1 ") for line in dialog_lines(app))
            ),
        )
        await pilot.press("r")
        await settle(pilot)
        (sweep,) = app.store.list_sweeps()
        assert sweep["status"] == "done"
        runs = app.store.list_runs(sweep_id=sweep["id"])
        assert len(runs) == 4 and {r.status for r in runs} == {"done"}
        (item,) = app.sweeps.items()
        assert item.status == "done" and item.done == 4


def dialog_lines(app: Any) -> list[str]:
    """The text lines of the dialog on top (none until it is composed)."""
    return [str(static.render()) for static in app.screen.query(Static)]


def test_model_resume_goes_on_after_a_cancel(tmp_path: Path) -> None:
    """Two unfinished sweeps resumed in one go: cancelling the first leaves it
    cancelled and the second still finishes."""
    from core.executors import InlineExecutor
    from core.search.engine import SweepStopped, run_sweep
    from core.search.sweepfile import parse_sweep
    from core.store import RunStore
    from tui.widgets.sweep.model import SweepModel

    data = "[dataset]\nname = 'moons'\nn_samples = 200\n"
    long = parse_sweep(data + "[fixed]\nn_iter_no_change = 100000\n[space]\nepochs = [100000]\n")
    short = parse_sweep(data + "[space]\nepochs = [5, 10]\n")
    executor = InlineExecutor(1)
    with RunStore(tmp_path / "runs.db") as store:
        for spec in (long, short):
            with contextlib.suppress(SweepStopped):
                run_sweep(store, spec, executor, should_stop=lambda: "interrupted")
    executor.shutdown()

    executor = InlineExecutor(1)
    with RunStore(tmp_path / "runs.db") as store:
        model = SweepModel(store, executor)
        cancels: list[bool] = []

        def cancel_soon(sweep_id: int) -> None:  # on the engine's threads
            item = model.get(sweep_id)
            if sweep_id == 1 and item is not None and item.running and not cancels:
                cancels.append(True)
                assert model.cancel(1)
                assert not model.cancel(1)  # already stopping

        model.on_change = cancel_soon
        assert model.resume([1, 2]) == [2]
        assert cancels == [True]
        assert [item.status for item in model.items()] == ["cancelled", "done"]
        assert [s["status"] for s in store.list_sweeps()] == ["cancelled", "done"]
        assert [r.status for r in store.list_runs()] == ["cancelled", "done", "done"]
        assert model.active_ids() == []
    executor.shutdown()


async def test_a_redraw_while_the_sweep_table_is_gone_draws_it_when_back(make_app) -> None:
    # The redraw tick can fire while the app closes and its widgets are removed: the
    # sweep strip then has no table. That is no error (a timer's error ends the app);
    # the sweeps stay to be drawn.
    from tui.widgets.sweep.strip import COLUMNS, SweepStrip, SweepTable

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        strip = app.query_one(SweepStrip)
        await strip.query_one(SweepTable).remove()
        app._sweeps_dirty = True
        app._redraw()
        assert app._sweeps_dirty
        await strip.mount(SweepTable(columns=COLUMNS, cursor_type="row", id="sweep-table"))
        await pilot.pause()
        app._redraw()
        assert not app._sweeps_dirty
