"""The run store: every run, its per-epoch curve and the sweeps, in one SQLite file.

The file is in WAL mode, so one process writes while any number of others (the TUI,
a CLI ``runs`` listing) read at the same time. Each epoch is committed as it is
recorded, so killing the writing process loses at most the epoch in flight. A run
left ``running`` by a process that no longer exists is reported as ``interrupted``
(see :meth:`RunStore.reconcile_interrupted`, called on every open). So is a run
left ``queued`` outside a sweep by a process that no longer exists, and a sweep whose
owning process died: every queued run and running sweep has an owner (pid, host) that
heartbeats while it lives (:meth:`RunStore.heartbeat_owned`, on a thread of the store).

One :class:`RunStore` holds one connection shared by the threads of its process
(the TUI writes from a listener thread and reads from workers); a lock serialises
them. Schema and migrations live in :mod:`core.store_schema`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from core.errors import NotFoundError, StoreError
from core.results import FINISHED_STATUSES, STATUSES, EpochPoint
from core.store_schema import check_store, migrate

DEFAULT_STORE_PATH = "perceptune.db"
#: A run on another host whose heartbeat is older than this is taken as interrupted.
HEARTBEAT_STALE_S = 60.0
#: Seconds between heartbeats of the queued runs and running sweeps this process owns.
OWNER_HEARTBEAT_S = 10.0
BUSY_TIMEOUT_MS = 5000
SWEEP_STATUSES = ("running", "done", "interrupted", "cancelled")
#: Statuses a run may end in (``finish_run``): never ``queued`` or ``running``.
END_STATUSES = (*FINISHED_STATUSES, "interrupted")

#: ``list_runs(order_by=...)`` key -> column. Only these names ever reach the SQL text.
ORDER_COLUMNS = {
    "id": "id",
    "test_accuracy": "test_accuracy",
    "train_accuracy": "train_accuracy",
    "gap": "gap",
    "created_at": "created_at",
    "duration": "duration",
    "status": "status",
    "n_epochs": "n_epochs",
    "cv_accuracy": "cv_accuracy",
}

# Sort keys a run may lack (not finished yet): those runs are listed last either way.
_NULLABLE = {"test_accuracy", "train_accuracy", "gap", "duration", "cv_accuracy"}
_RUN_COLUMNS = (
    "id, status, params, dataset, train_accuracy, test_accuracy, n_epochs, verdict, "
    "stop_reason, error, created_at, started_at, finished_at, sweep_id, point_key, label, "
    "cv_accuracy, cv_std, fold_accuracies"
)
_SWEEP_COLUMNS = "id, name, status, created_at, spec, owner_pid, owner_host, heartbeat_at, reason"
# Keeps IN (...) lists well under SQLite's bound-variable limit.
_CHUNK = 500


@dataclass(slots=True)
class RunRecord:
    """One stored run as the UIs show it. Times are unix seconds."""

    id: int
    status: str
    params: dict[str, Any]
    dataset: dict[str, Any]
    train_accuracy: float | None
    test_accuracy: float | None
    n_epochs: int
    verdict: dict[str, Any] | None  # {"verdict": "overfitting", ...numbers}
    stop_reason: str
    error: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    sweep_id: int | None
    point_key: str | None
    label: str
    # Cross-validated runs only (core.folds): mean and std of the folds' validation
    # accuracy at the run's epochs, and each fold's.
    cv_accuracy: float | None = None
    cv_std: float | None = None
    fold_accuracies: list[float] | None = None

    @property
    def duration_s(self) -> float | None:
        """Wall time from start to finish; None until the run has finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def gap(self) -> float | None:
        """Train minus test accuracy: the usual overfitting measure."""
        if self.train_accuracy is None or self.test_accuracy is None:
            return None
        return self.train_accuracy - self.test_accuracy

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (what ``runs --json`` prints)."""
        return {
            "id": self.id,
            "status": self.status,
            "params": self.params,
            "dataset": self.dataset,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "n_epochs": self.n_epochs,
            "verdict": self.verdict,
            "stop_reason": self.stop_reason,
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "sweep_id": self.sweep_id,
            "label": self.label,
            **self.cv_dict(),
        }

    def cv_dict(self) -> dict[str, Any]:
        """``cv_accuracy``, ``cv_std`` and ``fold_accuracies`` of a cross-validated run
        (empty for any other)."""
        if not self.dataset.get("cv"):
            return {}
        return {
            "cv_accuracy": self.cv_accuracy,
            "cv_std": self.cv_std,
            "fold_accuracies": self.fold_accuracies,
        }


def _lazy_json(cls: type, name: str) -> None:
    """Let field ``name`` of slots dataclass ``cls`` hold JSON text until first read.

    Listing 10k runs would spend most of its time in json.loads of params nobody
    looks at; the record stores the text and parses it once, on first access.
    Equality, repr, asdict and pickling all read through the property, so they see
    the parsed value.
    """
    slot = cls.__dict__[name]  # the member descriptor that holds the value

    def get(self: Any) -> Any:
        value = slot.__get__(self, cls)
        if isinstance(value, str):
            value = json.loads(value)
            slot.__set__(self, value)
        return value

    def set_(self: Any, value: Any) -> None:
        slot.__set__(self, value)

    setattr(cls, name, property(get, set_, doc=f"{name} (JSON text is parsed on first read)"))


for _name in ("params", "dataset", "verdict", "fold_accuracies"):
    _lazy_json(RunRecord, _name)


def _record(row: Sequence[Any]) -> RunRecord:
    """Build a record from a row selected with ``_RUN_COLUMNS`` (JSON parsed lazily)."""
    return RunRecord(
        id=row[0],
        status=row[1],
        params=row[2],
        dataset=row[3],
        train_accuracy=row[4],
        test_accuracy=row[5],
        n_epochs=row[6],
        verdict=row[7],
        stop_reason=row[8],
        error=row[9],
        created_at=row[10],
        started_at=row[11],
        finished_at=row[12],
        sweep_id=row[13],
        point_key=row[14],
        label=row[15],
        cv_accuracy=row[16],
        cv_std=row[17],
        fold_accuracies=row[18],
    )


def _point(row: Sequence[Any]) -> EpochPoint:
    return EpochPoint(
        epoch=row[0],
        train_accuracy=row[1],
        test_accuracy=row[2],
        loss=math.nan if row[3] is None else row[3],
    )


def _sweep(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row[0],
        "name": row[1],
        "status": row[2],
        "created_at": row[3],
        "spec": json.loads(row[4]),
        "owner": None if row[5] is None else {"pid": row[5], "host": row[6]},
        "heartbeat_at": row[7],
        "reason": row[8],
    }


class SweepBusy(StoreError):
    """The sweep is owned by another live process (:meth:`RunStore.claim_sweep`)."""

    def __init__(self, sweep_id: int, pid: int | None, host: str | None) -> None:
        self.sweep_id = sweep_id
        self.pid = pid
        self.host = host
        super().__init__(f"sweep {sweep_id} is running in process {pid} on {host}")


def _json_default(value: Any) -> Any:
    # numpy scalars (a verdict's numbers, a sweep's sampled values) know their Python twin.
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot store a {type(value).__name__} as JSON")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _check(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def _pid_alive(pid: int) -> bool | None:
    """Whether process ``pid`` of this host still runs; None when it cannot be told."""
    if sys.platform == "win32":
        return None  # os.kill(pid, 0) would terminate the process on Windows
    if pid <= 0:
        return False  # kill(0 or -1) would address whole process groups
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return None
    # A child killed but not yet reaped by its parent is a zombie: kill(0) still works.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return True  # no procfs (macOS): trust kill()
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and ")"
    return not (fields and fields[0] in ("Z", "X"))


def _unwritable(path: Path) -> StoreError | None:
    """Why SQLite cannot write at ``path`` (a new store, or the -wal and -shm files WAL
    mode keeps next to an existing one), or None when nothing is known to be wrong."""
    directory = path.parent
    if not path.exists():
        if not os.access(directory, os.W_OK | os.X_OK):
            return StoreError(
                f"cannot create store {path}: directory {directory} is read-only for this user"
            )
        return None
    if not os.access(path, os.R_OK):
        return StoreError(f"cannot open store {path}: the file is not readable by this user")
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() and not os.access(directory, os.W_OK | os.X_OK):
        return StoreError(
            f"cannot open store {path}: directory {directory} is read-only for this user "
            f"(SQLite keeps {wal.name} and {path.name}-shm next to the store)"
        )
    return None


def _who(pid: int | None, host: str | None) -> str:
    """The owner of a run or sweep, for messages."""
    return f"process {pid} on {host}" if pid is not None else "its process"


def _connect(path: Path) -> sqlite3.Connection:
    """Open, check, configure and migrate the store at ``path``."""
    if path.is_dir():
        raise StoreError(f"cannot open store {path}: it is a directory")
    if not path.parent.is_dir():
        raise StoreError(f"cannot open store {path}: directory {path.parent} does not exist")
    problem = _unwritable(path)
    if problem is not None:
        raise problem
    try:
        # Autocommit mode: transactions are begun and committed explicitly below.
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        check_store(conn, path)  # before WAL: never rewrite another program's database
        conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL is still crash-safe for the database; a power cut may
        # only lose the last commits, which is what we accept for an epoch anyway.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    return conn


class RunStore:
    """Runs, curves and sweeps in one SQLite file; safe to share between threads."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_STORE_PATH) -> None:
        self.path = Path(path)
        # Re-entrant so a method may call another public one while holding it.
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._host = socket.gethostname()
        self._conn: sqlite3.Connection | None = _connect(self.path)
        self._beat_stop = threading.Event()
        self._beat: threading.Thread | None = None
        # Best effort: a store busy beyond the timeout still opens for reading; the
        # next open reconciles.
        with contextlib.suppress(StoreError):
            self.reconcile_interrupted()

    # -- plumbing ---------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent); later calls raise StoreError."""
        self._beat_stop.set()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"store {self.path} is closed")
        return self._conn

    def _error(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(f"store {self.path}: {exc}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; sqlite errors become StoreError."""
        with self._lock:
            conn = self._connection()
            try:
                # IMMEDIATE takes the write lock up front (waiting busy_timeout):
                # upgrading a read transaction later could fail without waiting.
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:  # also after a failed COMMIT: never leave one open
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from exc
                raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            conn = self._connection()
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def _no_run(self, run_id: int) -> NotFoundError:
        return NotFoundError(f"no run {run_id} in {self.path}")

    def _no_sweep(self, sweep_id: int) -> NotFoundError:
        return NotFoundError(f"no sweep {sweep_id} in {self.path}")

    # -- runs: writing ------------------------------------------------------------

    def create_run(
        self,
        params: dict[str, Any],
        dataset: dict[str, Any],
        *,
        status: str = "queued",
        sweep_id: int | None = None,
        point_key: str | None = None,
        label: str = "",
    ) -> int:
        """Add a run and return its id. ``point_key`` is unique within a sweep.

        A ``queued`` or ``running`` run is owned by this process (pid, host, heartbeat):
        when the process ends before the run does, :meth:`reconcile_interrupted` marks
        it ``interrupted`` for ``resume`` (queued runs of a sweep are left to the sweep).
        """
        _check(status, STATUSES, "run status")
        now = time.time()
        running = status == "running"
        owned = status in ("queued", "running")
        with self._write() as conn:
            if (
                sweep_id is not None
                and not conn.execute("SELECT 1 FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
            ):
                raise self._no_sweep(sweep_id)
            try:
                cursor = conn.execute(
                    "INSERT INTO runs (status, params, dataset, label, created_at, started_at,"
                    " owner_pid, owner_host, heartbeat_at, sweep_id, point_key)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        status,
                        _dumps(params),
                        _dumps(dataset),
                        label,
                        now,
                        now if running else None,
                        self._pid if owned else None,
                        self._host if owned else None,
                        now if owned else None,
                        sweep_id,
                        point_key,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise StoreError(
                    f"store {self.path}: sweep {sweep_id} already has a run for point {point_key!r}"
                ) from exc
            assert cursor.lastrowid is not None
        if status == "queued":
            self._start_owner_heartbeat()
        return cursor.lastrowid

    def mark_running(self, run_id: int) -> None:
        """Claim the run for this process and start it over (old epochs are dropped)."""
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = 'running', started_at = ?, finished_at = NULL,"
                " duration = NULL, owner_pid = ?, owner_host = ?, heartbeat_at = ?,"
                " n_epochs = 0, train_accuracy = NULL, test_accuracy = NULL, gap = NULL,"
                " verdict = NULL, stop_reason = '', error = '', cv_accuracy = NULL,"
                " cv_std = NULL, fold_accuracies = NULL WHERE id = ?",
                (now, self._pid, self._host, now, run_id),
            )
            if cursor.rowcount == 0:
                raise self._no_run(run_id)
            conn.execute("DELETE FROM epochs WHERE run_id = ?", (run_id,))

    def set_metrics(self, run_id: int, metrics: dict[str, Any]) -> None:
        """Store a run's data summary and per-class results (JSON)."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET metrics = ? WHERE id = ?", (_dumps(metrics), run_id))

    def metrics(self, run_id: int) -> dict[str, Any] | None:
        """A run's data summary and per-class results, or None (not finished, or older)."""
        rows = self._read("SELECT metrics FROM runs WHERE id = ?", (run_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    def heartbeat(self, run_ids: Iterable[int]) -> None:
        """Say that these running runs are still alive (needed across hosts)."""
        now = time.time()
        rows = [(now, run_id) for run_id in run_ids]
        if not rows:
            return
        with self._write() as conn:
            conn.executemany(
                "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'", rows
            )

    def add_epoch(self, run_id: int, point: EpochPoint) -> None:
        """Record one epoch and commit it at once."""
        self.add_epochs(run_id, [point])

    def add_epochs(self, run_id: int, points: Sequence[EpochPoint]) -> None:
        """Record several epochs in one transaction (replacing equal epoch numbers)."""
        if not points:
            return
        rows = [
            (run_id, p.epoch, p.train_accuracy, p.test_accuracy, _finite_or_none(p.loss))
            for p in points
        ]
        last = max(p.epoch for p in points)
        with self._write() as conn:
            # Progress and a sign of life in the runs row, so listings show how far it got.
            cursor = conn.execute(
                "UPDATE runs SET n_epochs = max(n_epochs, ?), heartbeat_at = ? WHERE id = ?",
                (last, time.time(), run_id),
            )
            if cursor.rowcount == 0:
                raise self._no_run(run_id)
            conn.executemany(
                "INSERT OR REPLACE INTO epochs (run_id, epoch, train_accuracy, test_accuracy,"
                " loss) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        train_accuracy: float | None = None,
        test_accuracy: float | None = None,
        n_epochs: int | None = None,
        verdict: dict[str, Any] | None = None,
        stop_reason: str = "",
        error: str = "",
    ) -> None:
        """End a run. Scores and epoch count left None come from its last stored epoch."""
        _check(status, END_STATUSES, "final run status")
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT started_at FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise self._no_run(run_id)
            started_at = row[0]
            last = self._last_epoch(conn, run_id)
            if last is not None:
                train_accuracy = last[1] if train_accuracy is None else train_accuracy
                test_accuracy = last[2] if test_accuracy is None else test_accuracy
            gap = (
                None
                if train_accuracy is None or test_accuracy is None
                else train_accuracy - test_accuracy
            )
            conn.execute(
                "UPDATE runs SET status = ?, train_accuracy = ?, test_accuracy = ?, gap = ?,"
                " n_epochs = COALESCE(?, n_epochs), verdict = ?, stop_reason = ?, error = ?,"
                " finished_at = ?, duration = ? WHERE id = ?",
                (
                    status,
                    train_accuracy,
                    test_accuracy,
                    gap,
                    n_epochs,
                    None if verdict is None else _dumps(verdict),
                    stop_reason,
                    error,
                    now,
                    None if started_at is None else now - started_at,
                    run_id,
                ),
            )

    @staticmethod
    def _last_epoch(conn: sqlite3.Connection, run_id: int) -> tuple[int, float, float] | None:
        return conn.execute(
            "SELECT epoch, train_accuracy, test_accuracy FROM epochs WHERE run_id = ?"
            " ORDER BY epoch DESC LIMIT 1",
            (run_id,),
        ).fetchone()

    def set_status(self, run_id: int, status: str) -> None:
        """Change only the status (cancel a queued run, re-queue, ...).

        ``running`` claims the run for this process like :meth:`mark_running` but keeps
        its epochs; an end status stamps the finish time if there was none.
        """
        _check(status, STATUSES, "run status")
        now = time.time()
        if status == "running":
            sql = (
                "UPDATE runs SET status = ?, started_at = COALESCE(started_at, ?),"
                " owner_pid = ?, owner_host = ?, heartbeat_at = ? WHERE id = ?"
            )
            params: tuple[Any, ...] = (status, now, self._pid, self._host, now, run_id)
        elif status == "queued":
            # Queued again by this process: it owns the run until it runs it.
            sql = (
                "UPDATE runs SET status = ?, finished_at = NULL, duration = NULL,"
                " owner_pid = ?, owner_host = ?, heartbeat_at = ? WHERE id = ?"
            )
            params = (status, self._pid, self._host, now, run_id)
        else:
            sql = (
                "UPDATE runs SET status = ?, finished_at = COALESCE(finished_at, ?),"
                " duration = COALESCE(finished_at, ?) - started_at WHERE id = ?"
            )
            params = (status, now, now, run_id)
        with self._write() as conn:
            if conn.execute(sql, params).rowcount == 0:
                raise self._no_run(run_id)
        if status == "queued":
            self._start_owner_heartbeat()

    def update_params(self, run_id: int, params: dict[str, Any]) -> None:
        """Replace the hyperparameters of a run that is still queued."""
        with self._write() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise self._no_run(run_id)
            if row[0] != "queued":
                raise StoreError(f"run {run_id} is {row[0]}: only a queued run can be edited")
            conn.execute("UPDATE runs SET params = ? WHERE id = ?", (_dumps(params), run_id))

    def delete_run(self, run_id: int) -> None:
        """Delete a run and its epochs."""
        with self._write() as conn:
            # Explicit, not only ON DELETE CASCADE: that needs foreign_keys on.
            conn.execute("DELETE FROM epochs WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM fold_epochs WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM folds WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM cv_band WHERE run_id = ?", (run_id,))
            if conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount == 0:
                raise self._no_run(run_id)

    # -- runs: reading -------------------------------------------------------------

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise self._no_run(run_id)
        return _record(rows[0])

    @staticmethod
    def _where(
        statuses: Sequence[str] | None, sweep_id: int | None
    ) -> tuple[str, list[Any]] | None:
        """WHERE clause and its parameters; None when no row can match."""
        clauses: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            statuses = list(statuses)
            for status in statuses:
                _check(status, STATUSES, "run status")
            if not statuses:
                return None
            clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if sweep_id is not None:
            clauses.append("sweep_id = ?")
            params.append(sweep_id)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def list_runs(
        self,
        *,
        statuses: Sequence[str] | None = None,
        sweep_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        order_by: str = "id",
        descending: bool = False,
    ) -> list[RunRecord]:
        """Runs filtered, sorted and paged in SQL. Runs without the sort value come last."""
        _check(order_by, tuple(ORDER_COLUMNS), "sort key")
        where = self._where(statuses, sweep_id)
        if where is None:
            return []
        clause, params = where
        column = ORDER_COLUMNS[order_by]
        direction = "DESC" if descending else "ASC"
        if column == "id":
            order = ""
        elif descending or column not in _NULLABLE:
            # SQLite sorts NULL lowest: DESC already puts runs without a value last, and
            # this plain form lets it walk the column's index instead of sorting.
            order = f"{column} {direction}, "
        else:
            order = f"{column} IS NULL, {column} {direction}, "
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs{clause} ORDER BY {order}id {direction}"
            " LIMIT ? OFFSET ?",
            [*params, -1 if limit is None else limit, offset],
        )
        return [_record(row) for row in rows]

    def count_runs(self, statuses: Sequence[str] | None = None, sweep_id: int | None = None) -> int:
        where = self._where(statuses, sweep_id)
        if where is None:
            return 0
        clause, params = where
        return self._read(f"SELECT count(*) FROM runs{clause}", params)[0][0]

    def curve(self, run_id: int) -> list[EpochPoint]:
        """The run's epochs in order; NotFoundError if there is no such run."""
        rows = self._read(
            "SELECT epoch, train_accuracy, test_accuracy, loss FROM epochs"
            " WHERE run_id = ? ORDER BY epoch",
            (run_id,),
        )
        if not rows and not self._read("SELECT 1 FROM runs WHERE id = ?", (run_id,)):
            raise self._no_run(run_id)
        return [_point(row) for row in rows]

    def curves(self, run_ids: Sequence[int]) -> dict[int, list[EpochPoint]]:
        """Curves of many runs at once; an unknown id maps to an empty list."""
        result: dict[int, list[EpochPoint]] = {run_id: [] for run_id in run_ids}
        ids = list(result)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = self._read(
                "SELECT run_id, epoch, train_accuracy, test_accuracy, loss FROM epochs"
                f" WHERE run_id IN ({', '.join('?' * len(chunk))}) ORDER BY run_id, epoch",
                chunk,
            )
            for row in rows:
                result[row[0]].append(_point(row[1:]))
        return result

    # -- interrupted runs ------------------------------------------------------------

    def _is_dead(self, pid: int | None, host: str | None, heartbeat_at: float | None) -> bool:
        if host == self._host and pid is not None:
            if pid == self._pid:
                return False  # our own run: we are evidently alive
            alive = _pid_alive(pid)
            if alive is not None:
                return not alive
        # Another host (or no way to check the pid): only the heartbeat can tell.
        return heartbeat_at is None or time.time() - heartbeat_at > HEARTBEAT_STALE_S

    def reconcile_interrupted(self) -> list[int]:
        """Mark as ``interrupted`` what a process that is gone left behind; return the
        ids of the runs marked.

        That is: its ``running`` runs, its ``queued`` runs outside sweeps and the
        stored queue (a sweep's queued points are its own: resuming the sweep trains
        them; the stored queue's wait for its runner) and its ``running`` sweeps.
        Same host: the owner pid no longer exists. Other host: no heartbeat for
        ``HEARTBEAT_STALE_S``. Never touches what this process owns.
        """
        running = self._read(
            "SELECT id, owner_pid, owner_host, heartbeat_at FROM runs WHERE status = 'running'"
        )
        # A run in the stored queue (core.queue_store) waits for whichever runner
        # serves the store, not for the process that queued it: never an orphan.
        queued = self._read(
            "SELECT id, owner_pid, owner_host, heartbeat_at FROM runs"
            " WHERE status = 'queued' AND sweep_id IS NULL"
            " AND id NOT IN (SELECT run_id FROM run_queue)"
        )
        sweeps = self._read(
            "SELECT id, owner_pid, owner_host, heartbeat_at FROM sweeps WHERE status = 'running'"
        )
        dead = [row for row in running if self._is_dead(*row[1:])]
        orphans = [row for row in queued if self._is_dead(*row[1:])]
        dead_sweeps = [row for row in sweeps if self._is_dead(*row[1:])]
        if not (dead or orphans or dead_sweeps):
            return []  # the common case takes no write lock: opening never waits on a writer
        marked: list[int] = []
        with self._write() as conn:
            for run_id, pid, host, heartbeat_at in dead:
                last = self._last_epoch(conn, run_id)
                train, test = (last[1], last[2]) if last else (None, None)
                # The "IS ?" guards skip a run re-claimed or heartbeated since we looked.
                cursor = conn.execute(
                    "UPDATE runs SET status = 'interrupted', train_accuracy = ?,"
                    " test_accuracy = ?, gap = ?, stop_reason = ?,"
                    " finished_at = COALESCE(heartbeat_at, started_at, ?),"
                    " duration = COALESCE(heartbeat_at, started_at, ?) - started_at"
                    " WHERE id = ? AND status = 'running' AND owner_pid IS ?"
                    " AND owner_host IS ? AND heartbeat_at IS ?",
                    (
                        train,
                        test,
                        None if last is None else train - test,
                        f"interrupted: {_who(pid, host)} ended while it was running",
                        time.time(),
                        time.time(),
                        run_id,
                        pid,
                        host,
                        heartbeat_at,
                    ),
                )
                if cursor.rowcount:
                    marked.append(run_id)
            for run_id, pid, host, heartbeat_at in orphans:
                cursor = conn.execute(
                    "UPDATE runs SET status = 'interrupted', stop_reason = ?,"
                    " finished_at = COALESCE(heartbeat_at, created_at)"
                    " WHERE id = ? AND status = 'queued' AND owner_pid IS ?"
                    " AND owner_host IS ? AND heartbeat_at IS ?",
                    (
                        f"interrupted: queued by {_who(pid, host)}, which ended before it ran",
                        run_id,
                        pid,
                        host,
                        heartbeat_at,
                    ),
                )
                if cursor.rowcount:
                    marked.append(run_id)
            for sweep_id, pid, host, heartbeat_at in dead_sweeps:
                conn.execute(
                    "UPDATE sweeps SET status = 'interrupted', reason = ?, owner_pid = NULL,"
                    " owner_host = NULL, heartbeat_at = NULL WHERE id = ? AND status = 'running'"
                    " AND owner_pid IS ? AND owner_host IS ? AND heartbeat_at IS ?",
                    (
                        f"{_who(pid, host)} ended while it was running the sweep",
                        sweep_id,
                        pid,
                        host,
                        heartbeat_at,
                    ),
                )
        return marked

    # -- owners ------------------------------------------------------------------------

    def heartbeat_owned(self) -> None:
        """Say that this process, owner of its queued runs and running sweeps, lives
        (what tells them from orphans across hosts). A thread of the store calls this
        every ``OWNER_HEARTBEAT_S`` once the process owns one."""
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE status = 'queued' AND owner_pid = ?"
                " AND owner_host = ?",
                (now, self._pid, self._host),
            )
            conn.execute(
                "UPDATE sweeps SET heartbeat_at = ? WHERE status = 'running' AND owner_pid = ?"
                " AND owner_host = ?",
                (now, self._pid, self._host),
            )

    def _start_owner_heartbeat(self) -> None:
        with self._lock:
            if self._beat is not None or self._beat_stop.is_set():
                return
            self._beat = threading.Thread(
                target=self._owner_heartbeat, name="perceptune-store-heartbeat", daemon=True
            )
            self._beat.start()

    def _owner_heartbeat(self) -> None:
        while not self._beat_stop.wait(OWNER_HEARTBEAT_S):
            with contextlib.suppress(StoreError):  # busy or closed: the next beat will do
                self.heartbeat_owned()

    # -- sweeps ------------------------------------------------------------------------

    def create_sweep(self, spec: dict[str, Any], name: str = "") -> int:
        """Add a ``running`` sweep owned by this process; ``spec`` is the whole sweep
        file content."""
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO sweeps (created_at, name, spec, status, owner_pid, owner_host,"
                " heartbeat_at) VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (now, name, _dumps(spec), self._pid, self._host, now),
            )
            assert cursor.lastrowid is not None
        self._start_owner_heartbeat()
        return cursor.lastrowid

    def claim_sweep(self, sweep_id: int) -> None:
        """Make this process the sweep's owner and mark it ``running``.

        Raises :class:`SweepBusy` if another process that is still alive owns it. The
        check and the claim are one write transaction, so of two processes claiming
        the same sweep at once exactly one wins. Claiming a sweep this process owns
        already is a no-op claim.
        """
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, owner_pid, owner_host, heartbeat_at FROM sweeps WHERE id = ?",
                (sweep_id,),
            ).fetchone()
            if row is None:
                raise self._no_sweep(sweep_id)
            status, pid, host, heartbeat_at = row
            # Another process's claim stands while it lives; a legacy sweep (no owner
            # recorded) or a dead owner's is free to take.
            theirs = pid is not None and (pid, host) != (self._pid, self._host)
            if status == "running" and theirs and not self._is_dead(pid, host, heartbeat_at):
                raise SweepBusy(sweep_id, pid, host)
            conn.execute(
                "UPDATE sweeps SET status = 'running', owner_pid = ?, owner_host = ?,"
                " heartbeat_at = ?, reason = '' WHERE id = ?",
                (self._pid, self._host, now, sweep_id),
            )
        self._start_owner_heartbeat()

    def live_owner(self, sweep_id: int) -> str | None:
        """``"process PID on HOST"`` when a live process other than this one runs the
        sweep, else None (finished, interrupted, or ours)."""
        rows = self._read(
            "SELECT status, owner_pid, owner_host, heartbeat_at FROM sweeps WHERE id = ?",
            (sweep_id,),
        )
        if not rows:
            raise self._no_sweep(sweep_id)
        status, pid, host, heartbeat_at = rows[0]
        if status != "running" or pid is None or (pid, host) == (self._pid, self._host):
            return None
        return None if self._is_dead(pid, host, heartbeat_at) else _who(pid, host)

    def get_sweep(self, sweep_id: int) -> dict[str, Any]:
        """``{"id", "name", "status", "created_at", "spec", "owner", "heartbeat_at",
        "reason"}`` of one sweep (``owner``: ``{"pid", "host"}`` or None)."""
        rows = self._read(f"SELECT {_SWEEP_COLUMNS} FROM sweeps WHERE id = ?", (sweep_id,))
        if not rows:
            raise self._no_sweep(sweep_id)
        return _sweep(rows[0])

    def list_sweeps(self, statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Sweeps by id, optionally only those in ``statuses``."""
        sql = f"SELECT {_SWEEP_COLUMNS} FROM sweeps"
        params: list[str] = []
        if statuses is not None:
            params = list(statuses)
            for status in params:
                _check(status, SWEEP_STATUSES, "sweep status")
            if not params:
                return []
            sql += f" WHERE status IN ({', '.join('?' * len(params))})"
        return [_sweep(row) for row in self._read(sql + " ORDER BY id", params)]

    def set_sweep_status(self, sweep_id: int, status: str, reason: str = "") -> None:
        """Set the sweep's status and why (``reason``, e.g. what interrupted it).

        ``running`` makes this process its owner (unchecked: :meth:`claim_sweep`
        checks); any other status releases it."""
        _check(status, SWEEP_STATUSES, "sweep status")
        if status == "running":
            sql = (
                "UPDATE sweeps SET status = ?, reason = ?, owner_pid = ?, owner_host = ?,"
                " heartbeat_at = ? WHERE id = ?"
            )
            params: tuple[Any, ...] = (status, reason, self._pid, self._host, time.time())
        else:
            sql = (
                "UPDATE sweeps SET status = ?, reason = ?, owner_pid = NULL,"
                " owner_host = NULL, heartbeat_at = NULL WHERE id = ?"
            )
            params = (status, reason)
        with self._write() as conn:
            cursor = conn.execute(sql, (*params, sweep_id))
            if cursor.rowcount == 0:
                raise self._no_sweep(sweep_id)
        if status == "running":
            self._start_owner_heartbeat()

    def sweep_runs(self, sweep_id: int) -> dict[str, RunRecord]:
        """The sweep's runs by point key, so a resumed sweep can skip points done."""
        self.get_sweep(sweep_id)  # NotFoundError for an unknown sweep
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE sweep_id = ? AND point_key IS NOT NULL"
            " ORDER BY id",
            (sweep_id,),
        )
        return {row[14]: _record(row) for row in rows}

    # -- reference accuracies (core.reference) -----------------------------------------

    def get_reference(self, key: str, fingerprint: str = "") -> dict[str, Any] | None:
        """The cached reference of the dataset split ``key`` (its spec's canonical
        JSON), or None if there is none for this ``fingerprint`` of its files."""
        rows = self._read(
            "SELECT reference FROM data_references WHERE key = ? AND fingerprint = ?",
            (key, fingerprint),
        )
        if not rows:
            return None
        try:
            value = json.loads(rows[0][0])
        except ValueError:
            return None  # a damaged entry is recomputed, never fatal
        return value if isinstance(value, dict) else None

    def put_reference(self, key: str, fingerprint: str, reference: dict[str, Any]) -> None:
        """Cache ``reference`` for the dataset split ``key`` (replacing an older one)."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO data_references (key, fingerprint, reference, created_at)"
                " VALUES (?, ?, ?, ?)",
                (key, fingerprint, _dumps(reference), time.time()),
            )

    # -- what the workbench remembers (tui.session) -----------------------------------

    def get_setting(self, key: str) -> dict[str, Any] | None:
        """The object stored under ``key`` by :meth:`put_setting`, or None (never set,
        or damaged: a setting is a convenience, never a reason to fail)."""
        rows = self._read("SELECT value FROM ui_settings WHERE key = ?", (key,))
        if not rows:
            return None
        try:
            value = json.loads(rows[0][0])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put_setting(self, key: str, value: dict[str, Any]) -> None:
        """Store the JSON object ``value`` under ``key`` (replacing the last one)."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO ui_settings (key, value, updated_at) VALUES (?, ?, ?)",
                (key, _dumps(value), time.time()),
            )

    # -- maintenance -------------------------------------------------------------------

    def integrity_check(self) -> str:
        """SQLite's verdict on the file: ``"ok"`` or its list of problems."""
        rows = self._read("PRAGMA integrity_check")
        return "\n".join(str(row[0]) for row in rows)
