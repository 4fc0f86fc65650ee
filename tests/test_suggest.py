"""Next-step suggestions from verdict dicts: each remedy points the right way, and the
numbers are round."""

from __future__ import annotations

import pytest

from core.config import RunConfig
from core.suggest import round_nice, suggest_next


@pytest.mark.parametrize(
    ("value", "nice"),
    [(0.01 / 3, 0.003), (0.03, 0.03), (0.0015, 0.002), (3e-05, 3e-05), (0.1 / 3, 0.03), (0, 0)],
)
def test_round_nice_keeps_one_significant_digit(value: float, nice: float) -> None:
    assert round_nice(value) == nice


def labels(config: RunConfig, verdict: dict) -> list[str]:
    return [s.label for s in suggest_next(config, verdict)]


def test_unstable_lowers_the_learning_rate_by_3_and_10_and_sgd_momentum() -> None:
    config = RunConfig(lr=0.01)
    assert labels(config, {"verdict": "unstable"}) == ["lr 0.003", "lr 0.001"]
    sgd = RunConfig(lr=1.0, solver="sgd", momentum=0.9)
    out = suggest_next(sgd, {"verdict": "unstable"})
    assert [s.config.lr for s in out] == [0.3, 0.1, 1.0]
    assert out[2].config.momentum < 0.9


def test_diverged_by_alpha_lowers_alpha_not_the_learning_rate() -> None:
    config = RunConfig(alpha=1e308)
    out = suggest_next(config, {"verdict": "diverged", "cause": "alpha"})
    assert all(s.config.alpha < 1 and s.config.lr == config.lr for s in out)
    by_lr = suggest_next(RunConfig(lr=10.0), {"verdict": "diverged", "cause": "learning_rate"})
    assert [s.config.lr for s in by_lr] == [1.0, 0.1]


def test_still_learning_gets_more_epochs_and_a_higher_rate() -> None:
    config = RunConfig(epochs=30, lr=0.0005)
    out = suggest_next(config, {"verdict": "underfitting", "kind": "still_learning"})
    assert out[0].config.epochs == 90
    assert out[1].config.lr == 0.002 and out[1].label == "lr 0.002"


def test_capacity_gets_neurons_a_layer_and_a_non_linear_activation() -> None:
    out = suggest_next(RunConfig(layers=(1,)), {"verdict": "underfitting", "kind": "capacity"})
    assert [s.label for s in out] == ["layers 5", "layers 5,5", "activation tanh"]
    linear = RunConfig(activation="identity")
    first = suggest_next(linear, {"verdict": "underfitting", "kind": "capacity"})[0]
    assert first.config.activation == "relu"
    heavy = RunConfig(alpha=10.0)
    assert suggest_next(heavy, {"verdict": "underfitting"})[0].config.alpha == 0.0001


def test_overfitting_stops_at_the_peak_then_regularises() -> None:
    config = RunConfig(layers=(64, 64), epochs=500, alpha=0.0)
    out = suggest_next(config, {"verdict": "overfitting", "peak_epoch": 6})
    assert [s.label for s in out] == ["epochs 6", "alpha 0.001", "layers 32,32"]


def test_good_fit_checks_robustness_and_patience_when_stopped_early() -> None:
    config = RunConfig()
    out = suggest_next(config, {"verdict": "good fit", "stop_note": "stopped at epoch 25"})
    assert out[0].config.seed == 11
    assert out[1].config.n_iter_no_change == 50
    assert suggest_next(config, None)[0].config.seed == 11
