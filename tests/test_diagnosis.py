"""Verdicts from constructed curves, at both sides of every named threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import diagnosis
from core.diagnosis import OVERFIT_GAP, TEST_DROP, TRAIN_RISE, UNDERFIT_SKILL, diagnose
from core.results import EpochPoint

ROOT = Path(__file__).resolve().parents[1]


def curve(*pairs: tuple[float, float]) -> list[EpochPoint]:
    """Epochs 1..n with (train, test) accuracies and a falling loss."""
    return [
        EpochPoint(epoch, train, test, 1.0 / epoch)
        for epoch, (train, test) in enumerate(pairs, start=1)
    ]


def rising_to(train: float, test: float, epochs: int = 10) -> list[EpochPoint]:
    """Both curves climb steadily from 0.3 to the given final values."""
    return curve(
        *(
            (0.3 + (train - 0.3) * i / epochs, 0.3 + (test - 0.3) * i / epochs)
            for i in range(1, epochs + 1)
        )
    )


def test_both_low_is_underfitting() -> None:
    result = diagnose(rising_to(0.55, 0.53), baseline=0.5)
    assert result.verdict == "underfitting"
    assert "baseline 0.500" in result.summary
    assert result.numbers["train_skill"] == pytest.approx(0.1)


def test_underfitting_is_relative_to_the_majority_baseline() -> None:
    # 92% looks high, but always guessing the majority class already scores 90%.
    skewed = diagnose(rising_to(0.92, 0.91), baseline=0.9)
    balanced = diagnose(rising_to(0.92, 0.91), baseline=0.5)
    assert skewed.verdict == "underfitting"
    assert balanced.verdict == "good fit"


def test_underfit_threshold_is_the_named_constant() -> None:
    baseline = 0.5
    at = baseline + UNDERFIT_SKILL * (1 - baseline)
    assert diagnose(rising_to(at - 0.01, at - 0.02), baseline).verdict == "underfitting"
    assert diagnose(rising_to(at + 0.01, at), baseline).verdict == "good fit"


def test_train_clearly_above_test_is_overfitting_and_names_the_peak() -> None:
    points = rising_to(0.99, 0.85)
    result = diagnose(points, baseline=0.1)
    assert result.verdict == "overfitting"
    assert result.numbers["gap"] == pytest.approx(0.14)
    assert result.numbers["peak_epoch"] == 10
    assert "epoch 10" in result.summary and "gap 0.140" in result.summary


def test_gap_threshold_is_the_named_constant() -> None:
    assert diagnose(rising_to(0.95, 0.95 - OVERFIT_GAP - 0.01), 0.1).verdict == "overfitting"
    assert diagnose(rising_to(0.95, 0.95 - OVERFIT_GAP + 0.01), 0.1).verdict == "good fit"


def test_test_falling_while_train_rises_is_overfitting_at_the_peak_epoch() -> None:
    # Small final gap, but test peaked at epoch 4 and fell while train kept rising.
    points = curve(
        (0.70, 0.70),
        (0.80, 0.80),
        (0.88, 0.88),
        (0.90, 0.93),
        (0.92, 0.91),
        (0.93, 0.90),
        (0.94, 0.90),
    )
    result = diagnose(points, baseline=0.1)
    assert points[-1].train_accuracy - points[-1].test_accuracy <= OVERFIT_GAP
    assert result.verdict == "overfitting"
    assert result.numbers["peak_epoch"] == 4
    assert result.numbers["peak_test_accuracy"] == 0.93
    assert "test peaked at 0.930 at epoch 4" in result.summary


def test_the_first_epoch_of_a_tied_peak_is_named() -> None:
    points = curve((0.80, 0.80), (0.85, 0.90), (0.88, 0.90), (0.93, 0.87), (0.95, 0.87))
    result = diagnose(points, baseline=0.1)
    assert result.verdict == "overfitting"
    assert result.numbers["peak_epoch"] == 2


def test_test_drop_thresholds_are_the_named_constants() -> None:
    def with_drop(drop: float, rise: float) -> str:
        points = curve((0.80, 0.80), (0.90, 0.92), (0.90 + rise, 0.92 - drop))
        return diagnose(points, baseline=0.1).verdict

    assert with_drop(TEST_DROP + 0.005, TRAIN_RISE + 0.005) == "overfitting"
    assert with_drop(TEST_DROP - 0.005, TRAIN_RISE + 0.005) == "good fit"
    # Test fell but train stalled: noise of a stalled run, not overfitting.
    assert with_drop(TEST_DROP + 0.005, TRAIN_RISE - 0.004) == "good fit"


def test_high_close_curves_are_a_good_fit() -> None:
    result = diagnose(rising_to(0.96, 0.95), baseline=0.1)
    assert result.verdict == "good fit"
    assert result.summary.startswith("good fit: train 0.960, test 0.950")


def test_diverged_status_wins_whatever_the_curve() -> None:
    result = diagnose(rising_to(0.96, 0.95, epochs=3), baseline=0.1, status="diverged")
    assert result.verdict == "diverged"
    assert result.numbers["last_epoch"] == 3
    assert "lower the learning rate" in result.summary
    assert diagnose([], baseline=0.5, status="diverged").verdict == "diverged"


def test_no_epoch_is_underfitting() -> None:
    assert diagnose([], baseline=0.5).verdict == "underfitting"


def test_changing_a_constant_changes_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    points = rising_to(0.95, 0.91)  # gap 0.04
    assert diagnose(points, 0.1).verdict == "good fit"
    monkeypatch.setattr(diagnosis, "OVERFIT_GAP", 0.03)
    assert diagnose(points, 0.1).verdict == "overfitting"


def test_to_dict_carries_verdict_summary_and_numbers() -> None:
    data = diagnose(rising_to(0.99, 0.85), baseline=0.1).to_dict()
    assert data["verdict"] == "overfitting"
    assert {"summary", "gap", "baseline", "peak_epoch", "train_skill"} <= set(data)


def test_readme_documents_every_threshold() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("UNDERFIT_SKILL", "OVERFIT_GAP", "TEST_DROP", "TRAIN_RISE"):
        assert name in readme, name
    for value in (OVERFIT_GAP, TEST_DROP, TRAIN_RISE):
        assert f"{value:g}" in readme
    assert f"{UNDERFIT_SKILL:.0%}" in readme
