"""The folds of cross-validated runs in the run store (tables of
:func:`core.store_schema.add_cross_validation`).

Every fold's curve (``fold_epochs``) and a ``folds`` row are written when it ends, in
one transaction: a resumed run keeps the folds that ended ``done`` or
``diverged`` (training them again would give the same curve) and trains only the
others, so every fold is trained to its end exactly once. These functions use the
store's own transactions; its writer rules (one writing process) hold for them too.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.results import EpochPoint

if TYPE_CHECKING:
    from core.cv import BandPoint
    from core.store import RunStore

#: Fold statuses a restarted run keeps: training such a fold again gives the same.
KEPT_STATUSES = ("done", "diverged")


@dataclass(frozen=True, slots=True)
class FoldRecord:
    """How one fold of a run ended (``fold`` -1: the refit on the whole train part)."""

    fold: int
    status: str
    stop_reason: str = ""
    error: str = ""
    duration_s: float | None = None
    finished_at: float = 0.0


def _loss(value: float) -> float | None:
    return value if math.isfinite(value) else None


def finish_fold(
    store: RunStore,
    run_id: int,
    fold: int,
    status: str,
    curve: Sequence[EpochPoint],
    *,
    stop_reason: str = "",
    error: str = "",
    duration_s: float | None = None,
) -> None:
    """End one fold: its whole curve (an epoch still on its way is never missing) and
    its ``folds`` row, in one transaction."""
    rows = [
        (run_id, fold, p.epoch, p.train_accuracy, p.test_accuracy, _loss(p.loss)) for p in curve
    ]
    with store._write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO fold_epochs (run_id, fold, epoch, train_accuracy,"
            " test_accuracy, loss) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT OR REPLACE INTO folds (run_id, fold, status, stop_reason, error, duration,"
            " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, fold, status, stop_reason, error, duration_s, time.time()),
        )


def folds(store: RunStore, run_id: int) -> dict[int, FoldRecord]:
    """The ended folds of ``run_id``, by fold number."""
    rows = store._read(
        "SELECT fold, status, stop_reason, error, duration, finished_at FROM folds"
        " WHERE run_id = ? ORDER BY fold",
        (run_id,),
    )
    return {row[0]: FoldRecord(*row) for row in rows}


def keep_finished(store: RunStore, run_id: int) -> dict[int, FoldRecord]:
    """Drop what the folds that did not end ``done`` or ``diverged`` left (a row, some
    epochs) and return the ones kept: a restart trains only the others."""
    kept = ", ".join(repr(status) for status in KEPT_STATUSES)
    with store._write() as conn:
        conn.execute(f"DELETE FROM folds WHERE run_id = ? AND status NOT IN ({kept})", (run_id,))
        conn.execute(
            "DELETE FROM fold_epochs WHERE run_id = ? AND fold NOT IN"
            " (SELECT fold FROM folds WHERE run_id = ?)",
            (run_id, run_id),
        )
    return folds(store, run_id)


def clear(store: RunStore, run_id: int) -> None:
    """Drop every fold of ``run_id`` (a point read off another run is rewritten whole)."""
    with store._write() as conn:
        conn.execute("DELETE FROM folds WHERE run_id = ?", (run_id,))
        conn.execute("DELETE FROM fold_epochs WHERE run_id = ?", (run_id,))
        conn.execute("DELETE FROM cv_band WHERE run_id = ?", (run_id,))


def add_spreads(store: RunStore, run_id: int, rows: Sequence[tuple[int, float, float]]) -> None:
    """Store ``(epoch, train_std, cv_std)`` of the mean curve's epochs, in one
    transaction (after the mean points themselves: :func:`live_band` joins the two)."""
    with store._write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO cv_band (run_id, epoch, train_std, cv_std) VALUES (?, ?, ?, ?)",
            [(run_id, epoch, _loss(train), _loss(cv)) for epoch, train, cv in rows],
        )


def live_band(store: RunStore, run_id: int, last: int | None = None) -> list[BandPoint]:
    """The band of ``run_id`` as written while its folds train: each epoch of its mean
    curve that has its spread stored, up to ``last``."""
    from core.cv import BandPoint

    rows = store._read(
        "SELECT e.epoch, e.train_accuracy, b.train_std, e.test_accuracy, b.cv_std, e.loss"
        " FROM epochs AS e JOIN cv_band AS b ON b.run_id = e.run_id AND b.epoch = e.epoch"
        " WHERE e.run_id = ? AND e.epoch <= ? ORDER BY e.epoch",
        (run_id, last if last is not None else 2**62),
    )
    nan = float("nan")
    return [
        BandPoint(
            epoch,
            train,
            nan if train_std is None else train_std,
            cv,
            nan if cv_std is None else cv_std,
            nan if loss is None else loss,
        )
        for epoch, train, train_std, cv, cv_std, loss in rows
    ]


def fold_curves(store: RunStore, run_id: int) -> dict[int, list[EpochPoint]]:
    """Every stored fold curve of ``run_id`` (-1: the refit), by fold number."""
    rows = store._read(
        "SELECT fold, epoch, train_accuracy, test_accuracy, loss FROM fold_epochs"
        " WHERE run_id = ? ORDER BY fold, epoch",
        (run_id,),
    )
    curves: dict[int, list[EpochPoint]] = {}
    for fold, epoch, train, test, loss in rows:
        point = EpochPoint(epoch, train, test, math.nan if loss is None else loss)
        curves.setdefault(fold, []).append(point)
    return curves


def set_cv(
    store: RunStore,
    run_id: int,
    *,
    cv_accuracy: float | None,
    cv_std: float | None,
    fold_accuracies: list[float] | None,
    train_accuracy: float | None,
    test_accuracy: float | None,
) -> None:
    """Store a cross-validated run's scores: the folds' mean and spread, and the train
    and test accuracy of the refit (None without a refit)."""
    gap = None
    if train_accuracy is not None and test_accuracy is not None:
        gap = train_accuracy - test_accuracy
    with store._write() as conn:
        conn.execute(
            "UPDATE runs SET cv_accuracy = ?, cv_std = ?, fold_accuracies = ?,"
            " train_accuracy = ?, test_accuracy = ?, gap = ? WHERE id = ?",
            (
                cv_accuracy,
                cv_std,
                None if fold_accuracies is None else json.dumps(fold_accuracies),
                train_accuracy,
                test_accuracy,
                gap,
                run_id,
            ),
        )
