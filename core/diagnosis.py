"""Read a finished run's curves the way the lesson does: under-, over- or good fit.

- ``underfitting``: train and test both low. "Low" is measured against the dataset's
  majority-class baseline: the run closed less than ``UNDERFIT_SKILL`` of the distance
  from that baseline to a perfect score on the training data.
- ``overfitting``: train clearly above test (gap > ``OVERFIT_GAP``), or test fell by
  more than ``TEST_DROP`` from its peak while train kept rising; the peak epoch is
  named, because stopping there is the first remedy.
- ``good fit``: neither.
- ``diverged``: the loss became NaN or infinite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.results import EpochPoint

#: Share of the way from the majority-class baseline to 100% train accuracy below
#: which a run is underfitting.
UNDERFIT_SKILL = 0.6
#: Train minus test accuracy above which a run is overfitting.
OVERFIT_GAP = 0.05
#: Drop of test accuracy from its peak (while train still rises) that is overfitting.
TEST_DROP = 0.02
#: Train accuracy must have risen by at least this after the test peak to call a
#: falling test curve overfitting (rather than noise of a stalled run).
TRAIN_RISE = 0.005

VERDICTS = ("underfitting", "overfitting", "good fit", "diverged")


@dataclass(slots=True)
class Diagnosis:
    """A verdict and the numbers behind it."""

    verdict: str
    summary: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "summary": self.summary, **self.numbers}


def _skill(accuracy: float, baseline: float) -> float:
    if baseline >= 1.0:
        return 1.0
    return (accuracy - baseline) / (1.0 - baseline)


def diagnose(curve: list[EpochPoint], baseline: float, status: str = "done") -> Diagnosis:
    """Verdict for a run's curve; ``baseline`` is the majority-class test accuracy."""
    if status == "diverged":
        last = curve[-1].epoch if curve else 0
        return Diagnosis(
            "diverged",
            (
                f"diverged after epoch {last}: lower the learning rate"
                if last
                else "diverged in the first epoch: lower the learning rate"
            ),
            {"baseline": round(baseline, 6), "last_epoch": last},
        )
    if not curve:
        return Diagnosis("underfitting", "no epoch finished", {"baseline": round(baseline, 6)})
    final = curve[-1]
    train, test = final.train_accuracy, final.test_accuracy
    gap = train - test
    peak = max(curve, key=lambda p: (p.test_accuracy, -p.epoch))
    numbers: dict[str, Any] = {
        "train_accuracy": train,
        "test_accuracy": test,
        "gap": round(gap, 6),
        "baseline": round(baseline, 6),
        "train_skill": round(_skill(train, baseline), 6),
        "peak_test_accuracy": peak.test_accuracy,
        "peak_epoch": peak.epoch,
    }
    scores = f"train {train:.3f}, test {test:.3f}"
    test_drop = peak.test_accuracy - test
    train_rise = train - peak.train_accuracy
    if gap > OVERFIT_GAP or (test_drop > TEST_DROP and train_rise > TRAIN_RISE):
        return Diagnosis(
            "overfitting",
            f"overfitting from epoch {peak.epoch}: {scores} (gap {gap:.3f}); "
            f"test peaked at {peak.test_accuracy:.3f} at epoch {peak.epoch}",
            numbers,
        )
    if _skill(train, baseline) < UNDERFIT_SKILL:
        return Diagnosis(
            "underfitting",
            f"underfitting: {scores}, majority-class baseline {baseline:.3f}",
            numbers,
        )
    return Diagnosis("good fit", f"good fit: {scores} (gap {gap:.3f})", numbers)
