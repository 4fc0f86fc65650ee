"""Event-loop lag, CPU and commit -> screen latency of the app while it follows a store
whose background runner trains on both cores (issue 12).

    python bench/bench_follow_lag.py [--seconds 20] [--size 120x40]
    python bench/bench_follow_lag.py --no-probe     # the app's own CPU (its idle cost)
    python bench/bench_follow_lag.py --no-probe --py-spy stacks.txt

1. A fresh store; ``perceptune queue workers 2`` and two ``perceptune queue add`` of
   digits, layers 64,64, tol 0, 20,000 epochs (they train the whole time): the CLI
   starts the store's detached background runner, which trains both on its 2 worker
   processes. The script waits until both report epochs in the store.
2. The real app, as users start it, on a pseudo-terminal (``pty.fork``,
   TERM=xterm-256color, Textual's Linux driver; the child is this script with
   ``--child``, which calls ``tui.entry.main(["--store", ...])``, the ``perceptune``
   console script, background runner mode, the default). An auto pilot
   (``App.run(auto_pilot=...)``) waits until the app's follower shows both runs with
   epochs, selects the newer one (Charts draws it live: its title at each redraw
   tick, its curves as they move), waits for the app's start-up work on threads (the
   dataset pane imports scikit-learn: seconds of CPU on a busy machine, not the cost
   of following), then a probe on the app's event loop sleeps to a 10 ms schedule for
   ``--seconds`` and records how late each wake-up is, and the CPU the UI thread used
   per tick. With ``--no-probe`` nothing but the app runs for ``--seconds``: its CPU
   is then the idle cost of following (the probe's 100 wake-ups a second cost ~0.5-1 %
   of a core of their own). The parent reads the terminal the whole time, as a
   terminal would, samples both cores and the runner's processes, and polls the
   store every 5 ms for when each epoch count was committed; the app records when a
   frame written to the terminal first showed each epoch count in the chart title
   (bench-only wrappers, see watch_screen): commit -> screen is the difference.
3. The app quits (the runner keeps training, as after ctrl+q "keep training"), then
   ``perceptune queue stop``.

Targets: lag p95 <= 5 ms, max <= 50 ms (as bench_tui_lag.py); the app's CPU while
following <= 5 % of one core; an epoch on screen within 200 ms of its commit (p95).
Also printed: epochs/s per run as the app saw them, chart redraws, frames and
event-loop iterations per second, the widgets repainted, garbage-collector pauses, and
the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tui_lag import (  # noqa: E402
    LAG_MAX_MS,
    LAG_P95_MS,
    Terminal,
    percentile,
    print_gc,
    probe,
    verdict,
    watch_gc,
)
from bench_tui_launch import spawn  # noqa: E402

EPOCHS = 20_000
RUN_FLAGS = [
    "--dataset", "digits", "--layers", "64,64", "--epochs", str(EPOCHS),
    "--tol", "0", "--n-iter-no-change", str(EPOCHS),
]  # fmt: skip


# --- the child: the app following the store, and the probe -----------------------------

#: "epoch 123/20000" (or "123/20000" in a narrow title) in the chart title.
TITLE_EPOCH = re.compile(r"(\d+)/\d+")


def watch_screen(report: dict[str, Any], probing: list[bool]) -> None:
    """While ``probing[0]``: count the frames written to the terminal, the widgets
    each repainted and the event loop's iterations (``report["frames"]``,
    ``report["repaints"]``, ``report["wakeups"]``), and record when a
    frame first showed each epoch count of the chart title (``report["shown"]``:
    [epoch, time.monotonic()] pairs; CLOCK_MONOTONIC is one clock for every process,
    so the parent compares them with the commits it saw). Bench-only wrappers of
    Textual's Static.update, Compositor.update_widgets and App._display, and of
    asyncio's BaseEventLoop._run_once."""
    from collections import Counter

    from rich.text import Text
    from textual._compositor import Compositor
    from textual.app import App
    from textual.widgets import Static

    repaints: Counter[str] = Counter()
    report["frames"] = 0
    report["shown"] = []
    pending: list[int | None] = [None]  # the epoch the title shows, not on screen yet
    update, update_widgets, display = Static.update, Compositor.update_widgets, App._display

    def title_update(self: Static, content: Any = "", *, layout: bool = True) -> None:
        update(self, content, layout=layout)
        if self.id == "chart-title":
            found = TITLE_EPOCH.search(content.plain if isinstance(content, Text) else str(content))
            if found:
                pending[0] = int(found.group(1))

    def counted(self: Compositor, widgets: set[Any]) -> None:
        if probing[0]:
            repaints.update(f"{type(w).__name__}#{w.id}" for w in widgets)
        update_widgets(self, widgets)

    def frame(self: App, screen: Any, renderable: Any) -> None:
        display(self, screen, renderable)
        if renderable is not None and probing[0]:
            report["frames"] += 1
            if pending[0] is not None:
                report["shown"].append((pending[0], time.monotonic()))
                pending[0] = None
        report["repaints"] = repaints.most_common(12)

    import asyncio.base_events

    loop_class = asyncio.base_events.BaseEventLoop
    run_once = loop_class._run_once
    report["wakeups"] = 0

    def counted_run_once(self: Any) -> None:
        if probing[0]:
            report["wakeups"] += 1
        run_once(self)

    loop_class._run_once = counted_run_once  # type: ignore[method-assign]
    Static.update = title_update  # type: ignore[method-assign]
    Compositor.update_widgets = counted  # type: ignore[method-assign]
    App._display = frame  # type: ignore[method-assign]


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each thread of this process, by its Python name (Linux
    /proc; empty elsewhere)."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    ticks = os.sysconf("SC_CLK_TCK")
    spent: dict[str, float] = {}
    for task in Path("/proc/self/task").glob("*"):
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), f"thread {task.name}")
        spent[name] = spent.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return spent


