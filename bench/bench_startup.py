"""Start-up: ``perceptune --help`` wall time (median of 10), with the time to import
scikit-learn for reference.

    python bench/bench_startup.py [--reps 10]

``perceptune`` is ``tui.entry:main``; until it is installed this runs the same code
with ``python -c``. Target: <= 0.3 s (scikit-learn alone takes about 1 s, so it must
not be imported for --help).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.3

COMMANDS = {
    "core.cli --help": "import sys; from core.cli import main; sys.exit(main(['--help']))",
    "tui.entry --help (perceptune --help)": (
        "import sys; from tui.entry import main; sys.exit(main(['--help']))"
    ),
    "core.cli run --help": (
        "import sys; from core.cli import main; sys.exit(main(['run', '--help']))"
    ),
    "python -c pass (interpreter alone)": "pass",
    "import sklearn.neural_network (reference)": "import sklearn.neural_network",
}


def wall(code: str, reps: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()}")
    has_entry = (ROOT / "tui" / "entry.py").exists()
    worst = 0.0
    for label, code in COMMANDS.items():
        if label.startswith("tui.entry") and not has_entry:
            print(f"{label:<44} skipped: tui/entry.py does not exist yet")
            continue
        wall(code, 1)  # warm the page cache
        median = statistics.median(wall(code, args.reps))
        if "--help" in label:
            worst = max(worst, median)
        print(f"{label:<44} {median:.3f} s (median of {args.reps})")
    print(f"load after: {os.getloadavg()}")
    print(f"slowest --help {worst:.3f} s: {'OK' if worst <= TARGET else 'MISSES'} target {TARGET}")


if __name__ == "__main__":
    main()
