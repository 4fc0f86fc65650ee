"""What perceptune's Dask executor sends between this process and the workers.

Every message is plain JSON-able data: dicts with ``str`` keys, lists, ``str``, ``int``,
``float``, ``bool`` and ``None`` (arrays travel as base64 text with a checked numeric
dtype). Each message is built by a ``*_to_wire`` function and read back by the matching
``*_from_wire`` one, which checks every key and type and raises :class:`WireError` for
anything else: bytes, objects, unknown keys, a wrong type, a non-finite accuracy.
Nothing here, nor in :mod:`core.executors_dask`, unpickles what crossed the network.

The messages:

* run request (this process -> task): :func:`request_to_wire` / :func:`request_from_wire`;
* dataset (this process -> every worker, once): :func:`dataset_to_wire` /
  :func:`dataset_from_wire`;
* stop (this process -> worker): :func:`stop_to_wire` / :func:`stop_from_wire`;
* events (worker -> this process, through the scheduler): ``start``, ``epochs`` and
  ``outcome``, built by :func:`start_event`, :func:`epochs_event`, :func:`outcome_event`
  and read by :func:`event_from_wire`.

Msgpack, which carries these through Dask, turns lists into tuples: readers accept both.
This module imports numpy only when a dataset is converted, never Dask.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.config import RunConfig
from core.datasets import Dataset, DatasetInfo, DatasetSpec
from core.errors import PerceptuneError
from core.results import FINISHED_STATUSES, EpochPoint
from core.worker import RunOutcome, RunRequest

#: Longest text field read back (a message, a reason, a name); longer ones are cut
#: when sent and refused when received.
MAX_TEXT = 10_000
#: Longest list read back (epochs of one event, notes, feature names, classes).
MAX_ITEMS = 1_000_000
#: Deepest nesting of a verdict's numbers.
MAX_DEPTH = 4
#: Statuses a stop may ask for.
STOP_STATUSES = ("cancelled", "pruned")
#: Array dtypes a dataset may carry: little/big-endian numbers and fixed-width text.
_DTYPE = re.compile(r"[<>|](?:[fiu][1248]|b1|U\d{1,5})")
_SPEC_DEFAULTS = DatasetSpec().to_dict()
_SPEC_FIELDS = tuple(_SPEC_DEFAULTS)
#: Cross-validation fields of a spec (core.folds): sent only when ``cv`` is set.
_SPEC_CV_FIELDS = ("cv", "refit", "fold")
#: Scores of a cross-validated run's outcome (core.cv): each a number in [0, 1] or None.
_CV_SCORES = ("cv_accuracy", "cv_std", "train_accuracy", "test_accuracy")
_INFO_FIELDS = ("name", "n_rows", "n_features", "n_classes", "class_counts")
_INFO_FIELDS += ("feature_names", "description")
#: A CSV's column report (core.datasets.DatasetInfo): checked as plain JSON.
_INFO_CSV_FIELDS = ("columns", "dropped_rows", "target", "notices", "warnings")


class WireError(PerceptuneError):
    """A message that is not what perceptune sends; the text says what is wrong."""


# --- checked readers ------------------------------------------------------------------


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise WireError(f"{where}: expected a dict, got {type(value).__name__}")
    return value


def _dict(value: Any, where: str, keys: Sequence[str], optional: Sequence[str] = ()) -> dict:
    """``value`` as a dict with exactly ``keys`` (plus any of ``optional``)."""
    _mapping(value, where)
    missing = [k for k in keys if k not in value]
    extra = [k for k in value if k not in keys and k not in optional]
    if missing or extra:
        problem = f"missing {missing}" if missing else f"unknown keys {_cut(repr(extra))}"
        raise WireError(f"{where}: {problem}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise WireError(f"{where}: expected text, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise WireError(f"{where}: text of {len(value)} characters (at most {MAX_TEXT})")
    return value


def _int(value: Any, where: str, low: int = 0, high: int = 2**63 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WireError(f"{where}: expected a whole number, got {type(value).__name__}")
    if not low <= value <= high:
        raise WireError(f"{where}: {value} is not between {low} and {high}")
    return value


def _float(value: Any, where: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WireError(f"{where}: expected a number, got {type(value).__name__}")
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise WireError(f"{where}: {number!r} is not a finite number in [{low}, {high}]")
    return number


def _list(value: Any, where: str, limit: int = MAX_ITEMS) -> list:
    if not isinstance(value, (list, tuple)):
        raise WireError(f"{where}: expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise WireError(f"{where}: {len(value)} items (at most {limit})")
    return list(value)


def _json(value: Any, where: str, depth: int = 0) -> Any:
    """A copy of a JSON value (dicts with text keys, lists, text, numbers, bool, None)."""
    if value is None or isinstance(value, (bool, str)):
        return _text(value, where) if isinstance(value, str) else value
    if isinstance(value, int):
        return _int(value, where, -(2**63), 2**63 - 1)
    if isinstance(value, float):
        return _float(value, where)
    if depth >= MAX_DEPTH:
        raise WireError(f"{where}: nested deeper than {MAX_DEPTH}")
    if isinstance(value, (list, tuple)):
        return [_json(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(_list(value, where))]
    if isinstance(value, dict):
        return {
            _text(k, f"{where} key"): _json(v, f"{where}.{k}", depth + 1) for k, v in value.items()
        }
    raise WireError(f"{where}: {type(value).__name__} is not plain data")


def _plain(value: Any) -> Any:
    """``value`` made JSON-able for sending: non-finite floats become None, text is cut."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k)[:MAX_TEXT]: _plain(v) for k, v in value.items()}
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return value


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- run requests and stops ------------------------------------------------------------


