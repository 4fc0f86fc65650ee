"""Next-step suggestions, help, the command palette, errors, the entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from textual.widgets import Input, Markdown
from tui_helpers import settle

from core.config import FIELD_INFO, RunConfig
from core.suggest import suggest_next

ROOT = Path(__file__).resolve().parents[2]


async def test_next_step_suggestion_is_enqueued_with_one_key(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one("#f-lr", Input).value = "0.1"
        await pilot.press("ctrl+r")
        await settle(pilot)
        (record,) = app.store.list_runs()
        await pilot.press("f5")
        await settle(pilot)
        pane = app.next_step
        expected = suggest_next(RunConfig.from_mapping(record.params), record.verdict)
        assert [s.label for s in pane.suggestions] == [s.label for s in expected]
        assert 2 <= len(pane.suggestions) <= 3
        await pilot.press("1")
        await settle(pilot)
        runs = app.store.list_runs(order_by="id")
        assert len(runs) == 2
        assert runs[1].params == expected[0].config.to_dict()
        assert runs[1].dataset == record.dataset
        assert runs[1].status == "done"
        # e loads the highlighted variant into the form instead.
        await pilot.press("f5")
        await pilot.pause()
        app.next_step.query_one("#suggestions").highlighted = 1
        await pilot.press("e")
        await pilot.pause()
        assert app.form.read_config() == pane.suggestions[1].config


async def test_help_palette_and_worker_errors(make_app) -> None:
    from tui.commands import COMMANDS
    from tui.screens.help import HelpScreen

    app = make_app()
    for _title, _help, action in COMMANDS:
        name = action.split("(")[0]
        assert hasattr(app, f"action_{name}"), name
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one(Markdown).source
        for info in FIELD_INFO.values():
            assert info.label in text
        assert "Overfitting" in text and "ctrl+r" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f3")  # a table has focus: ? opens help
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

        # The command palette lists every action and runs the chosen one.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Show history")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert app.active_tab == "history"

        # A failing worker ends up in one notification, markup off; the app goes on.
        app.select_run(999)
        await settle(pilot)
        notes = list(app._notifications)
        assert any("999" in n.message and not n.markup for n in notes)
        assert app.is_running


def test_help_and_subcommands_do_not_import_textual() -> None:
    code = (
        "import sys, time\n"
        "from tui.entry import main\n"
        "t = time.perf_counter()\n"
        "code = main(['--help'])\n"
        "print('textual' in sys.modules, code, time.perf_counter() - t)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "TUI" in result.stdout or "no subcommand" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("False 0")  # speed: bench/


def test_frame_cap_is_raised_unless_the_user_set_one() -> None:
    """Textual reads TEXTUAL_FPS when imported: the entry point sets its default first."""
    code = (
        "import sys\n"
        "from tui.entry import textual_settings\n"
        "textual_settings()\n"
        "from textual import constants\n"
        "print(constants.MAX_FPS)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    ours = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env=env)  # fmt: skip
    theirs = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, env={**env, "TEXTUAL_FPS": "30"})  # fmt: skip
    assert (ours.stdout.strip(), theirs.stdout.strip()) == ("120", "30")


def test_entry_argument_split() -> None:
    from tui.entry import parse_tui_args

    assert parse_tui_args([]) == {}
    assert parse_tui_args(["--store", "x.db"]) == {"store": "x.db"}
    assert parse_tui_args(["--store=x.db", "--workers", "2"]) == {"store": "x.db", "workers": "2"}
    assert parse_tui_args(["runs"]) is None
    assert parse_tui_args(["--help"]) is None
    assert parse_tui_args(["--store"]) is None
    assert parse_tui_args(["--store", "x.db", "run"]) is None


def test_bad_workers_value_is_a_usage_error(tmp_path) -> None:
    from tui.entry import main

    assert main(["--store", str(tmp_path / "s.db"), "--workers", "0"]) == 2


def test_executor_options_open_the_tui_and_bad_ones_are_usage_errors(tmp_path, capsys) -> None:
    from tui.entry import main, parse_tui_args

    assert parse_tui_args(["--executor", "dask", "--scheduler", "tcp://h:8786"]) == {
        "executor": "dask",
        "scheduler": "tcp://h:8786",
    }
    store = tmp_path / "s.db"
    # A malformed scheduler address is refused before the app (or any store) starts.
    assert main(["--store", str(store), "--executor", "dask", "--scheduler", "nonsense"]) == 2
    assert main(["--store", str(store), "--executor", "inline"]) == 2
    assert main(["--store", str(store), "--executor", "gpu"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("perceptune: ") for line in errors)
    assert not store.exists()
