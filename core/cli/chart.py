"""Train/test accuracy curves drawn in the terminal with plotext (for ``show``)."""

from __future__ import annotations

import shutil

from core.results import EpochPoint

TRAIN_COLOR = "blue"
TEST_COLOR = "orange"


def curve_chart(
    curve: list[EpochPoint], title: str = "", width: int | None = None, color: bool = True
) -> str:
    """The chart as text; an empty curve gives an empty string (plotext would crash
    on a labelled series with no points)."""
    if not curve:
        return ""
    import plotext as plt

    columns, rows = shutil.get_terminal_size((100, 30))
    plt.clear_figure()
    plt.plotsize(width or min(columns, 120), max(12, min(rows - 8, 24)))
    epochs = [p.epoch for p in curve]
    plt.plot(epochs, [p.train_accuracy for p in curve], label="train", color=TRAIN_COLOR)
    plt.plot(epochs, [p.test_accuracy for p in curve], label="test", color=TEST_COLOR)
    low = min(min(p.train_accuracy, p.test_accuracy) for p in curve)
    plt.ylim(max(0.0, low - 0.05), 1.0)
    plt.xlabel("epoch")
    plt.ylabel("accuracy")
    if title:
        plt.title(title)
    text = plt.build()
    return text if color else plt.uncolorize(text)  # piped to a file: no escape codes