def request_to_wire(request: RunRequest) -> dict[str, Any]:
    """The run to execute: its id, hyperparameters and dataset spec."""
    return {
        "run_id": request.run_id,
        "config": _plain(request.config.to_dict()),
        "dataset": _plain(request.dataset.to_dict()),
        "reference": _plain(request.reference),
    }


def request_from_wire(message: Any) -> RunRequest:
    """The :class:`RunRequest` of ``message``; every field validated like user input
    (a bad value raises :class:`~core.errors.ConfigError`)."""
    data = _dict(message, "request", ("run_id", "config", "dataset"), optional=("reference",))
    run_id = _int(data["run_id"], "request.run_id")
    config = _dict(data["config"], "request.config", (), optional=tuple(RunConfig().to_dict()))
    values = {k: _json(v, f"request.config.{k}") for k, v in config.items()}
    spec = _spec(data["dataset"], "request.dataset")
    reference = _optional_mapping(data.get("reference"), "request.reference")
    return RunRequest(run_id, RunConfig.from_mapping(values), spec, reference)


def _optional_mapping(value: Any, where: str) -> dict[str, Any] | None:
    """A JSON object (validated like every other value) or None."""
    return None if value is None else _json(_mapping(value, where), where)


def _spec(value: Any, where: str) -> DatasetSpec:
    """A :class:`DatasetSpec` whose every field has its type. Not ``validate()``d: it
    describes data the worker is given, and its files need not exist there."""
    data = _dict(value, where, _SPEC_FIELDS, optional=_SPEC_CV_FIELDS)
    fields = {}
    if "cv" in data:
        from core.datasets import MAX_CV

        fields["cv"] = _int(data["cv"], f"{where}.cv", 0, MAX_CV)
    if "refit" in data:
        if not isinstance(data["refit"], bool):
            raise WireError(f"{where}.refit: expected true or false")
        fields["refit"] = data["refit"]
    if data.get("fold") is not None:
        fields["fold"] = _int(data["fold"], f"{where}.fold", 0, fields.get("cv", 0) - 1)
    for key, item in data.items():
        if key in _SPEC_CV_FIELDS:
            continue
        default, here = _SPEC_DEFAULTS[key], f"{where}.{key}"
        if isinstance(default, bool):
            if not isinstance(item, bool):
                raise WireError(f"{here}: expected true or false, got {type(item).__name__}")
            fields[key] = item
        elif isinstance(default, int):
            fields[key] = _int(item, here)
        elif isinstance(default, float):
            fields[key] = _float(item, here)
        else:  # text or None
            fields[key] = None if item is None else _text(item, here)
    return DatasetSpec(**fields)