def child(work: Path, seconds: float, no_probe: bool = False, bare: bool = False) -> None:
    from tui.entry import main as entry_main
    from tui.entry import textual_settings

    textual_settings()  # as the console script does, before Textual is imported
    from tui.app import PerceptuneApp

    report: dict[str, Any] = {"gc": {}}
    if bare:  # the app as users run it: no wrapper, no GC callback (no frame figures)
        probing = [False]
        report.update(frames=0, wakeups=0, shown=[], repaints=[])
    else:
        probing = watch_gc(report)
        watch_screen(report, probing)

    async def pilot_run(pilot: Any) -> None:
        app = pilot.app
        deadline = time.monotonic() + 60
        while not (
            len(app.queue.running_ids()) == 2
            and all(len(app.queue.curve(r)) >= 5 for r in app.queue.running_ids())
        ):
            assert time.monotonic() < deadline, "the app never showed the two runs training"
            await asyncio.sleep(0.05)
        running = sorted(app.queue.running_ids())
        app.select_run(running[-1], show_charts=True)  # Charts follows it live
        # The start-up work done on threads (the dataset pane's description imports
        # scikit-learn: seconds of CPU on a busy machine) is not the cost of following.
        while any(w.is_running and w.group != "chart-build" for w in app.workers):
            assert time.monotonic() < deadline + 60, "the app's start-up workers never ended"
            await asyncio.sleep(0.1)
        await pilot.pause(1.0)
        app.clear_notifications()
        probing[0] = True
        (work / "probing").touch()  # the parent's cue
        draws = app.charts.draws
        epochs = {r: len(app.queue.curve(r)) for r in running}
        cpu, wall = time.process_time(), time.perf_counter()
        threads_before = thread_cpu()
        profiler = None
        if os.environ.get("BENCH_PROFILE"):  # the UI thread's own work, by function
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        end = time.perf_counter() + seconds
        if no_probe:  # the app's own idle cost: nothing wakes its loop but the app
            await asyncio.sleep(seconds)
            report["lag"] = ([], [])
        else:
            report["lag"] = await probe(lambda: time.perf_counter() >= end)
        if profiler is not None:
            import io
            import pstats

            profiler.disable()
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
            report["profile"] = text.getvalue()
        wall = time.perf_counter() - wall
        threads_after = thread_cpu()
        report["thread_cpu"] = {
            name: (seconds - threads_before.get(name, 0.0)) / wall
            for name, seconds in threads_after.items()
        }
        report["ui_cpu"] = (time.process_time() - cpu) / wall
        report["draws_per_s"] = (app.charts.draws - draws) / wall
        report["epochs_per_s"] = [(len(app.queue.curve(r)) - n) / wall for r, n in epochs.items()]
        report["running_end"] = len(app.queue.running_ids())
        report["selected"] = running[-1]
        report["frames_per_s"] = report["frames"] / wall
        report["wakeups_per_s"] = report["wakeups"] / wall
        probing[0] = False
        report["threads"] = sorted(t.name for t in __import__("threading").enumerate())
        (work / "out.json").write_text(json.dumps(report))
        app.exit(0)  # the runner keeps training, as after ctrl+q "keep training"

    run = PerceptuneApp.run

    def run_with_pilot(self: Any, *args: Any, **kwargs: Any) -> Any:
        return run(self, *args, auto_pilot=pilot_run, **kwargs)

    PerceptuneApp.run = run_with_pilot  # type: ignore[method-assign]
    entry_main(["--store", str(work / "runs.db")])


