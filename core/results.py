"""Plain data records shared by training, the store, the executors and the UIs."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

#: Run statuses. ``interrupted`` = was running in a process that no longer exists.
STATUSES = ("queued", "running", "done", "cancelled", "diverged", "failed", "interrupted", "pruned")
FINISHED_STATUSES = ("done", "cancelled", "diverged", "failed", "pruned")
ACTIVE_STATUSES = ("queued", "running")


@dataclass(frozen=True, slots=True)
class EpochPoint:
    """Scores of the model as ``fit(max_iter=epoch)`` would leave it."""

    epoch: int
    train_accuracy: float
    test_accuracy: float
    loss: float  # training loss of that epoch; NaN when unknown

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not math.isfinite(self.loss):
            data["loss"] = None  # JSON has no NaN/inf
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpochPoint:
        loss = data.get("loss")
        return cls(
            epoch=int(data["epoch"]),
            train_accuracy=float(data["train_accuracy"]),
            test_accuracy=float(data["test_accuracy"]),
            loss=float("nan") if loss is None else float(loss),
        )


class CurveSummary:
    """Final scores read off ``self.curve`` (a list of :class:`EpochPoint`)."""

    __slots__ = ()
    curve: list[EpochPoint]

    @property
    def train_accuracy(self) -> float | None:
        return self.curve[-1].train_accuracy if self.curve else None

    @property
    def test_accuracy(self) -> float | None:
        return self.curve[-1].test_accuracy if self.curve else None

    @property
    def n_epochs(self) -> int:
        return self.curve[-1].epoch if self.curve else 0


@dataclass(slots=True)
class TrainResult(CurveSummary):
    """What one training run produced.

    ``status`` is ``done``, ``cancelled``, ``diverged`` or ``pruned``; ``stop_reason``
    says in words why training ended (max epochs, scikit-learn's tol stop, early
    stopping, lbfgs final point, divergence, cancel).
    """

    status: str
    curve: list[EpochPoint] = field(default_factory=list)
    stop_reason: str = ""
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    model: Any = None  # the fitted estimator, only when asked for (never stored)
    metrics: dict[str, Any] | None = None  # finished runs: core.metrics.class_metrics
    #: 2-D data, finished or pruned runs: the decision-region grid (core.regions)
    regions: dict[str, Any] | None = None