def stop_to_wire(key: str, status: str, reason: str, at_epoch: int) -> dict[str, Any]:
    """Ask task ``key`` to end ``status`` with ``reason`` once it is past ``at_epoch``."""
    return {"key": key, "status": status, "reason": reason[:MAX_TEXT], "at_epoch": at_epoch}


def stop_from_wire(message: Any) -> tuple[str, str, str, int]:
    """``(key, status, reason, at_epoch)`` of a stop message."""
    data = _dict(message, "stop", ("key", "status", "reason", "at_epoch"))
    status = _text(data["status"], "stop.status")
    if status not in STOP_STATUSES:
        raise WireError(f"stop.status: {_cut(repr(status))} is not one of {STOP_STATUSES}")
    return (
        _text(data["key"], "stop.key"),
        status,
        _text(data["reason"], "stop.reason"),
        _int(data["at_epoch"], "stop.at_epoch"),
    )


# --- epochs and outcomes --------------------------------------------------------------


def points_to_wire(points: Sequence[EpochPoint]) -> list[list[Any]]:
    """Epochs as ``[epoch, train, test, loss]`` lists (loss None when not finite)."""
    return [
        [
            int(p.epoch),
            float(p.train_accuracy),
            float(p.test_accuracy),
            float(p.loss) if math.isfinite(p.loss) else None,
        ]
        for p in points
    ]


def points_from_wire(value: Any, where: str = "epochs") -> list[EpochPoint]:
    """The :class:`EpochPoint` list of :func:`points_to_wire`'s lists."""
    points = []
    for index, item in enumerate(_list(value, where)):
        here = f"{where}[{index}]"
        row = _list(item, here, limit=4)
        if len(row) != 4:
            raise WireError(f"{here}: expected [epoch, train, test, loss]")
        loss = row[3]
        points.append(
            EpochPoint(
                _int(row[0], f"{here} epoch", 1),
                _float(row[1], f"{here} train accuracy", 0.0, 1.0),
                _float(row[2], f"{here} test accuracy", 0.0, 1.0),
                math.nan if loss is None else _float(loss, f"{here} loss"),
            )
        )
    return points


_OUTCOME_KEYS = ("run_id", "status", "stop_reason", "error", "verdict", "duration_s", "notes")
_OUTCOME_KEYS += ("baseline", "n_epochs")
_OPTIONAL_OUTCOME_KEYS = ("curve", "facts", "new_reference", "regions", "cv")


def outcome_to_wire(outcome: RunOutcome, with_curve: bool = True) -> dict[str, Any]:
    """How a run ended. Without ``with_curve`` only ``n_epochs`` says how long the curve
    is: the events carry it epoch by epoch, before the outcome."""
    data: dict[str, Any] = {
        "run_id": outcome.run_id,
        "status": outcome.status,
        "stop_reason": outcome.stop_reason[:MAX_TEXT],
        "error": outcome.error[:MAX_TEXT],
        "verdict": _plain(outcome.verdict),
        "duration_s": float(outcome.duration_s) if math.isfinite(outcome.duration_s) else 0.0,
        "notes": [note[:MAX_TEXT] for note in outcome.notes],
        "baseline": _plain(outcome.baseline),
        "n_epochs": outcome.n_epochs,
        "facts": _plain(outcome.facts),
        "new_reference": _plain(outcome.new_reference),
        # The decision-region grid the worker predicted (2-D data): stored with the run.
        "regions": _plain((outcome.metrics or {}).get("regions")),
    }
    if outcome.cv is not None:
        data["cv"] = _plain(outcome.cv)
    if with_curve:
        data["curve"] = points_to_wire(outcome.curve)
    return data