# --- the parent: the queue, the terminal, the CPU ----------------------------------------


def cli(store: Path, *args: str, env: dict[str, str]) -> str:
    """``perceptune ARGS --store STORE``'s stdout (the CLI as a real subprocess)."""
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=store.parent,
        check=True,
    )
    return done.stdout


def queue_state(store: Path, env: dict[str, str]) -> dict[str, Any]:
    return json.loads(cli(store, "queue", "--store", str(store), "--json", env=env))


def runner_processes(pid: int) -> list[Any]:
    """The runner and everything under it (its pool's forkserver and workers)."""
    import psutil

    runner = psutil.Process(pid)
    return [runner, *runner.children(recursive=True)]


class CommitWatch:
    """When each epoch count of each running run appeared in the store, seen by
    polling it every ``period`` s on a thread of this process (a commit is seen at
    most ``period`` + one read late: the latencies are that much short, never long)."""

    def __init__(self, store: Path, period: float = 0.005) -> None:
        self.store, self.period = store, period
        self.seen: dict[int, dict[int, float]] = {}  # run id -> epoch count -> time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> CommitWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        conn = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=5)
        version = None
        while not self._stop.wait(self.period):
            try:
                now_version = conn.execute("PRAGMA data_version").fetchone()[0]
                if now_version == version:
                    continue
                version = now_version
                rows = conn.execute(
                    "SELECT id, n_epochs FROM runs WHERE status = 'running'"
                ).fetchall()
            except sqlite3.OperationalError:
                continue  # busy: the next look
            now = time.monotonic()
            for run_id, epochs in rows:
                self.seen.setdefault(run_id, {}).setdefault(epochs, now)
        conn.close()

    def latencies(self, run_id: int, shown: list[tuple[int, float]]) -> list[float]:
        """Seconds from each commit of ``run_id`` to the first frame showing that
        epoch count or a later one (commits after the last frame are left out)."""
        out = []
        frames = sorted(shown, key=lambda pair: pair[1])
        for epochs, committed in sorted(self.seen.get(run_id, {}).items()):
            on_screen = next(
                (at for count, at in frames if count >= epochs and at >= committed), None
            )
            if on_screen is not None and frames and committed >= frames[0][1] - 1.0:
                out.append(on_screen - committed)
        return out


