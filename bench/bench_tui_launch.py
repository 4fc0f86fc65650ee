"""Launch to first full frame: ``python -m tui.entry --store PATH`` in a pseudo-terminal.

    python bench/bench_tui_launch.py [--reps 7] [--runs 10000] [--size 120x40]

Each repetition forks a pseudo-terminal (``pty.fork``; TERM=xterm-256color, the
window size set before exec) and execs the real entry point, as a user's shell would.
The clock starts just before the fork; the frame counts as full once the terminal
output, with escape sequences stripped, holds both the form ("Hidden layers") and the
footer ("Quit"). Textual's first frame has the form but not yet the footer's keys
(they are composed after the screen's first refresh, 0.1-0.25 s later), so this is
the first frame with both. Nothing is added to the app for this. Then ctrl+q quits
it (the time to exit is printed too).

Stores: a fresh (empty) one, and one holding 10,000 finished runs (built with
``bench_tui_history.build_store`` and reused). With the large store the app also
shows the newest run's chart as soon as it has loaded it from a thread: the time
until its title ("#10000 ") is on screen is printed as well.

For reference: ``python -c "import sklearn"`` and ``python -c "import textual.app"``.
Target: first full frame <= 0.8 s (median).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET = 0.8
#: CSI / OSC / other escape sequences, so text split by style changes still matches.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
FRAME_MARKS = (b"Hidden layers", b"Quit")


def plain(data: bytes) -> bytes:
    return ESCAPES.sub(b"", data)


def spawn(argv: list[str], env: dict[str, str], size: tuple[int, int]) -> tuple[int, int]:
    """(pid, master fd) of ``argv`` running on a new pseudo-terminal of ``size``."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin/stdout/stderr are the pty's slave end
        cols, rows = size
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.chdir(env.get("BENCH_CWD", "/"))
        os.execve(argv[0], argv, env)
    return pid, fd


def read_until(fd: int, marks: tuple[bytes, ...], buffer: bytearray, timeout: float) -> float:
    """Read the pty into ``buffer`` until every mark is in its plain text; return the
    time of the read that completed them."""
    deadline = time.perf_counter() + timeout
    while True:
        text = plain(bytes(buffer))
        if all(mark in text for mark in marks):
            return time.perf_counter()
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError(f"never saw {marks}; got {text[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                raise EOFError(f"the app exited; output {text[-2000:]!r}")
            buffer += chunk


def drain(fd: int, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while (left := end - time.perf_counter()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                if not os.read(fd, 65536):
                    return
            except OSError:
                return


def quit_app(pid: int, fd: int) -> float:
    """Send ctrl+q; return seconds until the process exits (killed after 20 s)."""
    start = time.perf_counter()
    os.write(fd, b"\x11")
    deadline = start + 20
    while time.perf_counter() < deadline:
        drain(fd, 0.01)
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            os.close(fd)
            return time.perf_counter() - start
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return float("nan")


def app_command(store: Path) -> tuple[list[str], dict[str, str]]:
    """argv and environment of the real app on ``store``, as a terminal user starts it."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "PYTHONPATH": str(ROOT),
        "BENCH_CWD": str(store.parent),
    }
    return [sys.executable, "-m", "tui.entry", "--store", str(store)], env


def launch(store: Path, size: tuple[int, int], newest: bytes | None) -> dict[str, float]:
    argv, env = app_command(store)
    start = time.perf_counter()
    pid, fd = spawn(argv, env, size)
    buffer = bytearray()
    result = {"frame": read_until(fd, FRAME_MARKS, buffer, 30) - start}
    if newest is not None:
        result["newest"] = read_until(fd, (newest,), buffer, 30) - start
    drain(fd, 0.3)  # let the workers warm a little, like a user reading the screen
    result["quit"] = quit_app(pid, fd)
    return result


def reference(code: str, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from bench_tui_history import build_store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    assert len(size) == 2
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()}, terminal {args.size}")
    big = build_store(Path(f"/tmp/perceptune-bench-{args.runs}.db"), args.runs)
    fresh_dir = Path(f"/tmp/perceptune-bench-launch-{os.getpid()}")
    fresh_dir.mkdir(exist_ok=True)
    launch(big, size, None)  # warm the page cache (not counted)

    worst = 0.0
    for label, runs in (("fresh store", 0), (f"store with {args.runs} runs", args.runs)):
        frames: list[float] = []
        newest: list[float] = []
        quits: list[float] = []
        for rep in range(args.reps):
            store = big if runs else fresh_dir / f"fresh-{rep}.db"
            mark = f"#{args.runs} ".encode() if runs else None
            result = launch(store, size, mark)  # type: ignore[arg-type]
            frames.append(result["frame"])
            quits.append(result["quit"])
            if "newest" in result:
                newest.append(result["newest"])
        median = statistics.median(frames)
        worst = max(worst, median)
        print(
            f"{label:<24} first full frame median {median:.3f} s "
            f"(min {min(frames):.3f}, max {max(frames):.3f}, {args.reps} runs)"
        )
        if newest:
            print(f"{'':<24} newest run's chart on screen median {statistics.median(newest):.3f} s")
        print(f"{'':<24} ctrl+q to exit median {statistics.median(quits):.3f} s")
    for path in fresh_dir.iterdir():
        path.unlink()
    fresh_dir.rmdir()
    print(f"reference: python -c 'import sklearn' {reference('import sklearn', 5):.3f} s, ", end="")
    print(
        f"python -c 'import textual.app' {reference('import textual.app', 5):.3f} s (median of 5)"
    )
    print(f"load after: {os.getloadavg()}")
    print(
        f"slowest median {worst:.3f} s: {'OK' if worst <= TARGET else 'MISSES'} target {TARGET} s"
    )


if __name__ == "__main__":
    main()
