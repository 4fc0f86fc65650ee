"""The stored queue: runs waiting for (or trained by) the background runner of a store.

The queue lives in the store (tables ``run_queue`` and ``queue_control``, see
:func:`core.store_schema.add_run_queue`), so the store is its one truth: any number of
CLIs and TUIs add to it, reorder it, cancel runs and set the number of runs at once,
and one runner process (:mod:`core.queue_runner`) trains it and obeys.

- A queued run of this queue has no owner: it waits for whichever runner serves the
  store, so the process that queued it may exit (``RunStore.reconcile_interrupted``
  leaves it alone). The runner claims a run atomically (queued -> running, owned by
  the runner's pid), so no run is ever trained by two runners.
- One runner per store: ``queue_control`` holds its lease (pid, host, heartbeat). A
  runner whose process died (``kill -9``) loses it to the next one; the runs it was
  training read ``interrupted`` (the store's owner check) and stay in the queue, and
  the next runner trains them again (:meth:`StoredQueue.requeue_interrupted`).
- A runner gives its lease up only in the same transaction that sees nothing left to
  train (:meth:`StoredQueue.release_if_idle`), and :meth:`StoredQueue.add` looks for a
  live runner in the transaction that adds: a run is never left with no runner.

This class uses the store's own transaction helpers and owner check: it is the part
of the store that deals with the queue, kept in its own file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import InputError, NotFoundError
from core.store import _dumps, _who

if TYPE_CHECKING:
    from core.config import RunConfig
    from core.datasets import DatasetSpec
    from core.store import RunStore

#: Reason stored on a run cancelled through the queue.
CANCEL_REASON = "cancelled by the user"
#: Reason stored on the runs ``queue stop`` cancels.
STOP_REASON = "cancelled: the queue was stopped"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One run of the stored queue, as listings show it."""

    run_id: int
    status: str  # queued, running, or interrupted (its runner died; the next resumes it)
    n_epochs: int  # epochs done so far
    epochs: int  # epochs planned
    label: str
    position: float
    cancel: bool  # a cancel was asked and the runner has not obeyed yet

    def to_dict(self) -> dict[str, Any]:
        """What ``perceptune queue --json`` prints for the run."""
        return {
            "id": self.run_id,
            "status": self.status,
            "n_epochs": self.n_epochs,
            "epochs": self.epochs,
            "label": self.label,
            "cancel_requested": self.cancel,
        }


@dataclass(frozen=True, slots=True)
class RunnerInfo:
    """The runner holding a store's lease."""

    pid: int
    host: str
    heartbeat_at: float | None
    started_at: float | None
    executor: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "host": self.host,
            "heartbeat_at": self.heartbeat_at,
            "started_at": self.started_at,
            "executor": self.executor,
        }

    def __str__(self) -> str:
        return _who(self.pid, self.host)


@dataclass(frozen=True, slots=True)
class QueueControl:
    """What the runner is asked to do: runs at once (None: one per core), stop."""

    workers: int | None
    stop: bool


@dataclass(frozen=True, slots=True)
class QueuedSweep:
    """A sweep of the stored queue (``sweep FILE --detach``)."""

    sweep_id: int
    status: str  # interrupted while it waits, running while the runner trains it
    name: str
    position: float
    cancel: bool
    finished: int  # points finished
    points: int  # points stored so far

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.sweep_id,
            "status": "queued" if self.status == "interrupted" else self.status,
            "name": self.name,
            "points_finished": self.finished,
            "points": self.points,
        }


#: Why a queued sweep waits (its status says interrupted, with no owner, until then).
SWEEP_WAITING = "waiting for the background runner"
#: The next position at the end of the queue, runs and sweeps alike (SQL).
_NEXT = (
    "(SELECT COALESCE(MAX(p), 0) + 1 FROM (SELECT position AS p FROM run_queue"
    " UNION ALL SELECT position FROM sweep_queue))"
)

_ENTRY_SQL = (
    "SELECT q.run_id, r.status, r.n_epochs, r.params, r.label, q.position, q.cancel"
    " FROM run_queue q JOIN runs r ON r.id = q.run_id ORDER BY q.position, q.run_id"
)


def _planned_epochs(params: str) -> int:
    try:
        return int(json.loads(params).get("epochs", 0) or 0)
    except (ValueError, TypeError, AttributeError):
        return 0