def parent(args: argparse.Namespace) -> None:
    import psutil

    size = tuple(int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="perceptune-followlag-"))
    store = work / "runs.db"
    print(f"{os.cpu_count()} CPUs, load before {os.getloadavg()}, terminal {args.size}")
    if args.profile:
        os.environ["BENCH_PROFILE"] = "1"
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT), "BENCH_CWD": str(work)}
    try:
        cli(store, "queue", "--store", str(store), "workers", "2", env=env)
        for _ in range(2):
            cli(store, "queue", "add", "--store", str(store), *RUN_FLAGS, "--json", env=env)
        deadline = time.monotonic() + 90
        while True:
            state = queue_state(store, env)
            running = [r for r in state["runs"] if r["status"] == "running"]
            if len(running) == 2 and all(r["n_epochs"] >= 5 for r in running):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the runner never trained both runs: {state}")
            time.sleep(0.2)
        runner_pid = int(state["runner"]["pid"])
        print(f"runner pid {runner_pid} trains runs {[r['id'] for r in running]}")
        here = str(Path(__file__).resolve())
        argv = [sys.executable, here, "--child", str(work), "--seconds", str(args.seconds)]
        if args.no_probe:
            argv.append("--no-probe")
        if args.bare:
            argv.append("--bare")
        pid, fd = spawn(argv, env, size)  # type: ignore[arg-type]
        term = Terminal(fd)
        try:
            term.wait_file(work / "probing", 120)
            processes = runner_processes(runner_pid)
            app = psutil.Process(pid)
            psutil.cpu_percent(percpu=True)
            for process in [*processes, app]:
                process.cpu_percent()
            started = time.perf_counter()
            commits = CommitWatch(store).start()
            spy = None
            if args.py_spy:  # every thread of the app, sampled (no profiler in the app)
                spy = subprocess.Popen(
                    ["py-spy", "record", "-p", str(pid), "-d", str(int(args.seconds)),
                     "-f", "raw", "-o", str(args.py_spy), "--threads", "--gil"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            term.wait_file(work / "out.json", args.seconds + 60)
            commits.stop()
            cores = psutil.cpu_percent(percpu=True)
            busy = [p.cpu_percent() for p in processes]
            app_cpu = app.cpu_percent()
            load = os.getloadavg()
            print(
                f"CPU during the probe ({time.perf_counter() - started:.1f} s): cores "
                + ", ".join(f"{c:.0f}%" for c in cores)
                + "; runner + pool processes "
                + ", ".join(f"{b:.0f}%" for b in busy)
                + f"; the app {app_cpu:.1f}%"
            )
            while not os.waitpid(pid, os.WNOHANG)[0]:
                term.read_for(0.2)
            if spy is not None:
                spy.wait(timeout=30)
        except (EOFError, OSError):
            os.waitpid(pid, 0)
        finally:
            os.close(fd)
        report = json.loads((work / "out.json").read_text())
        state = queue_state(store, env)
    finally:
        subprocess.run(
            [sys.executable, "-m", "core.cli", "queue", "--store", str(store), "stop"],
            env=env,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(work, ignore_errors=True)

    rates = ", ".join(f"{v:.0f}" for v in report["epochs_per_s"])
    still = sum(1 for r in state["runs"] if r["status"] == "running")
    print(
        f"epochs/s per run seen by the app: {rates}; chart redraws {report['draws_per_s']:.1f}/s;"
        f" runs still training after the app quit: {still}"
    )
    if "profile" in report:
        print(report["profile"])
    print(
        f"frames written {report['frames_per_s']:.1f}/s, event-loop iterations"
        f" {report['wakeups_per_s']:.0f}/s; widgets repainted (count in the probe): "
        + ", ".join(f"{name} {n}" for name, n in report.get("repaints", []))
    )
    late = sorted(commits.latencies(report["selected"], report["shown"]))
    if late:
        print(
            f"commit -> chart title on screen, run {report['selected']}, {len(late)} epoch"
            f" counts: p50 {statistics.median(late) * 1000:.0f}, p95"
            f" {percentile(late, 95) * 1000:.0f}, max {late[-1] * 1000:.0f} ms (target p95 <= 200)"
        )
    print(f"app process CPU while following: {report['ui_cpu'] * 100:.1f}% of a core")
    busy = sorted(report.get("thread_cpu", {}).items(), key=lambda item: -item[1])
    print(
        "  by thread: "
        + ", ".join(f"{name} {share * 100:.1f}%" for name, share in busy if share >= 0.001)
    )
    print_gc(report)
    if not report["lag"][0]:  # --no-probe: the app's CPU is the figure
        print(f"load during the run {load}, after {os.getloadavg()}")
        return
    lags = [lag * 1000 for lag in report["lag"][0]]
    cpus = [cpu * 1000 for cpu in report["lag"][1]]
    p95, worst = percentile(lags, 95), max(lags)
    print(
        f"event-loop lag, {len(lags)} ticks: median {statistics.median(lags):.2f}, "
        f"p95 {p95:.2f}, p99 {percentile(lags, 99):.2f}, max {worst:.1f} ms "
        f"(UI-thread CPU per tick: p95 {percentile(cpus, 95):.2f}, max {max(cpus):.1f} ms)"
    )
    print(f"load during the probe {load}, after {os.getloadavg()}")
    print(
        f"lag p95 {p95:.2f} ms {verdict(p95, LAG_P95_MS)}, "
        f"max {worst:.1f} ms {verdict(worst, LAG_MAX_MS)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the probe")
    parser.add_argument("--size", default="120x40")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the UI thread during the probe"
    )
    parser.add_argument(
        "--no-probe",
        action="store_true",
        help="no lag probe: only the app's own CPU while it follows (its idle cost)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="py-spy record the app (raw stacks of the thread holding the GIL) to FILE",
    )
    parser.add_argument(
        "--bare",
        action="store_true",
        help="with --no-probe: the app without the bench's frame and GC counters"
        " (its CPU as users run it; no frame or commit -> screen figures)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.seconds, args.no_probe, args.bare)
    else:
        parent(args)


if __name__ == "__main__":
    main()
