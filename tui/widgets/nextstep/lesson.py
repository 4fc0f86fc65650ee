"""The lesson's runs from the Next step tab: what to queue (``core.lesson``, exactly as
``perceptune lesson`` builds it) and which queued lessons have all ended, so that the
charts can overlay them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.config import RunConfig
from core.datasets import DatasetSpec

#: What a lesson is made of, for messages (the optional fourth run included).
LESSON_VERDICTS = "underfitting, good fit, overfitting, unstable"


def lesson_jobs(current: DatasetSpec | None) -> list[tuple[RunConfig, DatasetSpec, str]]:
    """(config, dataset, label) of each lesson run on the data of a UI whose dataset
    is ``current`` (the untouched default gives way to the lesson's own data), with
    the fourth, unstable run, labelled as the CLI labels them."""
    from core.lesson import lesson_configs, lesson_dataset

    runs = lesson_configs(lesson_dataset(current), unstable=True)
    return [(run.config, run.dataset, f"lesson: {run.label}") for run in runs]


class LessonBatches:
    """The run ids of each lesson queued and not yet overlaid."""

    def __init__(self) -> None:
        self._batches: list[tuple[int, ...]] = []

    def add(self, run_ids: Sequence[int]) -> None:
        """Watch a lesson made of ``run_ids``."""
        if run_ids:
            self._batches.append(tuple(run_ids))

    def pending(self) -> list[tuple[int, ...]]:
        """The lessons still watched."""
        return list(self._batches)

    def take_ended(self, ended: Callable[[int], bool]) -> list[list[int]]:
        """The lessons whose every run has ended (``ended(run_id)`` says so); they are
        no longer watched."""
        done = [batch for batch in self._batches if all(ended(run_id) for run_id in batch)]
        self._batches = [batch for batch in self._batches if batch not in done]
        return [list(batch) for batch in done]
