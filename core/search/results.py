"""What a sweep found: the leaderboard, the best configuration, chart series, exports.

Every function reads the run store only, so the CLI, the TUI and a script see the
same numbers, during a sweep as after it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.config import FIELD_INFO
from core.errors import InputError, NotFoundError
from core.results import EpochPoint
from core.search.space import RealRange, Values, value_label

if TYPE_CHECKING:
    from core.store import RunRecord, RunStore

#: Fields whose charts want a logarithmic x axis (they span decades).
LOG_AXIS_FIELDS = ("lr", "alpha")
TOP_CURVES = 5


@dataclass(slots=True)
class LeaderboardRow:
    """One point of a sweep, ranked by :func:`rank_key` (finished first, then the score)."""

    rank: int
    run_id: int
    status: str
    train_accuracy: float | None
    test_accuracy: float | None
    gap: float | None  # train - test
    verdict: str  # "good fit", "overfitting", ... ("" while unfinished)
    n_epochs: int
    point: dict[str, Any]  # the searched values
    params: dict[str, Any] = field(repr=False)  # every hyperparameter (stored JSON form)
    stop_reason: str = ""
    # Cross-validated sweeps: the folds (0: not cross-validated), what the row is
    # ranked by and each fold's validation accuracy (None until the folds are done).
    cv: int = 0
    cv_accuracy: float | None = None
    cv_std: float | None = None
    fold_accuracies: list[float] | None = None

    @property
    def score(self) -> float | None:
        """What the row is ranked by: ``cv_accuracy`` when cross-validated, else the
        test accuracy."""
        return self.cv_accuracy if self.cv_accuracy is not None else self.test_accuracy

    def to_dict(self) -> dict[str, Any]:
        """The row as ``leaderboard --json`` prints it; a cross-validated row adds
        ``cv_accuracy``, ``cv_std`` and ``fold_accuracies`` (as ``sweep --json``)."""
        data = {
            "rank": self.rank,
            "run_id": self.run_id,
            "status": self.status,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "gap": self.gap,
            "verdict": self.verdict,
            "n_epochs": self.n_epochs,
            "point": self.point,
            "params": self.params,
        }
        if self.cv:
            data["cv_accuracy"] = self.cv_accuracy
            data["cv_std"] = self.cv_std
            data["fold_accuracies"] = self.fold_accuracies
        return data

    def point_text(self) -> str:
        """``layers=64,64 lr=0.01 epochs=100``: the searched values, short."""
        return " ".join(f"{name}={_text(name, value)}" for name, value in self.point.items())


@dataclass(slots=True)
class ParamSeries:
    """Test accuracy against one searched hyperparameter, for a scatter chart.

    ``x`` holds numbers, or text labels when ``categorical`` (layers, activation).
    """

    name: str
    x: list[Any]
    y: list[float]
    log_axis: bool
    categorical: bool
    #: The values as searched, in the sweep's order (labels when categorical, numbers
    #: otherwise); empty for a range. The chart's ticks sit at these values.
    order: list[Any] = field(default_factory=list)
    #: The run of each point, to identify the highlighted one.
    run_ids: list[int] = field(default_factory=list)


def searched_names(store: RunStore, sweep_id: int, records: list[RunRecord]) -> list[str]:
    """The hyperparameters the sweep searched: its ``[space]`` keys, or (for a spec
    this version cannot read) the ones that differ between its runs."""
    spec = store.get_sweep(sweep_id)["spec"]
    space = spec.get("space") if isinstance(spec, dict) else None
    if isinstance(space, dict) and space:
        names = [str(key).replace("-", "_") for key in space]
        return [name for name in names if name in FIELD_INFO]
    varying = []
    for name in FIELD_INFO:
        values = {repr(r.params.get(name)) for r in records}
        if len(values) > 1:
            varying.append(name)
    return varying


def _score(record: RunRecord) -> float | None:
    """``cv_accuracy`` of a cross-validated run, else its test accuracy."""
    return record.cv_accuracy if record.dataset.get("cv") else record.test_accuracy


def sweep_title(sweep_id: int, name: str | None = "") -> str:
    """The one way a sweep is named on every screen and in every command:
    ``sweep 3 "moons grid"``, or ``sweep 3`` when it has no name."""
    return f'sweep {sweep_id} "{name}"' if name else f"sweep {sweep_id}"


def rank_key(record: RunRecord) -> tuple:
    """How a sweep's points rank, smallest first: the leaderboard's order and the one
    best run every screen and command names (ties broken the same way everywhere)."""
    test = _score(record)
    # A finished (done) point before any other: a pruned point's score is that of a
    # curve cut short, and #1 must be the run best_run names. Then the best score
    # (cv_accuracy when cross-validated, as GridSearchCV ranks by mean_test_score), a
    # smaller gap, the earlier run.
    return (
        test is None,
        record.status != "done",
        -(test or 0.0),
        record.gap if record.gap is not None else 1.0,
        record.id,
    )


def leaderboard(store: RunStore, sweep_id: int, limit: int | None = None) -> list[LeaderboardRow]:
    """The sweep's points in :func:`rank_key` order: the finished (``done``) ones first,
    best score first; then the pruned and unfinished ones; points without a score last."""
    records = store.list_runs(sweep_id=sweep_id)
    if not records:
        store.get_sweep(sweep_id)  # NotFoundError for an unknown sweep
    names = searched_names(store, sweep_id, records)
    ranked = sorted(records, key=rank_key)
    if limit is not None:
        ranked = ranked[:limit]
    return [
        LeaderboardRow(
            rank=rank,
            run_id=r.id,
            status=r.status,
            train_accuracy=r.train_accuracy,
            test_accuracy=r.test_accuracy,
            gap=r.gap,
            verdict=(r.verdict or {}).get("verdict", ""),
            n_epochs=r.n_epochs,
            point={name: r.params.get(name) for name in names},
            params=r.params,
            stop_reason=r.stop_reason,
            cv=int(r.dataset.get("cv") or 0),
            cv_accuracy=r.cv_accuracy,
            cv_std=r.cv_std,
            fold_accuracies=r.fold_accuracies,
        )
        for rank, r in enumerate(ranked, 1)
    ]


def best_run(store: RunStore, sweep_id: int) -> RunRecord | None:
    """The finished (``done``) run with the best test accuracy (``cv_accuracy`` when
    cross-validated); ties: smaller gap, then the earlier run. None while no point is
    done."""
    done = [
        r for r in store.list_runs(sweep_id=sweep_id, statuses=["done"]) if _score(r) is not None
    ]
    return min(done, key=rank_key) if done else None


def param_series(
    rows: list[LeaderboardRow],
    name: str,
    log: bool | None = None,
    searched: list[Any] | None = None,
) -> ParamSeries:
    """Test accuracy of the ``done`` points against ``name``.

    ``log`` forces the axis; by default lr and alpha get a log axis. ``searched``: the
    values the sweep's list gave ``name``, in its order (None for a range).
    """
    done = [row for row in rows if row.status == "done" and row.score is not None]
    kind = FIELD_INFO[name].kind if name in FIELD_INFO else "choice"
    categorical = kind in ("layers", "choice", "bool")
    x: list[Any] = []
    for row in done:
        value = row.params.get(name)
        if categorical or value is None:
            x.append(_text(name, value))
        else:
            x.append(float(value))
    log_axis = (name in LOG_AXIS_FIELDS) if log is None else log
    if any(isinstance(v, str) for v in x):
        categorical = True
        x = [v if isinstance(v, str) else _text(name, v) for v in x]
    order: list[Any] = []
    for value in searched or []:
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        item = float(value) if numeric and not categorical else _text(name, value)
        if item not in order:
            order.append(item)
    return ParamSeries(
        name=name,
        x=x,
        y=[float(row.score or 0.0) for row in done],
        log_axis=log_axis and not categorical,
        categorical=categorical,
        order=order,
        run_ids=[row.run_id for row in done],
    )


def all_param_series(store: RunStore, sweep_id: int) -> list[ParamSeries]:
    """One :class:`ParamSeries` per searched hyperparameter (log axis also for any
    ``log_uniform`` range of the sweep)."""
    from core.search.sweepfile import SweepSpec

    rows = leaderboard(store, sweep_id)
    log_names: set[str] = set(LOG_AXIS_FIELDS)
    searched: dict[str, list[Any]] = {}
    try:
        spec = SweepSpec.from_dict(store.get_sweep(sweep_id)["spec"])
        log_names |= {n for n, d in spec.space.items() if isinstance(d, RealRange) and d.log}
        searched = {n: list(d.values) for n, d in spec.space.items() if isinstance(d, Values)}
    except InputError:
        pass
    names = list(rows[0].point) if rows else []
    return [
        param_series(rows, name, log=name in log_names, searched=searched.get(name))
        for name in names
    ]


def top_curves(
    store: RunStore, sweep_id: int, n: int = TOP_CURVES
) -> list[tuple[LeaderboardRow, list[EpochPoint]]]:
    """The curves of the ``n`` best finished points, best first (to overlay)."""
    rows = [row for row in leaderboard(store, sweep_id) if row.status == "done"][:n]
    curves = store.curves([row.run_id for row in rows])
    return [(row, curves[row.run_id]) for row in rows]


CSV_COLUMNS = (
    "rank",
    "run_id",
    "status",
    "test_accuracy",
    "train_accuracy",
    "gap",
    "verdict",
    "n_epochs",
)


def leaderboard_csv(rows: list[LeaderboardRow]) -> str:
    """The leaderboard as CSV: ranking columns, then every hyperparameter.

    A cross-validated sweep (K folds) adds, after ``status``: ``cv_accuracy``,
    ``cv_std`` and one column per fold, ``fold_1_accuracy`` ... ``fold_K_accuracy``
    (numbers, as ``GridSearchCV.cv_results_`` gives ``split0_test_score``...), empty
    while a point's folds are not done."""
    out = io.StringIO()
    params = list(FIELD_INFO)
    folds = max((row.cv for row in rows), default=0)
    cv_columns = [f"fold_{k}_accuracy" for k in range(1, folds + 1)]
    if folds:
        cv_columns = ["cv_accuracy", "cv_std", *cv_columns]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS[:3], *cv_columns, *CSV_COLUMNS[3:], *params, "stop_reason"])
    for row in rows:
        cv_cells: list[str] = []
        if folds:
            accuracies = list(row.fold_accuracies or [])
            accuracies += [None] * (folds - len(accuracies))
            cv_cells = [_cell(row.cv_accuracy), _cell(row.cv_std), *map(_cell, accuracies)]
        writer.writerow(
            [
                row.rank,
                row.run_id,
                row.status,
                *cv_cells,
                _cell(row.test_accuracy),
                _cell(row.train_accuracy),
                _cell(row.gap),
                row.verdict,
                row.n_epochs,
                *(_text(name, row.params.get(name)) for name in params),
                row.stop_reason,
            ]
        )
    return out.getvalue()


