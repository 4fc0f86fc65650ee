"""History with 10,000 stored runs: time until the History tab is usable, and the UI
process's memory.

    python bench/bench_tui_history.py [--runs 10000] [--reps 5] [--store PATH]

The store is built once (reused from /tmp, or ``--store``) straight through
:class:`core.store.RunStore`: create_run, add_epochs and finish_run for each run, with
realistic params, datasets and statuses, 30-70-epoch curves and verdicts from
:func:`core.diagnosis.diagnose`.

1. The real app (``python -m tui.entry --store PATH``, its worker pool included) in a
   pseudo-terminal, ``--reps`` times: as soon as the first full frame is on screen, F4;
   the clock runs from F4 until the terminal shows the first page ("page 1/50") and
   from exec to then. After the last one, the resident memory of the UI process
   (VmRSS and its peak VmHWM, /proc/PID/status) and, separately, of the worker
   processes.
2. In-process (``App.run_test``, 120x40, the in-process executor: nothing trains), for
   a breakdown: F4 until the History table holds its first page and has focus, and
   until the next compositor refresh; then next page (``]``), sort (``s``) and filter
   (``f``), each until the table is refilled.
3. For reference: a stock ``DataTable`` filled with all 10,000 rows, as the History tab
   was before it paged.

Targets: usable within 1.0 s; RSS of the UI process <= 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

USABLE_TARGET_S = 1.0
RSS_TARGET_MB = 250.0
SIZE = (120, 40)

DATASETS = (
    {"name": "moons"},
    {"name": "circles", "noise": 0.1},
    {"name": "digits"},
    {"name": "iris"},
    {"name": "wine"},
    {"name": "breast_cancer"},
    {"name": "moons", "noise": 0.3, "n_samples": 1000},
)
LAYERS = ((6, 6), (8,), (16, 16), (32,), (64, 64), (4, 4, 4), (100,))
LRS = (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5)


def _curve(rng: random.Random, epochs: int, kind: str) -> list[Any]:
    """A plausible train/test/loss curve of ``epochs`` epochs."""
    from core.results import EpochPoint

    top = rng.uniform(0.75, 0.99)
    rate = rng.uniform(0.05, 0.3)
    gap = {"good": 0.01, "over": rng.uniform(0.06, 0.2), "under": 0.0}[kind]
    if kind == "under":
        top = rng.uniform(0.45, 0.65)
    points = []
    loss = rng.uniform(0.7, 2.3)
    for epoch in range(1, epochs + 1):
        rise = 1 - (1 - rate) ** epoch
        train = min(1.0, 0.4 + (top - 0.4) * rise + gap * rise + rng.gauss(0, 0.005))
        test = min(1.0, 0.4 + (top - 0.4) * rise + rng.gauss(0, 0.01))
        loss *= rng.uniform(0.9, 0.99)
        points.append(EpochPoint(epoch, round(train, 4), round(test, 4), loss))
    return points


def build_store(path: Path, runs: int, seed: int = 1) -> Path:
    """Create (or reuse) a store at ``path`` holding ``runs`` finished runs."""
    from core.config import RunConfig
    from core.diagnosis import diagnose
    from core.store import RunStore

    if path.exists():
        with RunStore(path) as store:
            if store.count_runs() == runs:
                return path
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    start = time.perf_counter()
    with RunStore(path) as store:
        for _ in range(runs):
            config = RunConfig(
                layers=rng.choice(LAYERS),
                lr=rng.choice(LRS),
                epochs=rng.choice((50, 60, 100, 200)),
                activation=rng.choice(("relu", "relu", "tanh", "logistic")),
                alpha=rng.choice((0.0001, 0.0001, 0.001, 0.01)),
                seed=rng.randrange(100),
            )
            dataset = {"test_size": 0.25, "split_seed": 0, "scale": True, **rng.choice(DATASETS)}
            run_id = store.create_run(
                config.to_dict(), dataset, status="running", label=config.short_label()
            )
            roll = rng.random()
            if roll < 0.03:
                store.finish_run(run_id, "failed", error="DataError: cannot read data.csv")
                continue
            status = "diverged" if roll < 0.06 else "cancelled" if roll < 0.1 else "done"
            kind = rng.choice(("good", "good", "over", "under"))
            curve = _curve(rng, rng.randint(30, 70), kind)
            store.add_epochs(run_id, curve)
            verdict = None
            if status in ("done", "diverged"):
                verdict = diagnose(curve, 0.5, status).to_dict()
            store.finish_run(
                run_id,
                status,
                verdict=verdict,
                stop_reason="max epochs" if status == "done" else status,
            )
    took = time.perf_counter() - start
    size = path.stat().st_size / 2**20
    print(f"built {runs} runs in {took:.1f} s: {path} ({size:.0f} MB)")
    return path


async def _until(condition: Any, timeout: float = 30.0) -> float:
    """Poll ``condition`` every millisecond; return the time it became true."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.001)
    return time.perf_counter()