def stored_queue_ids(store: RunStore) -> set[int]:
    """Ids of the runs in the stored queue: its runner trains (or resumes) them, so
    ``perceptune resume`` and the TUI's resume offer leave them alone."""
    return {row[0] for row in store._read("SELECT run_id FROM run_queue")}


def stored_queue_sweep_ids(store: RunStore) -> set[int]:
    """Ids of the sweeps in the stored queue (left to its runner, as runs are)."""
    return {row[0] for row in store._read("SELECT sweep_id FROM sweep_queue")}


class StoredQueue:
    """The queue of one open :class:`~core.store.RunStore`."""

    def __init__(self, store: RunStore) -> None:
        """``store``: the open store whose queue this is (its connection is used)."""
        self.store = store

    # -- adding and reading ----------------------------------------------------------

    def add(
        self, config: RunConfig, dataset: DatasetSpec, *, label: str = ""
    ) -> tuple[int, RunnerInfo | None]:
        """Store a queued run at the end of the queue. Returns its id and the live
        runner that will train it, or None when one must be started (the check is in
        the same transaction, so a runner giving up its lease cannot miss the run)."""
        now = time.time()
        with self.store._write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (status, params, dataset, label, created_at)"
                " VALUES ('queued', ?, ?, ?, ?)",
                (
                    _dumps(config.to_dict()),
                    _dumps(dataset.to_dict()),
                    label or config.short_label(),
                    now,
                ),
            )
            run_id = cursor.lastrowid
            assert run_id is not None
            conn.execute(
                f"INSERT INTO run_queue (run_id, position, added_at) VALUES (?, {_NEXT}, ?)",
                (run_id, now),
            )
            runner = self._live_runner(conn)
        return run_id, runner

    def add_sweep(self, sweep_id: int) -> RunnerInfo | None:
        """Queue a stored sweep for the runner (after everything queued so far): it
        waits ``interrupted`` with no owner until the runner claims it. Returns the
        live runner, or None when one must be started."""
        now = time.time()
        with self.store._write() as conn:
            conn.execute(
                "UPDATE sweeps SET status = 'interrupted', reason = ?, owner_pid = NULL,"
                " owner_host = NULL, heartbeat_at = NULL WHERE id = ?",
                (SWEEP_WAITING, sweep_id),
            )
            conn.execute(
                f"INSERT OR REPLACE INTO sweep_queue (sweep_id, position, added_at)"
                f" VALUES (?, {_NEXT}, ?)",
                (sweep_id, now),
            )
            return self._live_runner(conn)

    def sweeps(self) -> list[QueuedSweep]:
        """The queued sweeps in order, with their points done and stored."""
        rows = self.store._read(
            "SELECT q.sweep_id, s.status, s.name, q.position, q.cancel,"
            " (SELECT count(*) FROM runs r WHERE r.sweep_id = q.sweep_id"
            "  AND r.status IN ('done', 'pruned', 'diverged', 'failed')),"
            " (SELECT count(*) FROM runs r WHERE r.sweep_id = q.sweep_id)"
            " FROM sweep_queue q JOIN sweeps s ON s.id = q.sweep_id"
            " ORDER BY q.position, q.sweep_id"
        )
        return [QueuedSweep(*row[:4], bool(row[4]), row[5], row[6]) for row in rows]

    def cancel_sweep(self, sweep_id: int) -> str | None:
        """Cancel a queued sweep: a waiting one at once (``cancelled``), the one the
        runner trains after the epochs in flight (``stopping``); None when it is not
        in the queue."""
        with self.store._write() as conn:
            row = conn.execute(
                "SELECT s.status FROM sweep_queue q JOIN sweeps s ON s.id = q.sweep_id"
                " WHERE q.sweep_id = ?",
                (sweep_id,),
            ).fetchone()
            if row is None:
                return None
            if row[0] == "running":
                conn.execute("UPDATE sweep_queue SET cancel = 1 WHERE sweep_id = ?", (sweep_id,))
                return "stopping"
            conn.execute(
                "UPDATE sweeps SET status = 'cancelled', reason = ? WHERE id = ?",
                (CANCEL_REASON, sweep_id),
            )
            conn.execute("DELETE FROM sweep_queue WHERE sweep_id = ?", (sweep_id,))
            return "cancelled"

    def remove_sweep(self, sweep_id: int) -> None:
        """Take a sweep off the queue (it ended, or another process owns it)."""
        with self.store._write() as conn:
            conn.execute("DELETE FROM sweep_queue WHERE sweep_id = ?", (sweep_id,))

    def entries(self) -> list[QueueEntry]:
        """Every run of the queue in its order (running ones first, as they started)."""
        return [
            QueueEntry(
                run_id=row[0],
                status=row[1],
                n_epochs=row[2],
                epochs=_planned_epochs(row[3]),
                label=row[4],
                position=row[5],
                cancel=bool(row[6]),
            )
            for row in self.store._read(_ENTRY_SQL)
        ]

    def control(self) -> QueueControl:
        row = self.store._read("SELECT workers, stop FROM queue_control WHERE id = 1")
        if not row:
            return QueueControl(None, False)
        return QueueControl(row[0][0], bool(row[0][1]))

    def runner(self) -> RunnerInfo | None:
        """The live runner serving this store, or None."""
        return self._live_runner(None)

    def _live_runner(self, conn: Any) -> RunnerInfo | None:
        sql = (
            "SELECT runner_pid, runner_host, heartbeat_at, started_at, executor"
            " FROM queue_control WHERE id = 1"
        )
        row = (
            conn.execute(sql).fetchone()
            if conn is not None
            else next(iter(self.store._read(sql)), None)
        )
        if row is None or row[0] is None:
            return None
        if self.store._is_dead(row[0], row[1], row[2]):
            return None
        return RunnerInfo(row[0], row[1], row[2], row[3], row[4])

    def has_work(self) -> bool:
        """Whether a run waits for a runner (queued, or left interrupted by one)."""
        rows = self.store._read(
            "SELECT 1 FROM run_queue q JOIN runs r ON r.id = q.run_id"
            " WHERE r.status IN ('queued', 'interrupted')"
            " UNION ALL SELECT 1 FROM sweep_queue LIMIT 1"
        )
        return bool(rows)

    # -- controlling -------------------------------------------------------------------

    def cancel(self, run_ids: Iterable[int]) -> dict[int, str]:
        """Cancel runs of the queue: a waiting one at once (``cancelled``), a running
        one after its current epoch (the runner obeys). Returns each id's new state,
        ``cancelled`` or ``stopping``. All ids are checked first: if one is not in the
        queue, InputError and nothing changes."""
        ids = list(dict.fromkeys(run_ids))
        now = time.time()
        result: dict[int, str] = {}
        with self.store._write() as conn:
            states = {}
            for run_id in ids:
                row = conn.execute(
                    "SELECT r.status FROM run_queue q JOIN runs r ON r.id = q.run_id"
                    " WHERE q.run_id = ?",
                    (run_id,),
                ).fetchone()
                if row is None:
                    status = conn.execute(
                        "SELECT status FROM runs WHERE id = ?", (run_id,)
                    ).fetchone()
                    if status is None:
                        raise NotFoundError(f"no run {run_id} in {self.store.path}")
                    raise InputError(
                        f"run {run_id} is not in the queue (it is {status[0]}); "
                        "`perceptune queue` lists the queue"
                    )
                states[run_id] = row[0]
            for run_id, status in states.items():
                if status == "running":
                    conn.execute("UPDATE run_queue SET cancel = 1 WHERE run_id = ?", (run_id,))
                    result[run_id] = "stopping"
                else:
                    self._cancel_waiting(conn, run_id, CANCEL_REASON, now)
                    result[run_id] = "cancelled"
        return result

    @staticmethod
    def _cancel_waiting(conn: Any, run_id: int, reason: str, now: float) -> None:
        conn.execute(
            "UPDATE runs SET status = 'cancelled', stop_reason = ?, owner_pid = NULL,"
            " owner_host = NULL, finished_at = ?, duration = NULL WHERE id = ?",
            (reason, now, run_id),
        )
        conn.execute("DELETE FROM run_queue WHERE run_id = ?", (run_id,))

    def request_stop(self) -> tuple[int, RunnerInfo | None]:
        """``queue stop``: cancel every waiting run now and ask the runner to stop the
        running ones and exit. Returns how many runs were cancelled or asked to stop,
        and the live runner (None: nothing runs, and the request is not left behind)."""
        now = time.time()
        with self.store._write() as conn:
            rows = conn.execute(
                "SELECT q.run_id, r.status FROM run_queue q JOIN runs r ON r.id = q.run_id"
            ).fetchall()
            for run_id, status in rows:
                if status == "running":
                    conn.execute("UPDATE run_queue SET cancel = 1 WHERE run_id = ?", (run_id,))
                else:
                    self._cancel_waiting(conn, run_id, STOP_REASON, now)
            sweeps = conn.execute(
                "SELECT q.sweep_id, s.status FROM sweep_queue q JOIN sweeps s ON s.id = q.sweep_id"
            ).fetchall()
            for sweep_id, status in sweeps:
                if status == "running":  # the runner stops it
                    conn.execute(
                        "UPDATE sweep_queue SET cancel = 1 WHERE sweep_id = ?", (sweep_id,)
                    )
                else:
                    conn.execute(
                        "UPDATE sweeps SET status = 'cancelled', reason = ? WHERE id = ?",
                        (STOP_REASON, sweep_id),
                    )
                    conn.execute("DELETE FROM sweep_queue WHERE sweep_id = ?", (sweep_id,))
            runner = self._live_runner(conn)
            conn.execute("UPDATE queue_control SET stop = ? WHERE id = 1", (runner is not None,))
        return len(rows) + len(sweeps), runner

    def set_workers(self, workers: int) -> RunnerInfo | None:
        """Set how many runs train at once (0 pauses the queue); returns the live
        runner, or None when one must be started to obey."""
        with self.store._write() as conn:
            conn.execute("UPDATE queue_control SET workers = ? WHERE id = 1", (workers,))
            return self._live_runner(conn)

    def move(self, run_id: int, delta: int) -> bool:
        """Move a waiting run ``delta`` places (negative: earlier) among the waiting
        runs; False when it is not waiting or is already at that end."""
        with self.store._write() as conn:
            waiting = [
                row[0]
                for row in conn.execute(
                    "SELECT q.run_id FROM run_queue q JOIN runs r ON r.id = q.run_id"
                    " WHERE r.status = 'queued' ORDER BY q.position, q.run_id"
                )
            ]
            if run_id not in waiting:
                return False
            index = waiting.index(run_id)
            target = min(max(index + delta, 0), len(waiting) - 1)
            if target == index:
                return False
            waiting.insert(target, waiting.pop(index))
            # Renumber the waiting line after everything else: running runs keep theirs.
            top = conn.execute("SELECT COALESCE(MAX(position), 0) FROM run_queue").fetchone()[0]
            for offset, rid in enumerate(waiting, start=1):
                conn.execute(
                    "UPDATE run_queue SET position = ? WHERE run_id = ?", (top + offset, rid)
                )
            return True

    def to_front(self, run_id: int) -> bool:
        """Make a waiting run the next to start; False when it is not waiting."""
        return self.move(run_id, -(2**31))

    def enqueue_existing(self, run_ids: Iterable[int]) -> list[int]:
        """Put stored runs that ended (interrupted, failed...) back at the end of the
        queue under their own ids: the runner trains them again from epoch 0. Runs
        queued or running already are left alone; returns the ids queued."""
        added: list[int] = []
        now = time.time()
        with self.store._write() as conn:
            for run_id in run_ids:
                cursor = conn.execute(
                    "UPDATE runs SET status = 'queued', owner_pid = NULL, owner_host = NULL,"
                    " heartbeat_at = NULL, finished_at = NULL, duration = NULL"
                    " WHERE id = ? AND status NOT IN ('queued', 'running')",
                    (run_id,),
                )
                if cursor.rowcount:
                    conn.execute(
                        "INSERT OR REPLACE INTO run_queue (run_id, position, added_at)"
                        f" VALUES (?, {_NEXT}, ?)",
                        (run_id, now),
                    )
                    added.append(run_id)
        return added

    def remove_waiting(self, run_id: int) -> bool:
        """Delete a run that is still waiting (it never ran); False once it started."""
        with self.store._write() as conn:
            waiting = conn.execute(
                "SELECT 1 FROM run_queue q JOIN runs r ON r.id = q.run_id"
                " WHERE q.run_id = ? AND r.status = 'queued'",
                (run_id,),
            ).fetchone()
            if not waiting:
                return False
            conn.execute("DELETE FROM run_queue WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM epochs WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            return True

    # -- the runner's side ---------------------------------------------------------------

    def acquire_lease(self, executor: str) -> RunnerInfo | None:
        """Become this store's runner. Returns None on success, else the live runner
        that holds the lease (check and claim are one transaction: of two runners
        starting at once exactly one wins)."""
        now = time.time()
        with self.store._write() as conn:
            holder = self._live_runner(conn)
            if holder is not None and (holder.pid, holder.host) != self._me():
                return holder
            conn.execute(
                "UPDATE queue_control SET runner_pid = ?, runner_host = ?, heartbeat_at = ?,"
                " started_at = ?, executor = ?, stop = 0 WHERE id = 1",
                (*self._me(), now, now, executor),
            )
        return None

    def heartbeat_lease(self) -> bool:
        """Say the runner lives; False when this process no longer holds the lease."""
        with self.store._write() as conn:
            cursor = conn.execute(
                "UPDATE queue_control SET heartbeat_at = ? WHERE id = 1"
                " AND runner_pid = ? AND runner_host = ?",
                (time.time(), *self._me()),
            )
            return cursor.rowcount == 1

    def release_if_idle(self) -> bool:
        """Give the lease up if nothing waits to be trained (or the queue is paused);
        False, keeping it, when a run came in meanwhile."""
        with self.store._write() as conn:
            workers = conn.execute("SELECT workers FROM queue_control WHERE id = 1").fetchone()
            paused = workers is not None and workers[0] == 0
            waiting = conn.execute(
                "SELECT 1 FROM run_queue q JOIN runs r ON r.id = q.run_id"
                " WHERE r.status IN ('queued', 'interrupted')"
                " UNION ALL SELECT 1 FROM sweep_queue LIMIT 1"
            ).fetchone()
            if waiting and not paused:
                return False
            self._release(conn)
            return True

    def release_lease(self) -> None:
        """Give the lease up (the runner exits), if this process holds it."""
        with self.store._write() as conn:
            self._release(conn)

    def _release(self, conn: Any) -> None:
        conn.execute(
            "UPDATE queue_control SET runner_pid = NULL, runner_host = NULL,"
            " heartbeat_at = NULL, started_at = NULL, executor = '', stop = 0"
            " WHERE id = 1 AND runner_pid = ? AND runner_host = ?",
            self._me(),
        )

    def clear_stop(self) -> None:
        with self.store._write() as conn:
            conn.execute("UPDATE queue_control SET stop = 0 WHERE id = 1")

    def requeue_interrupted(self) -> list[int]:
        """Queue again the runs of the queue a dead runner left ``interrupted``, and
        drop entries whose run ended (their runner died before removing them).
        Returns the ids queued again; they start over from epoch 0."""
        with self.store._write() as conn:
            conn.execute(
                "DELETE FROM sweep_queue WHERE sweep_id IN (SELECT id FROM sweeps"
                " WHERE status IN ('done', 'cancelled'))"
            )
            conn.execute(
                "DELETE FROM run_queue WHERE run_id IN (SELECT q.run_id FROM run_queue q"
                " JOIN runs r ON r.id = q.run_id"
                " WHERE r.status NOT IN ('queued', 'running', 'interrupted'))"
            )
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT q.run_id FROM run_queue q JOIN runs r ON r.id = q.run_id"
                    " WHERE r.status = 'interrupted' ORDER BY q.position"
                )
            ]
            conn.executemany(
                "UPDATE runs SET status = 'queued', owner_pid = NULL, owner_host = NULL,"
                " heartbeat_at = NULL, finished_at = NULL, duration = NULL WHERE id = ?"
                " AND status = 'interrupted'",
                [(run_id,) for run_id in ids],
            )
        return ids

    def claim(self, run_id: int) -> bool:
        """Take a waiting run for this runner (queued -> running); False if it is no
        longer waiting (cancelled, or claimed by another runner)."""
        now = time.time()
        with self.store._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = 'running', started_at = ?, owner_pid = ?,"
                " owner_host = ?, heartbeat_at = ? WHERE id = ? AND status = 'queued'"
                " AND id IN (SELECT run_id FROM run_queue)",
                (now, *self._me(), now, run_id),
            )
            return cursor.rowcount == 1

    def cancel_requested(self, run_id: int) -> bool:
        rows = self.store._read("SELECT cancel FROM run_queue WHERE run_id = ?", (run_id,))
        return bool(rows and rows[0][0])

    def remove(self, run_id: int) -> None:
        """Take a run off the queue (it ended; it stays in the store's runs)."""
        with self.store._write() as conn:
            conn.execute("DELETE FROM run_queue WHERE run_id = ?", (run_id,))

    def _me(self) -> tuple[int, str]:
        return self.store._pid, self.store._host
