"""Following a store that other processes write: only what changed, read incrementally.

A view of the store (the TUI) must show what a background runner, a CLI ``run`` or
another TUI writes, without re-reading every run and curve. :class:`StoreFollower`
asks SQLite's ``PRAGMA data_version`` first (a number that changes when another
connection committed; reading it costs microseconds), and only then reads:

- the runs that are new (id above the highest seen), active (queued or running) or
  were active at the last look (to see them end): one indexed query;
- for each of those whose epoch count moved, its epochs after the last one seen
  (the epochs table's primary key is (run_id, epoch): a range read).

A run started over (``resume``, a new runner after ``kill -9``) drops its old epochs:
the follower notices the count going back and sends its curve from the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.results import EpochPoint
from core.store import _RUN_COLUMNS, _point, _record

if TYPE_CHECKING:
    from core.store import RunRecord, RunStore

#: Run statuses that may still change.
_ACTIVE = ("queued", "running")


@dataclass(slots=True)
class RunChange:
    """What changed about one run since the last poll."""

    record: RunRecord
    #: Epochs after the last one sent (all of them when ``restarted``).
    epochs: list[EpochPoint] = field(default_factory=list)
    #: The run started over: drop the curve shown so far and take ``epochs``.
    restarted: bool = False


class StoreFollower:
    """Polls one store for new and changed runs and their new epochs."""

    def __init__(self, store: RunStore) -> None:
        """``store``: an open store whose connection only this follower and its owner
        use (``data_version`` counts the commits of every *other* connection)."""
        self.store = store
        self._version: int | None = None
        rows = store._read("SELECT COALESCE(MAX(id), 0) FROM runs")
        #: Runs above this id are new; older ones matter only while active.
        self._max_id = int(rows[0][0])
        self._known: dict[int, tuple[str, int]] = {}  # watched run -> (status, n_epochs)
        self._sent: dict[int, int] = {}  # watched run -> last epoch sent
        self._first = True
        #: Another connection committed before the last poll (maybe to other tables:
        #: the queue's order, its workers setting): the owner may want to look.
        self.saw_commit = False

    def changed(self) -> bool:
        """Whether another connection committed since the last call."""
        version = self.store._read("PRAGMA data_version")[0][0]
        changed = version != self._version
        self._version = version
        return changed

    def poll(self, force: bool = False) -> list[RunChange]:
        """The runs that changed since the last poll (on the first: the active runs,
        with their curves so far); empty when nothing did. ``force`` reads even when
        ``data_version`` says nothing changed (this process's own writes)."""
        self.saw_commit = self.changed()
        if not self.saw_commit and not force and not self._first:
            return []
        first, self._first = self._first, False
        watched = list(self._known)
        marks = ", ".join("?" * len(watched))
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE id > ? OR status IN ('queued', 'running')"
        if watched:
            sql += f" OR id IN ({marks})"
        rows = self.store._read(sql + " ORDER BY id", [self._max_id, *watched])
        changes: list[RunChange] = []
        for row in rows:
            record = _record(row)
            self._max_id = max(self._max_id, record.id)
            state = (record.status, record.n_epochs)
            before = self._known.get(record.id)
            if before == state and not first:
                continue
            change = RunChange(record)
            sent = self._sent.get(record.id, 0)
            restarted = before is not None and (
                record.n_epochs < sent or (record.status == "running" and before[0] != "running")
            )
            if restarted:
                sent, change.restarted = 0, True
            if record.n_epochs > sent or restarted:
                change.epochs = self._epochs_after(record.id, sent)
                if change.epochs:
                    sent = change.epochs[-1].epoch
            if record.status in _ACTIVE:
                self._known[record.id] = state
                self._sent[record.id] = sent
            else:  # ended: reported once, then no longer watched
                self._known.pop(record.id, None)
                self._sent.pop(record.id, None)
            changes.append(change)
        return changes

    def _epochs_after(self, run_id: int, epoch: int) -> list[EpochPoint]:
        rows = self.store._read(
            "SELECT epoch, train_accuracy, test_accuracy, loss FROM epochs"
            " WHERE run_id = ? AND epoch > ? ORDER BY epoch",
            (run_id, epoch),
        )
        return [_point(row) for row in rows]