async def one_rep(store: Path, extras: bool) -> dict[str, float]:
    from core.executors import InlineExecutor
    from tui.app import PerceptuneApp

    app = PerceptuneApp(store, InlineExecutor(1), 1, snapshot_mode=True)
    result: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)  # the first frame and the newest run's chart
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("f4")
        from tui.widgets.history.pane import HistoryPane

        def ready() -> bool:
            panes = app.query(HistoryPane)
            if not panes:
                return False
            pane = panes.first()
            return pane.loaded >= 1 and pane.table.row_count > 0 and pane.table.has_focus

        shown = await _until(ready)
        # The frame the user sees: wait for the compositor's next refresh after the rows.
        await pilot.pause()
        painted = time.perf_counter()
        pane = app.query_one(HistoryPane)
        result["usable"] = shown - start
        result["painted"] = painted - start
        result["rows"] = pane.table.row_count
        result["total"] = pane.total
        if extras:
            for key, label in (("right_square_bracket", "page"), ("s", "sort"), ("f", "filter")):
                before = pane.loaded
                start = time.perf_counter()
                await pilot.press(key)
                result[label] = await _until(lambda b=before: pane.loaded > b) - start
            await pilot.pause(0.2)
            result["rss"], result["hwm"] = status_mb()
    return result


def real_process(store: Path, reps: int, pages: int) -> dict[str, Any]:
    """F4 to the first History page in the real app on a pty; memory after the last."""
    import psutil
    from bench_tui_launch import FRAME_MARKS, app_command, drain, quit_app, read_until, spawn

    argv, env = app_command(store)
    page_mark = f"page 1/{pages}".encode()
    result: dict[str, Any] = {"f4": [], "exec": []}
    for rep in range(reps):
        start = time.perf_counter()
        pid, fd = spawn(argv, env, SIZE)
        buffer = bytearray()
        read_until(fd, FRAME_MARKS, buffer, 30)
        pressed = time.perf_counter()
        os.write(fd, b"\x1bOS")  # F4
        after = bytearray()
        shown = read_until(fd, (page_mark, b"10000"), after, 30)
        result["f4"].append(shown - pressed)
        result["exec"].append(shown - start)
        if rep == reps - 1:
            # Next page, sort, filter: each until the summary line says so.
            for key, mark, label in (
                (b"]", f"page 2/{pages}".encode(), "page"),
                (b"s", b"sort test acc", "sort"),
                (b"f", b"filter done", "filter"),
            ):
                drain(fd, 0.3)
                pressed = time.perf_counter()
                os.write(fd, key)
                result[label] = read_until(fd, (mark,), bytearray(), 30) - pressed
            drain(fd, 1.0)  # settle: the workers finish warming
            ui = psutil.Process(pid)
            result["ui"] = status_mb(pid)
            result["others"] = [
                (p.pid, p.memory_info().rss / 2**20) for p in ui.children(recursive=True)
            ]
        quit_app(pid, fd)
    return result


def status_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def stock_datatable(store: Path) -> float:
    """Seconds a stock DataTable takes to take all rows, as History once did."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from core.store import RunStore
    from tui.widgets.history.pane import COLUMNS, HistoryPane

    with RunStore(store) as runs:
        records = runs.list_runs(descending=True)
    pane = HistoryPane()
    elapsed: list[float] = []

    class Stock(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=True)

        async def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for key, label in COLUMNS:
                table.add_column(label, key=key)
            start = time.perf_counter()
            table.add_rows(pane._cells(record, False) for record in records)
            await asyncio.sleep(0)
            table.refresh()
            elapsed.append(time.perf_counter() - start)

    async def run() -> None:
        app = Stock()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press("end")  # forces every row's height and the virtual size
            await pilot.pause()
            elapsed.append(time.perf_counter() - start)

    asyncio.run(run())
    return sum(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--no-stock", action="store_true", help="skip the stock DataTable")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()}")
    store = build_store(args.store or Path(f"/tmp/perceptune-bench-{args.runs}.db"), args.runs)

    from tui.widgets.history.pane import PAGE_SIZE

    pages = -(-args.runs // PAGE_SIZE)

    real = real_process(store, args.reps, pages)
    f4 = statistics.median(real["f4"])
    print(
        f"real app: F4 to the first page on screen median {f4:.3f} s "
        f"(max {max(real['f4']):.3f}, {args.reps} runs); exec to it median "
        f"{statistics.median(real['exec']):.3f} s: {verdict(f4, USABLE_TARGET_S, 's')}"
    )
    print(
        f"real app: next page {real['page']:.3f} s, sort {real['sort']:.3f} s, "
        f"filter {real['filter']:.3f} s (key to the summary line changing)"
    )
    rss, hwm = real["ui"]
    print(f"UI process VmRSS {rss:.0f} MB, peak {hwm:.0f} MB: {verdict(hwm, RSS_TARGET_MB, 'MB')}")
    others = ", ".join(f"{mb:.0f} MB" for _, mb in real["others"])
    print(f"  (its child processes, not counted: forkserver, resource tracker, workers: {others})")

    painted: list[float] = []
    last: dict[str, float] = {}
    for rep in range(args.reps):
        last = asyncio.run(one_rep(store, extras=rep == args.reps - 1))
        painted.append(last["painted"])
    print(
        f"in-process (run_test, pilot.press waits for the app to go idle): F4 to first "
        f"page {last['usable']:.3f} s, painted median {statistics.median(painted):.3f} s "
        f"({last['rows']:.0f} rows in the table of {last['total']:.0f}); next page "
        f"{last['page']:.3f} s, sort {last['sort']:.3f} s, filter {last['filter']:.3f} s; "
        f"this process {last['rss']:.0f} MB (peak {last['hwm']:.0f} MB)"
    )
    if not args.no_stock:
        print(
            f"reference: stock DataTable with all {args.runs} rows {stock_datatable(store):.2f} s"
        )
    print(f"load after: {os.getloadavg()}")


def verdict(value: float, target: float, unit: str) -> str:
    return f"{'OK' if value <= target else 'MISSES'} (target {target:g} {unit})"


if __name__ == "__main__":
    main()
