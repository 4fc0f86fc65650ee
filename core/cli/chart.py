"""Train/test accuracy and the loss per epoch, drawn in the terminal with plotext (for
``show``).

Train and test differ by marker (``o`` and ``x``), not only by colour, so the chart
reads the same piped to a file, printed, or in a terminal without colours; the epoch
axis has whole-number ticks (an epoch 2.5 does not exist).
"""

from __future__ import annotations

import math
import shutil

from core.results import EpochPoint

TRAIN_COLOR = "blue"
TEST_COLOR = "orange"
LOSS_COLOR = "red"
TRAIN_MARKER = "o"
TEST_MARKER = "x"
LOSS_MARKER = "*"
#: Rows of the loss chart under the accuracy chart.
LOSS_HEIGHT = 12
#: At most this many ticks on the epoch axis.
MAX_TICKS = 8


def epoch_ticks(last: int, first: int = 1, most: int = MAX_TICKS) -> list[int]:
    """Whole-number ticks from ``first`` to ``last``, at most ``most``, on a step of
    1, 2 or 5 times a power of ten; the last epoch is always one (where the run ended).
    """
    if last <= first:
        return [first]
    span = last - first
    raw = span / max(1, most - 1)
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next((m * power for m in (1, 2, 5, 10) if m * power >= raw), 10 * power)
    step = max(1, int(step))
    start = first if first % step == 0 else first + step - first % step
    ticks = [first, *range(start, last + 1, step)]
    ticks = sorted(set(ticks))
    # The last epoch replaces a tick too close to it to be read apart.
    if ticks[-1] != last:
        if last - ticks[-1] < step / 2 and len(ticks) > 1:
            ticks[-1] = last
        else:
            ticks.append(last)
    return ticks


def curve_chart(
    curve: list[EpochPoint], title: str = "", width: int | None = None, color: bool = True
) -> str:
    """The accuracy chart (train ``o``, test ``x``) and, when the loss is known, the
    loss chart under it, as text; each legend on a line below, off the data.
    ``width``: columns (default the terminal's, at most 120); ``color``: keep the
    escape codes (False when piped). An empty curve gives an empty string (plotext
    would crash on a labelled series with no points)."""
    if not curve:
        return ""
    import plotext as plt

    columns, rows = shutil.get_terminal_size((100, 30))
    epochs = [p.epoch for p in curve]
    ticks = epoch_ticks(max(epochs), min(epochs))
    losses = [(p.epoch, p.loss) for p in curve if math.isfinite(p.loss)]
    height = max(12, min(rows - 8, 24))
    wide = width or min(columns, 120)
    plt.clear_figure()
    plt.plotsize(wide, height)
    # No plotext legend: it is drawn over the first epochs' points. One line under it.
    plt.plot(epochs, [p.train_accuracy for p in curve], color=TRAIN_COLOR, marker=TRAIN_MARKER)
    plt.plot(epochs, [p.test_accuracy for p in curve], color=TEST_COLOR, marker=TEST_MARKER)
    low = min(min(p.train_accuracy, p.test_accuracy) for p in curve)
    plt.ylim(max(0.0, low - 0.05), 1.0)
    plt.xticks(ticks, [str(tick) for tick in ticks])
    plt.xlabel("epoch")
    plt.ylabel("accuracy")
    if title:
        plt.title(title)
    charts = [plt.build(), f"  {TRAIN_MARKER} train accuracy   {TEST_MARKER} test accuracy\n"]
    if losses:  # a chart of its own: the loss has another scale than the accuracies
        plt.clear_figure()
        plt.plotsize(wide, LOSS_HEIGHT)
        plt.plot([e for e, _ in losses], [v for _, v in losses], color=LOSS_COLOR,
                 marker=LOSS_MARKER)  # fmt: skip
        plt.xticks(ticks, [str(tick) for tick in ticks])
        plt.xlabel("epoch")
        plt.ylabel("loss")
        plt.title("training loss per epoch")
        charts += [plt.build(), f"  {LOSS_MARKER} training loss\n"]
    text = "\n".join(charts)
    return text if color else plt.uncolorize(text)  # piped to a file: no escape codes
