"""The TUI's exports write into the current directory and never replace a file there:
an existing name gets the next free one (``_2``...)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input
from tui_helpers import settle, wait_for


async def test_exports_never_replace_a_file(make_app, tmp_path: Path) -> None:
    mine = {
        "perceptune_run_1.py": "my own script\n",
        "perceptune_runs.csv": "my own table\n",
    }
    for name, text in mine.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one("#f-epochs", Input).value = "5"  # fast runs: only the files matter
        for _ in range(2):
            await pilot.press("ctrl+n")
            await settle(pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: app.history.table.row_count == 2)
        await wait_for(pilot, lambda: app.focused is app.history.table)
        await pilot.press("up", "down")  # the second row: run 1 (newest first)
        await wait_for(pilot, lambda: app.selected_run == 1)
        await pilot.press("p", "v")
        await settle(pilot)
        await pilot.press("p")  # again: the _2 name is taken now too
        await settle(pilot)

    for name, text in mine.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    script = (tmp_path / "perceptune_run_1_2.py").read_text(encoding="utf-8")
    assert "Run: python perceptune_run_1_2.py\n" in script
    compile(script, "perceptune_run_1_2.py", "exec")
    assert (tmp_path / "perceptune_run_1_3.py").exists()
    table = (tmp_path / "perceptune_runs_2.csv").read_text(encoding="utf-8")
    assert table.startswith("id,status,") and len(table.splitlines()) == 3
