"""Epochs come free: points that differ only in ``epochs`` share one training run.

Point k of a run's curve is exactly what ``fit(max_iter=k)`` gives, weights included
(:mod:`core.training`). So of the points ``epochs = 50, 100, 200`` with everything
else equal, only the 200 one trains; 50 and 100 are its curve cut at 50 and 100.

Where the run ended early the cut still follows ``fit``: a run that scikit-learn
stopped on ``tol`` at epoch s is what ``fit(max_iter=k)`` gives for every k >= s (it
stops at s too), and a run pruned, cancelled or diverged at epoch s answers exactly
for every k below s; the points above s share its fate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from core.config import RunConfig
from core.results import EpochPoint

#: Statuses a derived point copies from its run when the run stopped before its epochs.
_INHERITED = ("pruned", "cancelled", "diverged", "failed", "interrupted")


@dataclass(slots=True)
class Group:
    """Points trained by one run: ``trained`` (most epochs) and the ``derived`` ones.

    Both hold indices into the list given to :func:`group_points`.
    """

    trained: int
    derived: list[int] = field(default_factory=list)

    @property
    def members(self) -> list[int]:
        return [self.trained, *self.derived]


def shares_curve(config: RunConfig) -> bool:
    """Whether shorter runs of ``config`` can be read off a longer one.

    ``lbfgs`` has no epochs (``max_iter`` bounds its iterations, and its curve is only
    the final point), so each of its points trains on its own.
    """
    return config.solver != "lbfgs"


def group_points(configs: Sequence[RunConfig]) -> list[Group]:
    """Group configs equal but for ``epochs``; each group trains its longest one.

    Groups come in the order of their first member; within a group the derived
    points keep their order.
    """
    groups: dict[object, list[int]] = {}
    for index, config in enumerate(configs):
        key = replace(config, epochs=1) if shares_curve(config) else ("alone", index)
        groups.setdefault(key, []).append(index)
    result = []
    for members in groups.values():
        # max() keeps the first of equal epochs; equal configs are deduplicated upstream.
        trained = max(members, key=lambda i: configs[i].epochs)
        result.append(Group(trained, [i for i in members if i != trained]))
    return result


@dataclass(slots=True)
class DerivedRun:
    """A shorter point read off a longer run: its status, curve and why it ended."""

    status: str
    curve: list[EpochPoint]
    stop_reason: str
    error: str = ""


def derive(
    curve: Sequence[EpochPoint],
    epochs: int,
    *,
    status: str,
    stop_reason: str = "",
    error: str = "",
    source_run: int | None = None,
) -> DerivedRun:
    """The point with ``epochs`` epochs, from a run of the same config that ended with
    ``status`` / ``stop_reason`` after ``curve``.

    ``source_run`` (the trained run's id) is named in the stop reason.
    """
    prefix = [point for point in curve if point.epoch <= epochs]
    last = curve[-1].epoch if curve else 0
    source = f"read off run {source_run}'s curve" if source_run is not None else "read off"
    if last >= epochs:
        # The run went at least this far: fit(max_iter=epochs) is its point `epochs`.
        reason = f"reached the maximum of {epochs} epochs ({source})"
        return DerivedRun("done", prefix, reason)
    if status == "done":
        # scikit-learn stopped it (tol, early stopping) before `epochs`: fit with
        # max_iter=epochs stops at the same epoch.
        return DerivedRun("done", prefix, f"{stop_reason} ({source})" if stop_reason else source)
    inherited = status if status in _INHERITED else "failed"
    return DerivedRun(inherited, prefix, f"{stop_reason} ({source})".strip(), error)
