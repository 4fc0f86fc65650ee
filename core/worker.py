"""What runs inside a worker: load the data (once per worker), train, diagnose.

The verdict needs the data's reference accuracy (:mod:`core.reference`): the caller
passes the one cached in the store, or the worker computes it (once per process and
split) and hands it back in the outcome for the caller to store.

Executors call :func:`execute_run` in whatever process they use; it returns a
picklable :class:`RunOutcome` and never raises for a run's own failure.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from core.config import RunConfig
from core.datasets import Dataset, DatasetSpec, load_dataset
from core.diagnosis import diagnose
from core.errors import PerceptuneError
from core.reference import Reference, data_facts, reference_for, remember
from core.results import CurveSummary, EpochPoint, TrainResult

#: Called with each epoch's point; a returned string stops the run as pruned.
ProgressSink = Callable[[int, EpochPoint], "str | None"]
#: Returns ``None`` to go on, or ``(status, reason)`` to stop the run now.
StopSignal = Callable[[int], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One run to execute: its store id, hyperparameters and data."""

    run_id: int
    config: RunConfig
    dataset: DatasetSpec
    reference: dict[str, Any] | None = None  # the split's cached reference, if known
    #: The data already loaded by the caller (``perceptune run`` parses a CSV once, in
    #: the parent, and hands the arrays over); None: the worker loads ``dataset``.
    data: Dataset | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(slots=True)
class RunOutcome(CurveSummary):
    """How a run ended, with its curve and verdict (``verdict`` is a dict)."""

    run_id: int
    status: str
    curve: list[EpochPoint] = field(default_factory=list)
    stop_reason: str = ""
    error: str = ""
    verdict: dict[str, Any] | None = None
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    baseline: float | None = None  # the data's majority-class test accuracy
    facts: dict[str, Any] | None = None  # DataFacts.to_dict() the verdict was judged on
    new_reference: dict[str, Any] | None = None  # computed here: the caller caches it
    #: ``data`` (rows, dropped rows, inputs, columns) and, for a finished run, per-class
    #: results (core.metrics.class_metrics); stored in the run's ``metrics`` column.
    metrics: dict[str, Any] | None = None
    #: Cross-validated runs (core.cv): cv_accuracy, cv_std, fold_accuracies and the
    #: refit's train_accuracy and test_accuracy, as core.fold_store.set_cv stores them.
    cv: dict[str, Any] | None = None


_DATASET_CACHE: dict[tuple[Any, ...], Dataset] = {}
#: A 5-fold set, its whole split and one more dataset: a cross-validated sweep cycles
#: through its folds in every worker, and a smaller cache would load each fold again.
_DATASET_CACHE_SIZE = 8


def file_stamp(path: str | None) -> tuple[int, int] | None:
    """Size and modification time of a CSV: an edited file is loaded again."""
    if path is None:
        return None
    try:
        info = os.stat(os.path.expanduser(path))
    except OSError:
        return None  # load_dataset says what is wrong
    return info.st_size, info.st_mtime_ns


def cached_dataset(spec: DatasetSpec) -> Dataset:
    """Load ``spec`` once per process: a sweep reuses the same data for every run."""
    key = (spec, file_stamp(spec.train), file_stamp(spec.test))
    data = _DATASET_CACHE.get(key)
    if data is None:
        data = load_dataset(spec)
        if len(_DATASET_CACHE) >= _DATASET_CACHE_SIZE:
            _DATASET_CACHE.pop(next(iter(_DATASET_CACHE)))
        _DATASET_CACHE[key] = data
    return data


def execute_run(
    request: RunRequest,
    progress: ProgressSink | None = None,
    stop_signal: StopSignal | None = None,
    data: Dataset | None = None,
) -> RunOutcome:
    """Train ``request`` and diagnose it; every failure becomes a ``failed`` outcome."""
    from core.training import train

    run_id = request.run_id
    stop_state: list[tuple[str, str]] = []

    def on_epoch(point: EpochPoint) -> str | None:
        if progress is not None:
            return progress(run_id, point)
        return None

    def should_stop() -> bool:
        if stop_signal is None:
            return False
        signal = stop_signal(run_id)
        if signal is not None:
            stop_state.append(signal)
            return True
        return False

    fold = request.dataset.fold is not None
    try:
        if data is None:
            data = request.data or cached_dataset(request.dataset)
        result: TrainResult = train(
            request.config, data, on_epoch=on_epoch, should_stop=should_stop, metrics=not fold
        )
    except PerceptuneError as error:
        return RunOutcome(run_id, "failed", error=str(error))
    except Exception as error:  # a bug or an environment problem: keep the run's record
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return RunOutcome(run_id, "failed", error=detail)
    status, reason = result.status, result.stop_reason
    if status == "cancelled" and stop_state:
        status, given = stop_state[0]  # e.g. pruned by the caller, with its reason
        reason = f"{given} (after epoch {result.n_epochs})" if given else ""
    verdict = facts = new_reference = None
    if fold:
        # One fold of a cross-validated run: its run is judged on all folds together
        # (core.cv); the fold only tells what its validation rows are. Fold 0 also
        # brings the split's reference when the store has none yet.
        facts = data_facts(data, None).to_dict()
        if request.dataset.fold == 0 and request.reference is None and status == "done":
            base = request.dataset.base()
            try:
                _, new_reference = _reference(replace(request, dataset=base), cached_dataset(base))
            except PerceptuneError:
                new_reference = None
    elif status in ("done", "diverged", "pruned"):
        reference, new_reference = _reference(request, data)
        judged = data_facts(data, reference)
        facts = judged.to_dict()
        verdict = diagnose(result.curve, judged, request.config, status).to_dict()
    return RunOutcome(
        run_id,
        status,
        curve=result.curve,
        stop_reason=reason,
        verdict=verdict,
        duration_s=result.duration_s,
        notes=result.notes,
        baseline=data.baseline_accuracy,
        facts=facts,
        new_reference=new_reference,
        metrics=None
        if fold
        else {
            "data": data.summary(),
            **(result.metrics or {}),
            **({"regions": result.regions} if result.regions else {}),
        },
    )


def _reference(
    request: RunRequest, data: Dataset
) -> tuple[Reference | None, dict[str, Any] | None]:
    """The split's reference (given, or computed here: then also returned as new)."""
    if request.reference is not None:
        try:
            given = Reference.from_dict(request.reference)
        except (KeyError, TypeError, ValueError):
            given = None
        if given is not None:
            remember(request.dataset, given)
            return given, None
    try:
        computed = reference_for(data)
    except Exception:  # the verdict falls back to the majority baseline, the run stands
        return None, None
    return computed, computed.to_dict()


def preload() -> None:
    """Import the heavy modules (scikit-learn) in this worker, if not done yet."""
    import core.preload  # noqa: F401