def outcome_from_wire(message: Any) -> tuple[RunOutcome, int]:
    """``(outcome, n_epochs)``: the outcome has the curve only if it was sent with one."""
    data = _dict(message, "outcome", _OUTCOME_KEYS, optional=_OPTIONAL_OUTCOME_KEYS)
    status = _text(data["status"], "outcome.status")
    if status not in FINISHED_STATUSES:
        raise WireError(f"outcome.status: {_cut(repr(status))} is not one of {FINISHED_STATUSES}")
    verdict = data["verdict"]
    if verdict is not None:
        verdict = _json(_mapping(verdict, "outcome.verdict"), "outcome.verdict")
    baseline = data["baseline"]
    outcome = RunOutcome(
        _int(data["run_id"], "outcome.run_id"),
        status,
        curve=points_from_wire(data.get("curve", ()), "outcome.curve"),
        stop_reason=_text(data["stop_reason"], "outcome.stop_reason"),
        error=_text(data["error"], "outcome.error"),
        verdict=verdict,
        duration_s=_float(data["duration_s"], "outcome.duration_s", 0.0),
        notes=[_text(n, "outcome.notes") for n in _list(data["notes"], "outcome.notes", 1000)],
        baseline=None if baseline is None else _float(baseline, "outcome.baseline", 0.0, 1.0),
        facts=_optional_mapping(data.get("facts"), "outcome.facts"),
        new_reference=_optional_mapping(data.get("new_reference"), "outcome.new_reference"),
        metrics=_regions(data.get("regions")),
        cv=_cv_scores(data.get("cv")),
    )
    return outcome, _int(data["n_epochs"], "outcome.n_epochs")


def _cv_scores(value: Any) -> dict[str, Any] | None:
    """A cross-validated outcome's scores (:attr:`RunOutcome.cv`), checked key by key."""
    if value is None:
        return None
    data = _dict(value, "outcome.cv", (*_CV_SCORES, "fold_accuracies"))
    scores: dict[str, Any] = {
        key: None if data[key] is None else _float(data[key], f"outcome.cv.{key}", 0.0, 1.0)
        for key in _CV_SCORES
    }
    folds = data["fold_accuracies"]
    scores["fold_accuracies"] = (
        None
        if folds is None
        else [
            _float(item, f"outcome.cv.fold_accuracies[{i}]", 0.0, 1.0)
            for i, item in enumerate(_list(folds, "outcome.cv.fold_accuracies", 1000))
        ]
    )
    return scores


def _regions(value: Any) -> dict[str, Any] | None:
    """``{"regions": grid}`` for the run's metrics, the grid checked; None if none."""
    from core.regions import Regions

    grid = _optional_mapping(value, "outcome.regions")
    if grid is None:
        return None
    try:
        Regions.from_dict(grid)
    except ValueError as error:
        raise WireError(f"outcome.regions: {error}") from None
    return {"regions": grid}


# --- events ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One checked event from a task: ``kind`` is ``start``, ``epochs`` or ``outcome``."""

    kind: str
    key: str  # the Dask task's key
    attempt: str  # which try of the task sent it
    worker: str = ""  # start: the worker's address
    points: list[EpochPoint] = field(default_factory=list)  # epochs
    outcome: RunOutcome | None = None  # outcome (without its curve)
    n_epochs: int = 0  # outcome: epochs of the whole curve


def start_event(key: str, attempt: str, worker: str) -> dict[str, Any]:
    """A try of task ``key`` started on ``worker``."""
    return {"kind": "start", "key": key, "attempt": attempt, "worker": worker}


