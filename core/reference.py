"""What a dataset split allows: the test accuracy of simple, cheap models.

Underfitting is judged against this number rather than against the majority class
(:mod:`core.diagnosis`): a 1-neuron network on moons scores 0.86 on its training
data, far above the 0.5 of guessing, but k-nearest neighbours reaches 0.96 on the
same split. The reference is the best test accuracy of

- k-nearest neighbours (k = 5), which follows any boundary given enough rows, and
- logistic regression, which wins on data whose classes are split by a plane,

both fit on the train part (standardised, whatever the run's own scaling) and
scored on the test part. At most ``MAX_ROWS`` rows of each part are used, so the
cost stays bounded on big CSV files (~0.05 s on digits).

It is computed once per dataset split, in the worker that trains the first run on
it (never on a UI thread), and cached in the run store under the spec's canonical
JSON (:func:`reference_key`), with a fingerprint of the CSV files so an edited file
is measured again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from core.datasets import DatasetSpec
from core.diagnosis import DataFacts

if TYPE_CHECKING:
    from core.datasets import Dataset
    from core.store import RunStore

#: Rows of the train and of the test part the reference models see at most.
MAX_ROWS = 5000
#: Neighbours of the k-nearest-neighbours reference.
KNN_K = 5

_CACHE: dict[tuple[str, str], Reference] = {}
_CACHE_SIZE = 16


@dataclass(frozen=True, slots=True)
class Reference:
    """The reference accuracy and each model's test accuracy behind it."""

    accuracy: float
    models: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict: ``{"accuracy": 0.973, "models": {"knn": ..., ...}}``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        """Inverse of :meth:`to_dict`; raises ValueError/KeyError/TypeError if malformed."""
        models = {str(k): float(v) for k, v in dict(data.get("models") or {}).items()}
        return cls(float(data["accuracy"]), models)


def reference_key(spec: DatasetSpec) -> str:
    """The canonical JSON of ``spec``: sorted keys, no spaces. Fields that do not
    change a bundled dataset (noise, sample count) are left at their defaults, so
    every ``iris`` run shares one entry."""
    values = spec.base().to_dict()  # folds and refit share the split's reference
    if not spec.is_synthetic():
        defaults = DatasetSpec()
        values["noise"] = defaults.noise
        values["n_samples"] = defaults.n_samples
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def fingerprint(spec: DatasetSpec) -> str:
    """Size and modification time of the spec's CSV files ('' for built-in data)."""
    parts = []
    for path in (spec.train, spec.test):
        if path is None:
            continue
        try:
            info = os.stat(path)
        except OSError:
            parts.append(f"{path}:missing")
            continue
        parts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return "|".join(parts)


def _subsample(X: Any, y: Any, limit: int, seed: int) -> tuple[Any, Any]:
    if len(y) <= limit:
        return X, y
    import numpy as np

    rows = np.random.default_rng(seed).choice(len(y), size=limit, replace=False)
    return X[rows], y[rows]


def compute_reference(data: Dataset) -> Reference:
    """Fit the reference models on ``data``'s train part and score them on its test
    part (each capped at ``MAX_ROWS`` rows)."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    X_train, y_train = _subsample(data.X_train, data.y_train, MAX_ROWS, 0)
    X_test, y_test = _subsample(data.X_test, data.y_test, MAX_ROWS, 1)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    models: dict[str, float] = {}
    candidates = {
        "knn": KNeighborsClassifier(n_neighbors=min(KNN_K, len(y_train))),
        "logistic": LogisticRegression(max_iter=1000),
    }
    for name, model in candidates.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: the score still counts
                model.fit(X_train, y_train)
                models[name] = round(float(model.score(X_test, y_test)), 6)
        except ValueError:
            continue  # e.g. a degenerate split: the other model still answers
    accuracy = max(models.values()) if models else data.baseline_accuracy
    return Reference(accuracy, models)


def reference_for(data: Dataset) -> Reference:
    """:func:`compute_reference`, remembered per process (a sweep's worker trains many
    runs on one split)."""
    key = (reference_key(data.spec), fingerprint(data.spec))
    reference = _CACHE.get(key)
    if reference is None:
        reference = compute_reference(data)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = reference
    return reference


def remember(spec: DatasetSpec, reference: Reference) -> None:
    """Seed this process's cache (a reference read from the store)."""
    _CACHE[(reference_key(spec), fingerprint(spec))] = reference


def stored_reference(store: RunStore, spec: DatasetSpec) -> Reference | None:
    """The reference cached in ``store`` for ``spec``'s split, if any."""
    value = store.get_reference(reference_key(spec), fingerprint(spec))
    if value is None:
        return None
    try:
        return Reference.from_dict(value)
    except (KeyError, TypeError, ValueError):
        return None


def store_reference(store: RunStore, spec: DatasetSpec, reference: Reference) -> None:
    """Cache ``reference`` for ``spec``'s split in ``store``."""
    store.put_reference(reference_key(spec), fingerprint(spec), reference.to_dict())


def request_reference(store: RunStore, spec: DatasetSpec) -> dict[str, Any] | None:
    """What a :class:`~core.worker.RunRequest` carries: the cached reference as a
    plain dict, or None (the worker then computes it). Never raises: the cache is
    an optimisation."""
    try:
        reference = stored_reference(store, spec)
    except Exception:
        return None
    return None if reference is None else reference.to_dict()


def save_new_reference(store: RunStore, run_id: int, value: dict[str, Any]) -> None:
    """Cache a reference a worker computed for run ``run_id``'s split; best effort."""
    try:
        spec = DatasetSpec.from_mapping(store.get_run(run_id).dataset)
        reference = Reference.from_dict(value)
        # A sweep's runs all start before the first one is cached: write it once.
        if stored_reference(store, spec) != reference:
            store_reference(store, spec, reference)
    except Exception:
        return  # the next run on this split computes it again


def data_facts(data: Dataset, reference: Reference | None) -> DataFacts:
    """What :func:`core.diagnosis.diagnose` needs to know about ``data``."""
    return DataFacts(
        n_test=len(data.y_test),
        n_classes=len(data.classes),
        baseline=round(data.baseline_accuracy, 6),
        reference=None if reference is None else reference.accuracy,
        scaled=bool(data.spec.scale),
    )
