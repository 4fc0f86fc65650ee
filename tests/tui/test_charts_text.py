"""The charts' words and axes: the stop reason as one readable sentence, the accuracy
axis fitted to the data, the epoch axis ending where the run stopped."""

from __future__ import annotations

import pytest

from core.executors import SHUTDOWN_REASON
from tui.widgets.charts.axes import epoch_ticks, fitted_ylim
from tui.widgets.charts.words import stop_sentence

TOL = "stopped at epoch 25 of 500: loss did not improve by tol=0.0001 for 10 epochs (patience)"


@pytest.mark.parametrize(
    ("reason", "status", "wanted"),
    [
        (TOL, "done", TOL),
        # As older stores have it: no "of 500", "training loss", no "(patience)".
        (
            "stopped at epoch 25: training loss did not improve by tol=0.0001 for 10 epochs",
            "done",
            TOL,
        ),
        ("reached the maximum of 100 epochs", "done", "ran all 100 epochs"),
        ("below the median (after epoch 2)", "pruned", "pruned: below the median (after epoch 2)"),
        (
            "cancelled by the user (after epoch 3)",
            "cancelled",
            "cancelled by the user (after epoch 3)",
        ),
        (f"{SHUTDOWN_REASON} (after epoch 4)", "interrupted", f"{SHUTDOWN_REASON} (after epoch 4)"),
        ("", "done", ""),
    ],
)
def test_the_stop_reason_reads_as_one_sentence(reason: str, status: str, wanted: str) -> None:
    sentence = stop_sentence(reason, status, 25, 500)
    assert sentence == wanted
    assert "stopped: stopped" not in sentence


def test_a_reason_with_control_characters_stays_on_one_line() -> None:
    assert "\n" not in stop_sentence("a\nb", "pruned", 3, 10)


@pytest.mark.parametrize(
    ("values", "low", "high"),
    [
        ([0.93, 0.96], 0.92, 0.97),  # curves 0.03 apart stay apart
        ([0.99, 1.0], 0.95, 1.0),  # at least MIN_SPAN, never above 1
        ([0.0, 0.02], 0.0, 0.05),  # never below 0
        ([0.5, 0.9], 0.46, 0.94),
    ],
)
def test_the_accuracy_axis_fits_the_data(values: list[float], low: float, high: float) -> None:
    assert fitted_ylim(values) == pytest.approx((low, high))
    assert fitted_ylim(values, full=True) == (0.0, 1.0)
    assert fitted_ylim([]) == (0.0, 1.0)


def test_the_epoch_axis_ends_at_the_stop() -> None:
    ticks, labels = epoch_ticks((1.0, 25.0), 25)
    assert ticks[-1] == 25.0 and labels[-1] == "25"
    assert all(t < 25 - 24 / 8 for t in ticks[:-1])  # no tick crowding the last one
    assert epoch_ticks((1.0, 500.0))[1][-1] == "500"