def epochs_event(key: str, attempt: str, points: Sequence[EpochPoint]) -> dict[str, Any]:
    """Epochs finished since the last event."""
    return {"kind": "epochs", "key": key, "attempt": attempt, "points": points_to_wire(points)}


def outcome_event(key: str, attempt: str, outcome: RunOutcome) -> dict[str, Any]:
    """How the run ended (its curve went before, in ``epochs`` events)."""
    return {
        "kind": "outcome",
        "key": key,
        "attempt": attempt,
        "outcome": outcome_to_wire(outcome, with_curve=False),
    }


_EVENT_KEYS = {"start": "worker", "epochs": "points", "outcome": "outcome"}


def event_from_wire(message: Any) -> Event:
    """The :class:`Event` of ``message``, or :class:`WireError`."""
    kind = message.get("kind") if isinstance(message, dict) else None
    if not isinstance(kind, str) or kind not in _EVENT_KEYS:
        shown = _cut(repr(kind)) if isinstance(message, dict) else type(message).__name__
        raise WireError(f"event: no kind perceptune sends ({shown})")
    # The scheduler adds the sending worker's address to every event a worker logs.
    data = _dict(
        message, f"{kind} event", ("kind", "key", "attempt", _EVENT_KEYS[kind]), ("worker",)
    )
    key = _text(data["key"], "event.key")
    attempt = _text(data["attempt"], "event.attempt")
    if kind == "start":
        return Event(kind, key, attempt, worker=_text(data["worker"], "event.worker"))
    if kind == "epochs":
        return Event(kind, key, attempt, points=points_from_wire(data["points"]))
    outcome, n_epochs = outcome_from_wire(data["outcome"])
    return Event(kind, key, attempt, outcome=outcome, n_epochs=n_epochs)


# --- datasets -------------------------------------------------------------------------


def _array_to_wire(array: Any) -> dict[str, Any] | None:
    import numpy as np

    if array is None:
        return None
    array = np.ascontiguousarray(array)
    if not _DTYPE.fullmatch(array.dtype.str):
        # e.g. an object array: its bytes would be pointers
        raise TypeError(f"cannot send an array of {array.dtype} to the workers")
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _array_from_wire(value: Any, where: str, ndim: int) -> Any:
    import numpy as np

    data = _dict(value, where, ("dtype", "shape", "data"))
    dtype_text = _text(data["dtype"], f"{where}.dtype")
    if not _DTYPE.fullmatch(dtype_text):
        raise WireError(f"{where}.dtype: {_cut(repr(dtype_text))} is not a number or text type")
    dtype = np.dtype(dtype_text)
    shape = [_int(n, f"{where}.shape", 0, 2**40) for n in _list(data["shape"], where, ndim)]
    if len(shape) != ndim:
        raise WireError(f"{where}.shape: expected {ndim} dimensions, got {len(shape)}")
    if not isinstance(data["data"], str):
        raise WireError(f"{where}.data: expected base64 text, got {type(data['data']).__name__}")
    try:
        raw = base64.b64decode(data["data"], validate=True)
    except (binascii.Error, ValueError):
        raise WireError(f"{where}.data: not base64 text") from None
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError(f"{where}.data: {len(raw)} bytes do not make a {dtype} array {shape}")
    # A writeable copy in this machine's byte order, as load_dataset makes them.
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def dataset_to_wire(data: Dataset, token: str) -> dict[str, Any]:
    """The loaded dataset, for the workers; ``token`` names it (workers decode it once)."""
    return {
        "token": token,
        "spec": _plain(data.spec.to_dict()),
        "X_train": _array_to_wire(data.X_train),
        "X_test": _array_to_wire(data.X_test),
        "y_train": _array_to_wire(data.y_train),
        "y_test": _array_to_wire(data.y_test),
        "feature_names": list(data.feature_names),
        "classes": _plain(list(data.classes)),
        "info": _plain(data.info.to_dict()),
        "scaler_mean": _array_to_wire(data.scaler_mean),
        "scaler_scale": _array_to_wire(data.scaler_scale),
        "encoded": bool(data.encoded),
    }


