"""The resume offer at start leaves alone a sweep another live process runs, and says so."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

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


async def test_a_sweep_live_elsewhere_is_not_offered(make_app, store_path: Path) -> None:
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
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ResumeWork))
            offered = str(app.screen.query(Static)[2].render())
            assert f"sweep #{mine}" in offered and f"#{live}" not in offered
            said = f"Sweep #{live} is running in process {owner.pid} on {socket.gethostname()}."
            await wait_for(pilot, lambda: any(n.message == said for n in app._notifications))
            await pilot.press("escape")
    finally:
        owner.communicate("", timeout=20)
