"""Decision regions of a (256, 256) run on moons: cost in the worker, key to screen in
the real app, and the app's event-loop lag meanwhile.

    python bench/bench_regions.py [--presses 20] [--size 100x30]

1. Worker side (this process): train the run once, then time ``core.regions.regions_of``
   (the grid the training worker now predicts right after ``fit``) against the run's
   own training time; the same for a (2000, 2000) network trained one epoch, to show
   the grid's cost stays bounded by its budget at any size the form allows.
2. The real app, as users start it (``tui.entry.main`` with its 2-worker process pool,
   on a pseudo-terminal with Textual's Linux driver, as ``bench_tui_lag.py`` does),
   trains the run through its queue and shows it in Charts. Then, with the terminal
   at ``--size`` (100x30: a narrow Charts pane, where ``d`` shows the regions in the
   accuracy chart's place, a repaint of that chart with no layout):
   - "read": ``d`` pressed ``--presses`` times, each followed by ``d`` to go back; the
     time from writing the key to the regions' legend on the terminal. The app's
     regions cache is emptied before each press (a patch of the bench, not the app),
     so every press reads the grid from the store.
   - "retrain": the grid deleted from the store (a run from an older version): ``d``
     says it is not stored, ``d`` again trains the run again in a worker process;
     the time until the regions show.
   - "cancel": the same, cancelled with ``d`` once its progress shows: key to
     "cancelled" on screen, and until the worker has stopped.
   - "reread" (before the above, no key): the regions shown, then the cache emptied
     and the grid read from the store again, REREADS times: the grid's own cost on
     the UI, without the relayout that showing or hiding a widget costs.
   A probe on the app's event loop (10 ms schedule) records how late it wakes in
   each phase, and first for IDLE_S with no input ("idle": what the machine's load
   alone costs). Targets: regions on screen within 1 s of ``d``; lag p95 <= 5 ms and
   max <= 50 ms (``bench_tui_lag.py``'s targets). The UI thread's CPU time per ``d``
   press and per reread is printed too (whole, and net of the idle phase's rate): it
   depends less on the machine's load than the lag does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tui_lag import (  # noqa: E402
    LAG_MAX_MS,
    LAG_P95_MS,
    PROBE_S,
    Terminal,
    child_report,
    end_child,
    percentile,
)
from bench_tui_launch import spawn  # noqa: E402

LAYERS = (256, 256)
SHOW_TARGET_MS = 1000.0
PHASES = ("idle", "reread", "read", "retrain", "cancel")
#: Reads of the grid from the store in the "reread" phase.
REREADS = 30
#: Seconds of the "idle" phase: the app showing the run, no input (the baseline).
IDLE_S = 3.0
LEGEND = b"black: wrong"


def worker_side() -> None:
    from core.config import RunConfig
    from core.datasets import DatasetSpec
    from core.regions import grid_shape, regions_of
    from core.training import train
    from core.worker import cached_dataset

    data = cached_dataset(DatasetSpec(name="moons"))
    for layers, epochs in ((LAYERS, 100), ((2000, 2000), 1)):
        config = RunConfig(layers=layers, epochs=epochs)
        started = time.perf_counter()
        result = train(config, data, keep_model=True)
        run_s = time.perf_counter() - started
        model = result.model
        times = []
        for _ in range(5):
            started = time.perf_counter()
            regions_of(model, data)
            times.append(time.perf_counter() - started)
        weights = sum(int(c.size) for c in model.coefs_)
        columns, rows = grid_shape(weights)
        median = statistics.median(times)
        print(
            f"worker: {layers} on moons ({len(data.y_train)} train rows), {epochs} epochs: "
            f"run {run_s:.2f} s (grid included); grid {columns}x{rows} alone median "
            f"{median * 1000:.0f} ms ({median / run_s:.1%} of the run)"
        )


# --- the child: the app ---------------------------------------------------------------


def child(work: Path) -> None:
    from tui.entry import main as entry_main
    from tui.entry import textual_settings

    textual_settings()
    from core.config import RunConfig
    from core.datasets import DatasetSpec
    from tui.app import PerceptuneApp
    from tui.widgets.charts.pane import ChartsPane

    report: dict[str, Any] = {}
    toggle = ChartsPane.action_toggle_regions

    def toggle_uncached(self: Any) -> None:  # every d reads the store again
        if (work / "uncached").exists():
            self.regions._cache.clear()
        toggle(self)

    ChartsPane.action_toggle_regions = toggle_uncached  # type: ignore[method-assign]

    async def probe(done: Any, watch: Any = None, phase: str = "") -> list[float]:
        lags: list[float] = []
        target = time.perf_counter() + PROBE_S
        # The UI thread's CPU time (the probe runs on the event loop's thread): less
        # sensitive to the machine's load than the lag.
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        while not done():
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            now = time.perf_counter()
            lags.append(now - target)
            target = max(target + PROBE_S, now)
            if watch is not None:
                watch()
        if phase:
            cpu = report.setdefault("cpu", {})
            cpu[phase] = (time.thread_time() - cpu0, time.perf_counter() - wall0)
        return lags

    async def pilot_run(pilot: Any) -> None:
        app = pilot.app
        await pilot.pause(0.3)
        config = RunConfig(layers=LAYERS, epochs=100)
        app.load_into_form(config, DatasetSpec(name="moons"), "the benchmark's config")
        await pilot.pause(0.3)
        app.action_run_now()
        deadline = time.monotonic() + 300
        while not app.store.list_runs() or app.store.list_runs()[0].status != "done":
            assert time.monotonic() < deadline, "the run did not finish"
            await asyncio.sleep(0.1)
        run_id = app.store.list_runs()[0].id
        app.select_run(run_id, show_charts=True)
        await pilot.pause(0.5)
        app.clear_notifications()
        app.charts.focus()
        await pilot.pause(0.3)
        (work / "uncached").touch()
        end = time.perf_counter() + IDLE_S
        report["idle"] = await probe(lambda: time.perf_counter() >= end, phase="idle")
        # "reread": the regions shown (d), then read from the store again and again
        # without a key (the cache emptied): the grid's own cost, no layout change.
        charts, regions = app.charts, app.charts.regions
        charts.action_toggle_regions()
        while not regions.ready:
            await asyncio.sleep(0.01)
        times: list[float] = []
        state: dict[str, Any] = {"left": REREADS, "started": None}

        def reread() -> None:
            # Read again: the cache emptied, then asked as a redraw asks (what shows
            # stays up until the new grid is drawn; it is then shown in its place).
            chart = charts.accuracy
            if state["started"] is not None and regions.ready:
                picture = getattr(chart, "picture", None)  # (None in older code)
                if picture is None or picture.key[2] == id(regions.regions):
                    times.append(time.perf_counter() - state["started"])
                    state["started"] = None
                    state["left"] -= 1
            if state["started"] is None and state["left"] > 0:
                regions._cache.clear()
                state["started"] = time.perf_counter()
                charts._update_regions()

        report["reread"] = await probe(lambda: state["left"] <= 0, reread, "reread")
        report["reread_ms"] = [t * 1000 for t in times]
        charts.action_toggle_regions()
        await pilot.pause(0.3)
        (work / "ready").touch()
        report["read"] = await probe((work / "retrain").exists, phase="read")

        def drop_grid() -> None:
            metrics = app.store.metrics(run_id) or {}
            metrics.pop("regions", None)
            app.store.set_metrics(run_id, metrics)
            app.charts.regions._cache.clear()

        drop_grid()
        (work / "retrain-ready").touch()
        report["retrain"] = await probe((work / "cancel").exists)
        drop_grid()
        app.charts.regions._missing.clear()
        (work / "cancel-ready").touch()
        handle: list[Any] = [None, None]  # the retraining, when it was cancelled

        def watch() -> None:
            regions = app.charts.regions
            if regions.retraining is not None:
                handle[0] = regions.retraining
            elif handle[0] is not None and handle[1] is None:  # cancelled just now
                handle[1] = time.perf_counter()
            if handle[1] is not None and handle[0].done() and "stopped_s" not in report:
                report["stopped_s"] = time.perf_counter() - handle[1]
                (work / "stopped").touch()

        report["cancel"] = await probe((work / "stop").exists, watch)
        (work / "out.json").write_text(json.dumps(report))
        app.exit(0)

    run = PerceptuneApp.run

    def run_with_pilot(self: Any, *args: Any, **kwargs: Any) -> Any:
        return run(self, *args, auto_pilot=pilot_run, **kwargs)

    PerceptuneApp.run = run_with_pilot  # type: ignore[method-assign]
    entry_main(["--store", str(work / "runs.db"), "--workers", "2"])


# --- the parent: the terminal ---------------------------------------------------------


def lag_line(phase: str, lags_s: list[float]) -> tuple[float, float]:
    lags = [lag * 1000 for lag in lags_s]
    p95, worst = percentile(lags, 95), max(lags)
    ok = "OK" if p95 <= LAG_P95_MS and worst <= LAG_MAX_MS else "MISSES"
    print(
        f"event-loop lag, {phase:<7} {len(lags):4d} ticks: median {statistics.median(lags):.2f},"
        f" p95 {p95:.2f}, max {worst:.1f} ms: {ok} (targets p95 {LAG_P95_MS:g}, max"
        f" {LAG_MAX_MS:g})"
    )
    return p95, worst


def parent(args: argparse.Namespace) -> None:
    size = tuple(int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="perceptune-regions-"))
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()}, terminal {args.size}")
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT), "BENCH_CWD": str(work)}
    here = str(Path(__file__).resolve())
    pid, fd = spawn([sys.executable, here, "--child", str(work)], env, size)  # type: ignore[arg-type]
    term = Terminal(fd)
    shows: list[float] = []
    try:
        term.wait_file(work / "ready", 300)
        term.read_for(0.5)
        for _ in range(args.presses):
            shows.append(term.key(b"d", LEGEND))
            term.read_for(0.15)
            term.key(b"d", b"accuracy")
            term.read_for(0.15)
        (work / "retrain").touch()
        term.wait_file(work / "retrain-ready", 30)
        term.key(b"d", b"not stored")
        term.read_for(0.2)
        retrain = term.key(b"d", LEGEND, timeout=120)
        term.read_for(0.3)
        term.key(b"d", b"accuracy")
        (work / "cancel").touch()
        term.wait_file(work / "cancel-ready", 30)
        term.key(b"d", b"not stored")
        term.read_for(0.2)
        term.key(b"d", b"again, epoch ", timeout=60)
        cancel = term.key(b"d", b"cancelled")
        with contextlib.suppress(TimeoutError):  # reported as not seen
            term.wait_file(work / "stopped", 60)
    finally:
        end_child(term, pid, fd, work)
    report = child_report(work)
    p95 = percentile(shows, 95)
    ok = "OK" if max(shows) <= SHOW_TARGET_MS else "MISSES"
    print(
        f"d to regions on screen (grid read from the store), {len(shows)} presses: median "
        f"{statistics.median(shows):.0f}, p95 {p95:.0f}, max {max(shows):.0f} ms: {ok} "
        f"(target {SHOW_TARGET_MS:g})"
    )
    reread = report["reread_ms"]
    print(
        f"regions shown again from the store without a key (no layout change), {len(reread)}"
        f" times: median {statistics.median(reread):.1f}, max {max(reread):.1f} ms"
    )
    print(f"d to regions on screen, trained again in a worker (no grid stored): {retrain:.0f} ms")
    stopped = report.get("stopped_s")
    stopped_text = "not seen" if stopped is None else f"{stopped * 1000:.0f} ms later"
    print(f"d to 'cancelled' on screen: {cancel:.0f} ms; the worker free again {stopped_text}")
    for phase in PHASES:
        lag_line(phase, report[phase])
    cpu = report["cpu"]
    idle_rate = cpu["idle"][0] / cpu["idle"][1]
    for phase, count, what in (
        ("read", 2 * args.presses, "d press (to the regions and back)"),
        ("reread", len(reread), "reread without a key"),
    ):
        used, wall = cpu[phase]
        net = (used - idle_rate * wall) / count
        print(
            f"UI-thread CPU per {what}: {used / count * 1000:.1f} ms, {net * 1000:.1f} ms"
            f" net of idle ({idle_rate * 1000:.0f} ms/s idle; {count} in {wall:.1f} s)"
        )
    print(f"load after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--size", default="100x30")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    worker_side()
    parent(args)


if __name__ == "__main__":
    main()