def best_script(store: RunStore, sweep_id: int, script_name: str | None = None) -> str:
    """A standalone Python script that reproduces the sweep's best run. ``script_name``:
    the file name the script says it has (default: the ``sweep_best`` export name)."""
    from core.export import export_name, python_script

    record = best_run(store, sweep_id)
    if record is None:
        raise NotFoundError(f"sweep {sweep_id} has no finished point yet")
    return python_script(record, script_name=script_name or export_name("sweep_best", sweep_id))


#: Finished runs looked at by :func:`seconds_per_epoch` (newest first).
TIMED_RUNS = 200


def seconds_per_epoch(store: RunStore, dataset: Mapping[str, Any]) -> float | None:
    """Measured wall time per epoch on ``dataset`` (a :meth:`DatasetSpec.to_dict`):
    the median over the newest finished runs that trained on it, for a sweep's ETA.
    Points read off another run's curve took no time and are left out. None when no
    run finished on this data yet."""
    records = store.list_runs(statuses=["done"], limit=TIMED_RUNS, descending=True)
    rates = sorted(
        r.duration_s / r.n_epochs
        for r in records
        if r.dataset == dict(dataset)
        and r.n_epochs > 0
        and r.duration_s
        and "read off" not in r.stop_reason
    )
    if not rates:
        return None
    middle = len(rates) // 2
    return rates[middle] if len(rates) % 2 else (rates[middle - 1] + rates[middle]) / 2


def _cell(value: float | None) -> str:
    return "" if value is None else repr(value)


def _text(name: str, value: Any) -> str:
    if name == "layers" and isinstance(value, (list, tuple)):
        return ",".join(str(n) for n in value)
    if isinstance(value, float):
        return f"{value:g}"
    return value_label(name, value)
