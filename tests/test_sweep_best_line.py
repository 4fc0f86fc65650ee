"""One best run and one name for a sweep everywhere (issue 13, item 18): the CLI's
"Best:" line holds the data flags too, so pasting it trains on the same data and gets
the same accuracy; ``leaderboard``, ``sweeps`` and the line name the same run."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from core.search.results import sweep_title

SWEEP = """
[dataset]
name = "circles"
n_samples = 160
noise = 0.1
split_seed = 2

[search]
name = "tiny"

[fixed]
seed = 3
epochs = 6

[space]
lr = [0.01, 0.1]
"""


def test_best_line_trains_the_same_run_on_the_same_data(run_cli, tmp_path: Path) -> None:
    sweep_file = tmp_path / "tiny.toml"
    sweep_file.write_text(SWEEP)
    store = str(tmp_path / "s.db")
    inline = ("--executor", "inline", "--workers", "1", "--quiet", "--store", store)
    result = run_cli("sweep", str(sweep_file), *inline)
    assert result.returncode == 0, result.stderr
    best_line = next(line for line in result.stdout.splitlines() if line.startswith("Best: "))
    run_id = int(best_line.split()[2].rstrip(","))
    flags = best_line.split(": ", 2)[2]
    assert "--dataset circles --split-seed 2 --noise 0.1 --samples 160" in flags
    # Pasted as it is: the same data, the same settings, the same test accuracy.
    again = run_cli("run", *shlex.split(flags), "--json", "--store", store)
    assert again.returncode == 0, again.stderr
    rerun = json.loads(again.stdout)
    board = json.loads(run_cli("leaderboard", "1", "--json", "--store", store).stdout)
    assert board[0]["run_id"] == run_id
    assert rerun["test_accuracy"] == board[0]["test_accuracy"]
    assert rerun["dataset"]["noise"] == 0.1 and rerun["dataset"]["split_seed"] == 2
    listed = json.loads(run_cli("sweeps", "--json", "--store", store).stdout)
    assert listed[0]["best_run_id"] == run_id
    # The leaderboard's header names the sweep as every screen does.
    text = run_cli("leaderboard", "1", "--store", store).stdout
    assert text.startswith('Sweep 1 "tiny": done')
    assert f"Best: run {run_id}, test" in text and text.rstrip().endswith(flags)
    assert sweep_title(1, "tiny") == 'sweep 1 "tiny"' and sweep_title(2) == "sweep 2"
