"""Messages that carry results from thread workers and run callbacks to the UI.

They are posted from other threads (``post_message`` is thread-safe) and handled on the
UI thread. Progress messages coalesce: each carries the whole curve so far, so a newer
one for the same run replaces an older one still waiting in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from core.results import EpochPoint
    from core.store import RunRecord
    from core.worker import RunOutcome


@dataclass
class EpochProgress(Message):
    """A run finished an epoch; ``curve`` is every epoch so far."""

    run_id: int
    curve: tuple[EpochPoint, ...]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EpochProgress) and message.run_id == self.run_id


@dataclass
class StorePolled(Message):
    """The background queue's follower looked at the store and found something new."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StorePolled)


@dataclass
class RunFinished(Message):
    """A run ended (done, cancelled, diverged, failed); its outcome is in the store."""

    outcome: RunOutcome


@dataclass
class QueueChanged(Message):
    """The queue model changed (enqueue, start, move, remove...)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, QueueChanged)


@dataclass
class RunLoaded(Message):
    """A stored run and its curve, read for the charts and the next-step pane."""

    record: RunRecord
    curve: list[EpochPoint]


@dataclass
class OverlayLoaded(Message):
    """Test curves of several runs to draw in one chart; ``bands``: the cross-validated
    runs' mean ± std bands (run id -> ``core.cv.BandPoint`` list)."""

    records: list[RunRecord]
    curves: dict[int, list[EpochPoint]]
    bands: dict[int, list[Any]] = field(default_factory=dict)


@dataclass
class InterruptedFound(Message):
    """Runs left interrupted and sweeps left unfinished by an earlier session, to offer
    for resume (``counts``: sweep id -> how far it got)."""

    records: list[RunRecord]
    sweeps: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[int, str] = field(default_factory=dict)


@dataclass
class SweepChanged(Message):
    """A sweep of this session progressed, is stopping or ended (the app's SweepModel
    has its state)."""

    sweep_id: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SweepChanged) and message.sweep_id == self.sweep_id


@dataclass
class HistoryLoaded(Message, bubble=False):
    """One page of the history table."""

    records: list[RunRecord]
    total: int
    page: int


@dataclass
class DatasetDescribed(Message, bubble=False):
    """Shape and class balance of the dataset in the form, or the core's error."""

    key: tuple[Any, ...]
    info: Any = None
    error: str = ""


@dataclass
class SuggestionsReady(Message, bubble=False):
    """Next-step variants for a finished run."""

    run_id: int
    suggestions: list[Any] = field(default_factory=list)
    dataset: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class RegionsReady(Message, bubble=False):
    """Decision regions of a run (``regions`` is None with a note when unavailable)."""

    run_id: int
    regions: Any = None
    note: str = ""
