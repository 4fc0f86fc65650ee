"""A corpus of real runs, each labelled with what its curves show, and the verdict
(and the next-step advice) they get.

Every case trains for real (core.worker.execute_run in this process, the reference
accuracy computed by the worker as in production), once per module; the labels are
the ground truth read off the curves (issue 10 lists the first seven).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.suggest import suggest_next
from core.worker import RunOutcome, RunRequest, execute_run

#: The lesson's dataset (core.lesson.LESSON_DATASET) and other noisy half/half splits.
LESSON = {"name": "circles", "noise": 0.3, "n_samples": 300, "test_size": 0.5}
NOISY_XOR = {"name": "xor", "noise": 0.3, "n_samples": 300, "test_size": 0.5}
NOISY_MOONS = {"name": "moons", "noise": 0.35, "n_samples": 300, "test_size": 0.5}
NOISY_BLOBS = {"name": "blobs", "noise": 0.5, "n_samples": 300, "test_size": 0.5}
MEMORISE = {"epochs": 500, "n_iter_no_change": 500, "alpha": 0.0}


@dataclass(frozen=True)
class Case:
    name: str
    dataset: dict[str, Any]
    params: dict[str, Any]
    truth: str  # the verdict the curves show
    kind: str = ""  # underfitting: capacity or still_learning
    text: tuple[str, ...] = field(default=())  # phrases the summary must hold


CASES = [
    # --- underfitting: the four, and more -----------------------------------------
    Case("circles-1", {"name": "circles"}, {"layers": "1"}, "underfitting", "capacity"),
    Case(
        "circles-2-tanh",
        {"name": "circles"},
        {"layers": "2", "activation": "tanh"},
        "underfitting",
        "capacity",
    ),
    Case(
        "moons-1",
        {"name": "moons"},
        {"layers": "1"},
        "underfitting",
        "capacity",
        ("this data allows about 0.960",),
    ),
    Case("digits-2", {"name": "digits"}, {"layers": "2"}, "underfitting", "capacity"),
    Case(
        "digits-3-epochs",
        {"name": "digits"},
        {"layers": "32", "epochs": "3"},
        "underfitting",
        "still_learning",
    ),
    Case(
        "moons-low-lr",
        {"name": "moons"},
        {"lr": "0.0005", "epochs": "30"},
        "underfitting",
        "still_learning",
    ),
    Case(
        "xor-identity",
        {"name": "xor"},
        {"layers": "16,16", "activation": "identity"},
        "underfitting",
        "capacity",
        ("identity",),
    ),
    Case("lesson-1", LESSON, {"layers": "1"}, "underfitting", "capacity"),
    # --- good fit ------------------------------------------------------------------------------
    Case(
        "iris",
        {"name": "iris"},
        {},
        "good fit",
        text=("gap 0.017 is within the noise of 38 test rows",),
    ),
    Case("moons", {"name": "moons"}, {}, "good fit"),
    Case("wine", {"name": "wine"}, {}, "good fit"),
    Case("blobs", {"name": "blobs"}, {}, "good fit"),
    Case("spiral-32-32", {"name": "spiral"}, {"layers": "32,32", "epochs": "500"}, "good fit"),
    Case("lesson-8-8", LESSON, {"layers": "8,8", "epochs": "300"}, "good fit"),
    # --- overfitting ---------------------------------------------------------------------------
    Case("lesson-64-64", LESSON, {"layers": "64,64", **MEMORISE}, "overfitting"),
    Case("xor-noisy-big", NOISY_XOR, {"layers": "32,32,32", **MEMORISE}, "overfitting"),
    Case("moons-noisy-big", NOISY_MOONS, {"layers": "32,32,32", **MEMORISE}, "overfitting"),
    Case("blobs-noisy-big", NOISY_BLOBS, {"layers": "32,32,32", **MEMORISE}, "overfitting"),
    Case(
        "iris-half-big",
        {"name": "iris", "test_size": 0.5},
        {"layers": "64,64", **MEMORISE},
        "overfitting",
    ),
    # --- unstable: the two, and more ---------------------------------------------------
    Case(
        "circles-lr-10",
        {"name": "circles"},
        {"layers": "6,6", "lr": "10"},
        "unstable",
        text=("learning rate 10 is too high",),
    ),
    Case("moons-lr-3", {"name": "moons"}, {"layers": "32,32", "lr": "3"}, "unstable"),
    Case("iris-lr-1", {"name": "iris"}, {"lr": "1"}, "unstable"),
    Case("wine-lr-2", {"name": "wine"}, {"layers": "16", "lr": "2"}, "unstable"),
    Case(
        "digits-sgd-lr-1",
        {"name": "digits"},
        {"layers": "32", "solver": "sgd", "lr": "1"},
        "unstable",
        text=("momentum 0.9",),
    ),
    Case("lesson-lr-3", LESSON, {"layers": "8,8", "epochs": "300", "lr": "3"}, "unstable"),
    # --- diverged -------------------------------------------------------------------------------
    Case("moons-alpha-1e308", {"name": "moons"}, {"alpha": "1e308"}, "diverged", text=("alpha",)),
]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[RunConfig, RunOutcome]]:
    from threadpoolctl import threadpool_limits

    results = {}
    # One BLAS thread, as in a pool worker: small networks gain nothing from more.
    with threadpool_limits(limits=1):
        for index, case in enumerate(CASES, start=1):
            config = RunConfig.from_mapping(case.params)
            spec = DatasetSpec.from_mapping(case.dataset)
            results[case.name] = (config, execute_run(RunRequest(index, config, spec)))
    return results


def test_the_corpus_covers_every_verdict_several_times() -> None:
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case.truth] = counts.get(case.truth, 0) + 1
    assert len(CASES) >= 15
    for verdict in ("underfitting", "good fit", "overfitting", "unstable"):
        assert counts[verdict] >= 4, verdict


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_verdict_matches_the_curves(case: Case, outcomes) -> None:
    _, outcome = outcomes[case.name]
    verdict = outcome.verdict
    assert verdict is not None, outcome.error
    assert verdict["verdict"] == case.truth, verdict["summary"]
    if case.kind:
        assert verdict["kind"] == case.kind, verdict["summary"]
    for phrase in case.text:
        assert phrase in verdict["summary"]
    if outcome.status != "diverged":
        # The numbers behind it: what the data allows, the noise, the instability.
        assert 0.5 <= verdict["reference_accuracy"] <= 1.0
        assert verdict["noise"] > 0 and verdict["instability"] >= 0


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_next_step_points_the_right_way(case: Case, outcomes) -> None:
    config, outcome = outcomes[case.name]
    suggestions = suggest_next(config, outcome.verdict)
    assert 2 <= len(suggestions) <= 3
    changed = [s.config for s in suggestions]
    verdict = outcome.verdict or {}
    if case.truth == "underfitting" and verdict.get("kind") == "capacity":
        # More neurons or layers, a non-linear activation, or less alpha; never less.
        for new in changed:
            assert (
                sum(new.layers) > sum(config.layers)
                or new.activation != config.activation
                or new.alpha < config.alpha
            )
    elif case.truth == "underfitting":
        assert all(new.epochs > config.epochs or new.lr > config.lr for new in changed)
    elif case.truth == "unstable":
        lowered = [new for new in changed if new.lr < config.lr]
        assert len(lowered) >= 2
        assert all(new.lr < config.lr or new.momentum < config.momentum for new in changed)
        assert any(abs(new.lr - config.lr / 3) < config.lr / 10 for new in changed)
    elif case.truth == "overfitting":
        for new in changed:
            assert (
                new.epochs < config.epochs
                or new.alpha > config.alpha
                or sum(new.layers) < sum(config.layers)
                or new.early_stopping
            )
        peak = verdict["peak_epoch"]
        assert changed[0].epochs == peak  # stop where test peaked
    elif case.truth == "good fit":
        assert changed[0].seed != config.seed and changed[0].layers == config.layers
    elif case.truth == "diverged":
        assert all(new.alpha < config.alpha for new in changed)  # the cause is alpha
    for suggestion in suggestions:
        # Round numbers: no 0.0033333 in a label.
        for number in re.findall(r"\d[\d.]*", suggestion.label):
            assert len(number.rstrip("0").lstrip("0.")) <= 3, suggestion.label
