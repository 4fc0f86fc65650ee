"""Reference accuracy cost: computing what a split allows (k-nearest neighbours and
logistic regression, :mod:`core.reference`) against one default run on the same data.

    python bench/bench_reference.py [--reps 7] [--dataset digits]

In process, CPU-bound, median of ``--reps``: the reference computation (fit and
score both models; the per-process cache is bypassed) and one ``core.training.train``
of the default config (6,6), 100 epochs) on the same split. The reference is computed
once per split (then cached in the store), so this is its whole cost. Target: at most
1 s on digits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_S = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args()

    from core.config import RunConfig
    from core.datasets import DatasetSpec, load_dataset
    from core.reference import compute_reference
    from core.training import train

    data = load_dataset(DatasetSpec(name=args.dataset))
    compute_reference(data)  # imports and first-call costs out of the way
    train(RunConfig(epochs=2), data)
    reference_s, run_s = [], []
    for _ in range(args.reps):
        started = time.perf_counter()
        reference = compute_reference(data)
        reference_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = train(RunConfig(), data)
        run_s.append(time.perf_counter() - started)
    ref, run = statistics.median(reference_s), statistics.median(run_s)
    print(
        f"{args.dataset}: {len(data.y_train)} train / {len(data.y_test)} test rows; "
        f"reference {reference.accuracy:.3f} {reference.models}"
    )
    print(f"reference: {ref:.3f} s (median of {args.reps}; target <= {TARGET_S:g} s)")
    print(f"one default run ((6,6), {result.n_epochs} epochs): {run:.3f} s")
    print(f"ratio reference / run: {ref / run:.2f}x")
    return 0 if ref <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