_DATASET_KEYS = ("token", "spec", "X_train", "X_test", "y_train", "y_test", "feature_names")
_DATASET_KEYS += ("classes", "info", "scaler_mean", "scaler_scale")


def dataset_token(message: Any) -> str:
    """The token of a dataset message (to look up an already decoded copy)."""
    data = _dict(message, "dataset", _DATASET_KEYS, optional=("encoded",))
    return _text(data["token"], "dataset.token")


def dataset_from_wire(message: Any) -> Dataset:
    """The :class:`Dataset` of ``message``: arrays of number or text types only, with
    shapes that agree."""
    data = _dict(message, "dataset", _DATASET_KEYS, optional=("encoded",))
    X_train = _array_from_wire(data["X_train"], "dataset.X_train", 2)
    X_test = _array_from_wire(data["X_test"], "dataset.X_test", 2)
    y_train = _array_from_wire(data["y_train"], "dataset.y_train", 1)
    y_test = _array_from_wire(data["y_test"], "dataset.y_test", 1)
    names = [_text(n, "dataset.feature_names") for n in _list(data["feature_names"], "names")]
    classes = []
    for label in _list(data["classes"], "dataset.classes"):
        if isinstance(label, bool) or not isinstance(label, (int, str)):
            raise WireError(f"dataset.classes: {type(label).__name__} is not a label")
        classes.append(label)
    scaling = []
    for key in ("scaler_mean", "scaler_scale"):
        value = data[key]
        scaling.append(None if value is None else _array_from_wire(value, f"dataset.{key}", 1))
    n_features = len(names)
    if (
        X_train.shape[1] != n_features
        or X_test.shape[1] != n_features
        or X_train.shape[0] != y_train.shape[0]
        or X_test.shape[0] != y_test.shape[0]
        or any(s is not None and s.shape[0] != n_features for s in scaling)
    ):
        raise WireError("dataset: array shapes do not agree with each other")
    info = _dict(data["info"], "dataset.info", _INFO_FIELDS, optional=_INFO_CSV_FIELDS)
    target = info.get("target")
    counts = _mapping(info["class_counts"], "dataset.info.class_counts")
    return Dataset(
        spec=_spec(data["spec"], "dataset.spec"),
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        feature_names=names,
        classes=classes,
        info=DatasetInfo(
            name=_text(info["name"], "dataset.info.name"),
            n_rows=_int(info["n_rows"], "dataset.info.n_rows"),
            n_features=_int(info["n_features"], "dataset.info.n_features"),
            n_classes=_int(info["n_classes"], "dataset.info.n_classes"),
            class_counts={
                _text(k, "dataset.info.class_counts"): _int(v, "dataset.info.class_counts")
                for k, v in counts.items()
            },
            feature_names=[
                _text(n, "dataset.info.feature_names")
                for n in _list(info["feature_names"], "dataset.info.feature_names")
            ],
            description=_text(info["description"], "dataset.info.description"),
            columns=[
                _json(_mapping(c, "dataset.info.columns"), "dataset.info.columns")
                for c in _list(info.get("columns", []), "dataset.info.columns")
            ],
            dropped_rows=_int(info.get("dropped_rows", 0), "dataset.info.dropped_rows"),
            target=None if target is None else _text(target, "dataset.info.target"),
            notices=[
                _text(n, "dataset.info.notices")
                for n in _list(info.get("notices", []), "dataset.info.notices")
            ],
            warnings=[
                _text(n, "dataset.info.warnings")
                for n in _list(info.get("warnings", []), "dataset.info.warnings")
            ],
        ),
        encoded=data.get("encoded", False) is True,
        scaler_mean=scaling[0],
        scaler_scale=scaling[1],
    )
