"""Small text helpers shared by the widgets: accuracies with 3 decimals, durations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DASH = "—"

#: A colour per verdict, among the 16 standard colours so it reads the same in every
#: terminal. Textual draws them through its ANSI theme (Monokai by default), where
#: red, magenta, bright_red and bright_magenta are one and the same pink: ``unstable``
#: is bright_blue so that it differs from every other verdict there too.
VERDICT_COLORS = {
    "good fit": "green",
    "overfitting": "yellow",
    "underfitting": "magenta",
    "unstable": "bright_blue",
    "diverged": "red",
}


def acc(value: float | None) -> str:
    """An accuracy (or a gap) as the lesson prints it: ``0.887``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{value:.3f}"


def duration(seconds: float | None) -> str:
    """``0.8s``, ``12s``, ``3m05s``, ``1h02m``."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """A text bar like ``█████░░░░░`` (works in 16 colours and over SSH)."""
    total = max(total, 1)
    filled = min(width, max(0, round(width * done / total)))
    return "█" * filled + "░" * (width - filled)


def verdict_color(verdict: str) -> str:
    """The colour of ``verdict`` (a verdict name such as ``"unstable"``); white for
    anything else (a status, a dash)."""
    return VERDICT_COLORS.get(verdict, "white")


def verdict_name(verdict: Mapping[str, Any] | None) -> str:
    if not verdict:
        return DASH
    return str(verdict.get("verdict", DASH))


def verdict_numbers(verdict: Mapping[str, Any] | None) -> str:
    """The numbers behind a verdict on one line: ``train 0.987 · test 0.880 · ...``."""
    if not verdict:
        return ""
    parts: list[str] = []
    if "train_accuracy" in verdict:
        parts.append(f"train {acc(verdict['train_accuracy'])}")
    if "test_accuracy" in verdict:
        parts.append(f"test {acc(verdict['test_accuracy'])}")
    if "gap" in verdict:
        parts.append(f"gap {acc(verdict['gap'])}")
    if "peak_test_accuracy" in verdict:
        peak = f"peak test {acc(verdict['peak_test_accuracy'])}"
        if "peak_epoch" in verdict:
            peak += f" @ epoch {verdict['peak_epoch']}"
        parts.append(peak)
    if "baseline" in verdict:
        parts.append(f"baseline {acc(verdict['baseline'])}")
    if "last_epoch" in verdict and "peak_epoch" not in verdict:
        parts.append(f"last epoch {verdict['last_epoch']}")
    return " · ".join(parts)


def dataset_label(dataset: Mapping[str, Any]) -> str:
    """A short dataset name for tables, without validating the spec."""
    name = dataset.get("name")
    if name:
        return str(name)
    train = str(dataset.get("train") or "?")
    return train.rsplit("/", 1)[-1]


def cv_score(mean: float | None, std: float | None, cross_validated: bool) -> str:
    """A cross-validated run's score as ``0.912±0.021`` (the folds' mean validation
    accuracy ± their std); ``cross_validated`` False (an ordinary run) or no score yet
    gives the dash."""
    if not cross_validated or mean is None or not math.isfinite(mean):
        return DASH
    if std is None or not math.isfinite(std):
        return acc(mean)
    return f"{mean:.3f}±{std:.3f}"


def runs_training(running: int, waiting: int) -> str:
    """What a quit dialog says is at stake: "2 runs training, 3 waiting"."""
    text = f"{running} run{'s' if running != 1 else ''} training"
    return f"{text}, {waiting} waiting" if waiting else text
