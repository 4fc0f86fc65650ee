"""The lesson's trio: three runs (and an optional fourth) that show what the verdicts
mean, on one dataset.

1. too small a network (1 neuron): **underfitting**, train and test both low;
2. a good one (8,8 for 300 epochs): **good fit**, both near what the data allows;
3. too big a network trained too long with patience off (64,64 for 500 epochs,
   no L2 penalty): **overfitting**, train near 1 while test falls from its peak;
4. optional: the good network with far too high a learning rate (3): **unstable**.

:data:`LESSON_DATASET` is where all four come out as labelled (checked by
``tests/test_lesson.py``): circles with noise 0.3, 300 rows split half and half. A
ring needs at least three neurons, so one neuron cannot draw it (the moons default
cannot show that: one neuron already gives 0.86/0.93 there); the noise gives a big
network points to memorise; 150 test rows keep the noise of an accuracy near ±0.07.
On other data the same runs usually show the same lesson, but not always.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.config import RunConfig
from core.datasets import DatasetSpec

#: The dataset on which every lesson run gets the verdict it is labelled with.
LESSON_DATASET = DatasetSpec(name="circles", noise=0.3, n_samples=300, test_size=0.5)


def lesson_dataset(current: DatasetSpec | None) -> DatasetSpec:
    """The data to run the lesson on from a UI whose dataset is ``current``: the
    user's own choice, except the untouched app default (moons, noise 0.2, 400 rows,
    on which a big network does not overfit), which gives way to
    :data:`LESSON_DATASET`."""
    if current is None or current == DatasetSpec():
        return LESSON_DATASET
    return current


@dataclass(frozen=True, slots=True)
class LessonRun:
    """One run of the lesson: a short label, the verdict it shows, why, and what to run."""

    label: str
    expect: str
    why: str
    config: RunConfig
    dataset: DatasetSpec


def lesson_configs(
    dataset: DatasetSpec | None = None, *, unstable: bool = True, seed: int | None = 10
) -> list[LessonRun]:
    """The lesson's runs on ``dataset`` (default :data:`LESSON_DATASET`): underfitting,
    good fit, overfitting and, with ``unstable``, a fourth with too high a learning
    rate. ``seed`` seeds every run's weights (None: a fresh start each time)."""
    spec = dataset or LESSON_DATASET
    base = RunConfig(seed=seed)
    good = replace(base, layers=(8, 8), epochs=300)
    runs = [
        LessonRun(
            "too small: 1 neuron",
            "underfitting",
            "one neuron draws one straight line: train and test stay low",
            replace(base, layers=(1,), epochs=100),
            spec,
        ),
        LessonRun(
            "good: 8,8 neurons, 300 epochs",
            "good fit",
            "enough neurons for the shape, not enough to memorise the noise",
            good,
            spec,
        ),
        LessonRun(
            "too big, too long: 64,64 neurons, 500 epochs, patience off",
            "overfitting",
            "room and time to memorise the training points: train rises, test falls",
            replace(base, layers=(64, 64), epochs=500, n_iter_no_change=500, alpha=0.0),
            spec,
        ),
    ]
    if unstable:
        runs.append(
            LessonRun(
                "learning rate too high: 8,8 neurons, lr 3",
                "unstable",
                "steps so large the loss jumps instead of falling",
                replace(good, lr=3.0),
                spec,
            )
        )
    return runs
