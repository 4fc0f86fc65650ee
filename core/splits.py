"""Will a split leave every class on both sides? Checked before a run is stored.

A run splits its data twice: the train/test split (``test_size``) and, with early
stopping, scikit-learn's split of the train part into fit and validation rows
(``validation_fraction``). Both are stratified the way ``train_test_split`` does it:
each side gets ``n_side * count / n`` rows of a class, rounded down or up. So a class
of ``count`` rows surely lands on both sides when ``count * n_side >= n`` for each
side; this module refuses a fraction that does not give that, and says which fractions
do. The class sizes of the built-in sets are known without loading them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.errors import ConfigError

#: Rows per class of the sets bundled with scikit-learn (tests check them against it).
BUNDLED_CLASS_COUNTS: dict[str, tuple[int, ...]] = {
    "iris": (50, 50, 50),
    "wine": (59, 71, 48),
    "breast_cancer": (212, 357),
    "digits": (178, 182, 177, 183, 181, 182, 181, 179, 174, 180),
}
#: Classes of each synthetic set; the generators make them equal in size (up to one row).
SYNTHETIC_CLASSES = {"moons": 2, "circles": 2, "xor": 2, "spiral": 2, "blobs": 3}


def builtin_class_counts(spec: Any) -> tuple[int, ...]:
    """Rows per class of the built-in set ``spec`` (a validated DatasetSpec) names."""
    if spec.name in BUNDLED_CLASS_COUNTS:
        return BUNDLED_CLASS_COUNTS[spec.name]
    n, k = spec.n_samples, SYNTHETIC_CLASSES[spec.name]
    return tuple(n // k + (1 if i < n % k else 0) for i in range(k))


def check_builtin_split(spec: Any, config: Any = None) -> None:
    """Refuse a ``test_size`` (or, with ``config.early_stopping``, a
    ``validation_fraction``) that could leave a class of built-in data ``spec`` on one
    side only; raises :class:`ConfigError` naming the setting and the allowed range."""
    if spec.name is None or spec.name not in {*BUNDLED_CLASS_COUNTS, *SYNTHETIC_CLASSES}:
        return
    counts = builtin_class_counts(spec)
    extra = " (or more --samples)" if spec.name in SYNTHETIC_CLASSES else ""
    n_test = check_split(counts, spec.test_size, "test_size", ("train", "test"), extra)
    if config is not None and config.early_stopping:
        n = sum(counts)
        n_train = n - n_test
        # Each class has at least its rounded-down share of the train part.
        train_counts = [count * n_train // n for count in counts]
        check_split(
            train_counts,
            config.validation_fraction,
            "validation_fraction",
            ("fit", "validation"),
            " (or a smaller test_size)",
            n=n_train,
        )


def check_split(
    counts: Sequence[int],
    fraction: float,
    setting: str,
    sides: tuple[str, str],
    hint: str = "",
    n: int | None = None,
) -> int:
    """Check that splitting rows of these class sizes with ``fraction`` of them on the
    second side leaves every class on both ``sides`` (their names in the message);
    returns the rows of the second side. ``hint`` ends the message (another fix);
    ``n`` is the number of rows when ``counts`` are lower bounds (default: their sum)."""
    n, smallest = n or sum(counts), min(counts)
    second = math.ceil(fraction * n)  # as train_test_split counts them
    first = n - second
    if smallest * first >= n and smallest * second >= n:
        return second
    need = -(-n // smallest)  # rows each side needs so that the smallest class is on it
    where = (
        f"{fraction:g} leaves {first} {sides[0]} and {second} {sides[1]} rows of "
        f"{n}, and the smallest class has {smallest}: every class needs a row on each side"
    )
    allowed = _allowed(n, need)
    if allowed is None:
        raise ConfigError(setting, f"{where}; no {setting} does that for this data{hint}")
    low, high = allowed
    raise ConfigError(setting, f"{where}; allowed for this data: {low:g} to {high:g}{hint}")


def _allowed(n: int, need: int) -> tuple[float, float] | None:
    """The widest short-decimal range of fractions whose split gives each side at least
    ``need`` of ``n`` rows, or None when no fraction does."""
    if 2 * need > n:
        return None
    for digits in range(2, 8):
        scale = 10**digits
        low = math.ceil(need / n * scale) / scale
        high = math.floor((n - need) / n * scale) / scale
        if low <= high and need <= math.ceil(low * n) and math.ceil(high * n) <= n - need:
            return low, high
    return None
