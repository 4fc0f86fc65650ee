"""What the overlay says sets runs apart (issue 13, Charts 4): only the settings whose
values differ among the overlaid runs, whatever form their stored params took; the
legend labels and the table's "differs" column name those and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.store import RunRecord, RunStore
from tui.widgets.charts.compare import differing, differs_text, run_label

MOONS = {"name": "moons"}


def stored(tmp_path: Path, *runs: tuple[dict[str, Any], dict[str, Any]]) -> list[RunRecord]:
    """The runs as the store gives them back (params and data through its JSON)."""
    store = RunStore(tmp_path / "runs.db")
    try:
        ids = [store.create_run(params, dataset) for params, dataset in runs]
        return [store.get_run(run_id) for run_id in ids]
    finally:
        store.close()


def test_a_value_every_run_shares_is_not_a_difference(tmp_path: Path) -> None:
    full = RunConfig(layers=(1,), epochs=40).to_dict()
    records = stored(
        tmp_path,
        (full, MOONS),
        # The same lr 0.01, as a float a log range can give, and as text.
        ({**full, "layers": [6, 6], "lr": 0.010000000000000002}, MOONS),
        ({**full, "layers": [16, 16], "lr": "0.01", "epochs": 120}, MOONS),
        # An older run's partial params: every missing setting has its default (lr 0.01).
        ({"layers": [8, 8], "epochs": 40}, {"name": "moons", "noise": 0.2, "n_samples": 400}),
    )
    names = differing(records)
    assert names == ["layers", "epochs"]
    assert [run_label(r, names) for r in records] == [
        f"#{records[0].id} layers 1 ep 40",
        f"#{records[1].id} layers 6,6 ep 40",
        f"#{records[2].id} layers 16,16 ep 120",
        f"#{records[3].id} layers 8,8 ep 40",
    ]
    assert all("lr" not in differs_text(r, names) for r in records)


def test_real_differences_are_named(tmp_path: Path) -> None:
    base = RunConfig().to_dict()
    records = stored(
        tmp_path,
        (base, MOONS),
        ({**base, "lr": 3.0}, MOONS),
        # A network this version refuses (too big) keeps its other values comparable.
        ({**base, "layers": [4000, 4000, 4000]}, {"name": "circles"}),
    )
    names = differing(records)
    assert names == ["data", "layers", "lr"]
    assert differs_text(records[1], names).endswith("layers 6,6 lr 3")
    assert differs_text(records[2], names).startswith("circles")
    assert differing(records[:1]) == []  # one run: nothing to tell apart
