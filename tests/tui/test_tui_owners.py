"""The resume offer at start leaves alone a sweep another live process runs, and says so."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static
from tui_helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]

OWNER = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from core.store import RunStore
store = RunStore(sys.argv[1])
print(store.create_sweep({{"space": {{}}}}), flush=True)
sys.stdin.read()  # alive, owning the sweep, until the test ends
"""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_sweep_live_elsewhere_is_not_offered(
    make_app, store_path: Path, size: tuple[int, int]
) -> None:
    from core.store import RunStore
    from tui.screens.sweep_resume import ResumeWork

    with RunStore(store_path) as store:
        mine = store.create_sweep({"space": {}})
        store.set_sweep_status(mine, "interrupted")
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(store_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        live = int(owner.stdout.readline())
        app = make_app()
        async with app.run_test(size=size) as pilot:
            # The dialog's list mounts after its title: wait for its lines.
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, ResumeWork) and len(app.screen.query(Static)) > 2,
            )
            offered = str(app.screen.query(Static)[2].render())
            # Named as on every screen (core.search.results.sweep_title).
            assert offered.startswith(f"sweep {mine}  ") and f"sweep {live}" not in offered
            said = f"sweep {live} is running in process {owner.pid} on {socket.gethostname()}."
            await wait_for(pilot, lambda: any(n.message == said for n in app._notifications))
            await pilot.press("escape")
    finally:
        owner.communicate("", timeout=20)


def test_model_resume_shows_a_failed_sweep_as_stored(tmp_path: Path) -> None:
    """A stored sweep that can no longer run (its network is too large) stays
    interrupted, its reason is reported, and the next one still finishes."""
    from core.executors import InlineExecutor
    from core.search.sweepfile import parse_sweep
    from core.store import RunStore
    from tui.widgets.sweep.model import SweepModel

    data = "[dataset]\nname = 'moons'\nn_samples = 120\n"
    # Stored as by a perceptune without the size check (parse_sweep refuses it now).
    bad = parse_sweep(
        data + "[search]\nstrategy = 'tpe'\ntrials = 2\n[fixed]\nlayers = [2]\n"
        "[space]\nlr = [0.01, 0.1]\n"
    ).to_dict()
    bad["fixed"]["layers"] = [5000, 5000]
    good = parse_sweep(data + "[space]\nepochs = [3, 4]\n").to_dict()
    executor = InlineExecutor(1)
    try:
        with RunStore(tmp_path / "runs.db") as store:
            for spec in (bad, good):
                store.set_sweep_status(store.create_sweep(spec), "interrupted")
            model = SweepModel(store, executor)
            assert model.resume([1, 2]) == [2]
            [only] = model.items()  # the bad one is left alone, with its reason
            assert (only.sweep_id, only.status) == (2, "done")
            [reason] = model.last_skipped
            assert reason.startswith("sweep 1") and "network too large" in reason
            assert [s["status"] for s in store.list_sweeps()] == ["interrupted", "done"]
    finally:
        executor.shutdown()
