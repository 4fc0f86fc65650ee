"""Issue 13 item 18: one name and one best run for a sweep on every screen. A named
sweep run by the CLI reads the same in the app's results screen as in the CLI's
output, and the app's best run is the CLI's leaderboard's first."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from tui_helpers import settle, wait_for

from core.cli import main
from core.search.results import best_run, leaderboard

SWEEP = """
[dataset]
name = "moons"
n_samples = 120

[search]
name = "tiny lr"
strategy = "grid"

[fixed]
epochs = 5

[space]
lr = [0.001, 0.1]
"""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_sweep_has_one_name_and_one_best_everywhere(
    make_app, store_path: Path, tmp_path: Path, capsys, size
) -> None:
    from tui.screens.sweep_results import SweepResultsScreen

    sweep_file = tmp_path / "tiny.toml"
    sweep_file.write_text(SWEEP, encoding="utf-8")
    args = ["sweep", str(sweep_file), "--store", str(store_path), "--executor", "inline"]
    assert main([*args, "-q"]) == 0
    printed = capsys.readouterr().out
    assert 'Sweep 1 "tiny lr"' in printed
    assert main(["leaderboard", "1", "--store", str(store_path)]) == 0
    board = capsys.readouterr().out

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        best = best_run(app.store, 1)
        assert best is not None and leaderboard(app.store, 1)[0].run_id == best.id
        assert f"#{best.id}" in board or f" {best.id} " in board

        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepResultsScreen))
        results = app.screen
        await wait_for(pilot, lambda: results.loaded > 0)
        title = str(results.query_one("#results-title", Static).render())
        assert title.startswith('Sweep 1 "tiny lr": 2 points, 2 done')
        assert results.best is not None and results.best.id == best.id
        assert f"run #{best.id}:" in str(results.query_one("#sweep-best", Static).render())
