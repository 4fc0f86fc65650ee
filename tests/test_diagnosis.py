"""Verdicts from constructed curves, at both sides of every named threshold.

Real runs with their ground truth are in tests/test_verdict_corpus.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from core import diagnosis
from core.config import RunConfig
from core.diagnosis import (
    ALPHA_OVERFLOW,
    NOISE_Z,
    OVERFIT_GAP,
    TEST_DROP,
    TRAIN_RISE,
    UNDERFIT_MARGIN,
    UNDERFIT_SKILL,
    UNSTABLE_SHARE,
    DataFacts,
    diagnose,
    loss_instability,
    noise,
)
from core.results import EpochPoint

ROOT = Path(__file__).resolve().parents[1]

#: 1000 test rows and a reference of 0.95: noise small, so the floors decide.
BIG = DataFacts(n_test=1000, n_classes=2, baseline=0.5, reference=0.95)


def curve(*pairs: tuple[float, float], losses: list[float] | None = None) -> list[EpochPoint]:
    """Epochs 1..n with (train, test) accuracies and a falling loss (or ``losses``)."""
    return [
        EpochPoint(epoch, train, test, losses[epoch - 1] if losses else 1.0 / epoch)
        for epoch, (train, test) in enumerate(pairs, start=1)
    ]


def flat_end(train: float, test: float, epochs: int = 40) -> list[EpochPoint]:
    """Both curves climb to their final values in the first half, then stay; the loss
    falls and then flattens (a finished run)."""
    points = []
    for i in range(1, epochs + 1):
        share = min(1.0, i / (epochs / 2))
        points.append(
            EpochPoint(
                i,
                0.5 + (train - 0.5) * share,
                0.5 + (test - 0.5) * share,
                0.3 + 0.4 * (1 - share),
            )
        )
    return points


def config(**changes) -> RunConfig:
    return RunConfig(**{"epochs": 40, **changes})


# --- noise ------------------------------------------------------------------------------


def test_noise_is_the_binomial_standard_error() -> None:
    assert noise(0.9, 100) == pytest.approx(0.03)
    assert noise(0.5, 38) == pytest.approx(math.sqrt(0.25 / 38))
    # A perfect score still carries one row's worth of noise; unknown size: none.
    assert noise(1.0, 38) == pytest.approx(noise(37 / 38, 38))
    assert noise(0.9, 0) == 0.0


def test_a_small_gap_on_38_rows_is_noise_and_the_verdict_says_so() -> None:
    # The iris run: 0.964 / 0.947 on 38 test rows, test peaked at 0.974.
    facts = DataFacts(n_test=38, n_classes=3, baseline=0.316, reference=0.974)
    points = flat_end(0.964, 0.947)
    points[30] = EpochPoint(31, 0.964, 0.974, 0.3)
    result = diagnose(points, facts, config())
    assert result.verdict == "good fit"
    assert "gap 0.017 is within the noise of 38 test rows" in result.summary
    assert result.numbers["noise"] == pytest.approx(noise(0.947, 38), abs=1e-6)


def test_the_same_gap_on_many_rows_is_beyond_the_noise() -> None:
    gap = OVERFIT_GAP + 0.01
    small = DataFacts(n_test=38, n_classes=2, baseline=0.5, reference=0.95)
    big = DataFacts(n_test=450, n_classes=2, baseline=0.5, reference=0.95)
    points = flat_end(0.95, 0.95 - gap)
    assert NOISE_Z * noise(0.95 - gap, 38) > gap  # within the noise of 38 rows
    assert diagnose(points, small, config()).verdict == "good fit"
    result = diagnose(points, big, config())
    assert result.verdict == "overfitting"
    assert "beyond the noise of 450 test rows" in result.summary


def test_a_cross_validated_gap_is_judged_against_the_folds_spread_and_says_cv() -> None:
    # Beyond the binomial noise of 450 validated rows, within a wide fold spread.
    gap = OVERFIT_GAP + 0.02
    points = flat_end(0.95, 0.95 - gap)
    tight = DataFacts(n_test=450, n_classes=2, baseline=0.5, reference=0.95, spread=0.005)
    wide = DataFacts(n_test=450, n_classes=2, baseline=0.5, reference=0.95, spread=0.05)
    over = diagnose(points, tight, config())
    assert over.verdict == "overfitting"
    assert f"train 0.950, cv {0.95 - gap:.3f}" in over.summary  # the folds, not the test part
    assert "cv peaked at" in over.summary and "test " not in over.summary
    good = diagnose(points, wide, config())
    assert good.verdict == "good fit"
    assert "within the noise of the folds (spread ±0.050, 450 validated rows)" in good.summary
    assert good.numbers["fold_spread"] == 0.05


def test_gap_threshold_is_the_named_constant_when_noise_is_small() -> None:
    assert diagnose(flat_end(0.96, 0.96 - OVERFIT_GAP - 0.01), BIG, config()).verdict == (
        "overfitting"
    )
    assert diagnose(flat_end(0.96, 0.96 - OVERFIT_GAP + 0.01), BIG, config()).verdict == (
        "good fit"
    )


def test_test_falling_after_its_peak_while_train_rises_is_overfitting() -> None:
    points = flat_end(0.95, 0.95)
    points += [EpochPoint(41 + i, 0.96 + 0.01 * i, 0.95 - 0.01 * i, 0.3) for i in range(4)]
    result = diagnose(points, BIG, config(epochs=44))
    assert result.verdict == "overfitting"
    assert result.numbers["peak_epoch"] == 20  # first epoch of the tied peak
    assert "test peaked at 0.950 at epoch 20" in result.summary


def test_drop_thresholds_are_the_named_constants() -> None:
    def with_drop(drop: float, rise: float, facts: DataFacts = BIG) -> str:
        points = flat_end(0.96, 0.96)
        points.append(EpochPoint(41, 0.96 + rise, 0.96 - drop, 0.3))
        return diagnose(points, facts, config(epochs=41)).verdict

    assert with_drop(TEST_DROP + 0.01, TRAIN_RISE + 0.005) == "overfitting"
    assert with_drop(TEST_DROP - 0.005, TRAIN_RISE + 0.005) == "good fit"
    # Test fell but train stalled: noise of a stalled run, not overfitting.
    assert with_drop(TEST_DROP + 0.01, TRAIN_RISE - 0.004) == "good fit"
    # The same fall on 38 rows is within the noise.
    small = DataFacts(n_test=38, n_classes=2, baseline=0.5, reference=0.95)
    assert with_drop(TEST_DROP + 0.01, TRAIN_RISE + 0.005, small) == "good fit"


# --- underfitting ------------------------------------------------------------------------


def test_train_clearly_below_the_reference_is_underfitting() -> None:
    limit = 0.95 - UNDERFIT_MARGIN
    assert diagnose(flat_end(limit - 0.01, limit - 0.02), BIG, config()).verdict == ("underfitting")
    assert diagnose(flat_end(limit + 0.01, limit), BIG, config()).verdict == "good fit"
    result = diagnose(flat_end(0.80, 0.79), BIG, config())
    assert "this data allows about 0.950" in result.summary
    assert result.numbers["reference_accuracy"] == 0.95


def test_a_network_at_chance_is_underfitting_never_overfitting() -> None:
    # The circles run: test peaked at 0.58 then fell, both near 0.5.
    facts = DataFacts(n_test=100, n_classes=2, baseline=0.5, reference=0.91)
    points = flat_end(0.54, 0.52)
    points[2] = EpochPoint(3, 0.50, 0.58, 0.69)
    result = diagnose(points, facts, config(layers=(1,)))
    assert result.verdict == "underfitting"
    assert "no better than always guessing the majority class" in result.summary


def test_capacity_or_still_learning_follows_the_loss() -> None:
    flat = flat_end(0.70, 0.69)
    capacity = diagnose(flat, BIG, config(layers=(2,)))
    assert capacity.numbers["kind"] == "capacity"
    assert "too little capacity: 2 neurons" in capacity.summary
    falling = [
        EpochPoint(p.epoch, p.train_accuracy, p.test_accuracy, 1.0 - 0.02 * p.epoch) for p in flat
    ]
    learning = diagnose(falling, BIG, config(layers=(2,)))
    assert learning.numbers["kind"] == "still_learning"
    assert "still learning when it stopped" in learning.summary
    # Stopped by scikit-learn's tol before its epochs: not "still learning".
    stopped = diagnose(falling, BIG, config(layers=(2,), epochs=500))
    assert stopped.numbers["kind"] == "capacity"


def test_capacity_names_identity_and_a_high_alpha() -> None:
    linear = diagnose(flat_end(0.6, 0.6), BIG, config(activation="identity"))
    assert "identity activation makes the network linear" in linear.summary
    penalised = diagnose(flat_end(0.6, 0.6), BIG, config(alpha=10.0))
    assert "alpha 10 penalises the weights" in penalised.summary


def test_without_a_reference_the_majority_baseline_decides() -> None:
    facts = DataFacts(n_test=1000, n_classes=2, baseline=0.9, reference=None)
    at = 0.9 + UNDERFIT_SKILL * 0.1
    assert diagnose(flat_end(at - 0.01, at - 0.01), facts, config()).verdict == "underfitting"
    assert diagnose(flat_end(at + 0.01, at), facts, config()).verdict == "good fit"


# --- unstable and diverged ------------------------------------------------------------------


def test_loss_climbing_back_is_unstable_at_the_named_share() -> None:
    # ln 2 = 0.69: a climb is more than 0.069 above the best loss so far.
    def run(climbs: int, epochs: int = 20) -> str:
        losses = [1.0 - 0.02 * i for i in range(epochs)]
        for i in range(1, climbs + 1):
            losses[2 * i] = losses[2 * i - 1] + 0.2
        points = curve(*[(0.96, 0.96)] * epochs, losses=losses)
        return diagnose(points, BIG, config(epochs=epochs, lr=1.0)).verdict

    needed = math.ceil(UNSTABLE_SHARE * 19)
    assert run(needed) == "unstable"
    assert run(needed - 1) == "good fit"


def test_unstable_names_the_learning_rate_and_the_jump() -> None:
    losses = [6.96, 18.0, 11.5, 1.41, 2.95, 2.69, 0.73, 0.87]
    points = curve(*[(0.5, 0.59), (0.5, 0.5)] * 4, losses=losses)
    facts = DataFacts(n_test=100, n_classes=2, baseline=0.5, reference=0.91)
    result = diagnose(points, facts, config(epochs=8, lr=10.0))
    assert result.verdict == "unstable"
    assert "the learning rate 10 is too high" in result.summary
    assert "from 6.96 to 18 at epoch 2" in result.summary
    assert result.numbers["instability"] == pytest.approx(loss_instability(losses, 2)[0])
    sgd = diagnose(points, facts, config(epochs=8, lr=10.0, solver="sgd"))
    assert "momentum 0.9" in sgd.summary


def test_a_loss_blow_up_that_leaves_the_network_at_chance_is_unstable() -> None:
    facts = DataFacts(n_test=450, n_classes=10, baseline=0.1, reference=0.97)
    losses = [12.7, 3.9, 3.2, 2.85, 2.6, 2.5, 2.45, 2.44]
    points = curve(*[(0.1, 0.1)] * 8, losses=losses)
    assert diagnose(points, facts, config(epochs=8, lr=3.0)).verdict == "unstable"
    # The same loss with a huge alpha is the penalty, not the steps.
    assert diagnose(points, facts, config(epochs=8, alpha=100.0)).verdict == "underfitting"


def test_diverged_names_its_cause() -> None:
    points = flat_end(0.9, 0.9, epochs=3)
    by_lr = diagnose(points, BIG, config(lr=10.0), status="diverged")
    assert by_lr.verdict == "diverged" and by_lr.numbers["cause"] == "learning_rate"
    assert "learning rate 10 is too high" in by_lr.summary
    by_alpha = diagnose([], BIG, config(alpha=1e308), status="diverged")
    assert by_alpha.numbers["cause"] == "alpha"
    assert "lower alpha" in by_alpha.summary and "learning rate" not in by_alpha.summary
    assert (
        diagnose([], BIG, config(alpha=ALPHA_OVERFLOW / 10), status="diverged").numbers["cause"]
        == "learning_rate"
    )
    unscaled = DataFacts(n_test=100, reference=0.9, scaled=False)
    assert diagnose([], unscaled, config(), status="diverged").numbers["cause"] == "scaling"


# --- notes and output -------------------------------------------------------------------------


def test_a_tol_stop_while_test_is_at_its_best_is_said() -> None:
    result = diagnose(flat_end(0.95, 0.95, epochs=25), BIG, config(epochs=500))
    assert result.verdict == "good fit"
    assert (
        "stopped at epoch 25 of 500 because the loss stopped improving (patience 10): "
        "raise patience to see what more epochs do"
    ) in result.summary
    assert "stop_note" not in diagnose(flat_end(0.95, 0.95), BIG, config()).numbers
    early = diagnose(flat_end(0.95, 0.95, 25), BIG, config(epochs=500, early_stopping=True))
    assert "stop_note" not in early.numbers


def test_no_epoch_is_underfitting() -> None:
    assert diagnose([], BIG).verdict == "underfitting"


def test_changing_a_constant_changes_the_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    points = flat_end(0.96, 0.92)  # gap 0.04 on 1000 rows
    assert diagnose(points, BIG, config()).verdict == "good fit"
    monkeypatch.setattr(diagnosis, "OVERFIT_GAP", 0.03)
    assert diagnose(points, BIG, config()).verdict == "overfitting"


def test_to_dict_carries_verdict_summary_and_the_numbers() -> None:
    data = diagnose(flat_end(0.99, 0.85), BIG, config()).to_dict()
    assert data["verdict"] == "overfitting"
    assert {
        "summary",
        "gap",
        "baseline",
        "reference_accuracy",
        "noise",
        "instability",
        "peak_epoch",
        "n_test",
    } <= set(data)


def test_facts_round_trip_through_a_dict() -> None:
    facts = DataFacts(n_test=38, n_classes=3, baseline=0.3, reference=0.97, scaled=False)
    assert DataFacts.from_dict(facts.to_dict()) == facts


def test_readme_documents_every_threshold() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("UNDERFIT_SKILL", "OVERFIT_GAP", "TEST_DROP", "TRAIN_RISE"):
        assert name in readme, name
    for value in (OVERFIT_GAP, TEST_DROP, TRAIN_RISE):
        assert f"{value:g}" in readme
    assert f"{UNDERFIT_SKILL:.0%}" in readme


def test_reading_the_curves_names_every_verdict_and_its_constants() -> None:
    text = diagnosis.READING_THE_CURVES
    for verdict in ("Diverged", "Unstable", "Underfitting", "Overfitting", "Good fit"):
        assert f"**{verdict}**" in text
    assert f"{UNSTABLE_SHARE:.0%}" in text and f"gap above {OVERFIT_GAP:g}" in text
