"""Offered at start when an earlier session left sweeps unfinished (and maybe runs
interrupted): the same keys as :class:`~tui.screens.resume.ResumeRuns`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from core.search.results import sweep_title
from tui.screens.resume import ResumeRuns
from tui.usertext import one_line

if TYPE_CHECKING:
    from core.store import RunRecord


class ResumeWork(ResumeRuns):
    """Resume the unfinished sweeps (points done are kept) and the interrupted runs."""

    def __init__(
        self, sweeps: list[dict[str, Any]], records: list[RunRecord], counts: dict[int, str]
    ) -> None:
        super().__init__(records)
        self.sweeps = sweeps
        self.counts = counts  # sweep id -> "3/8 points done"

    def compose(self) -> ComposeResult:
        n_sweeps, n_runs = len(self.sweeps), len(self.records)
        title = f"{n_sweeps} unfinished sweep{'s' if n_sweeps != 1 else ''}"
        if n_runs:
            title += f" and {n_runs} interrupted run{'s' if n_runs != 1 else ''}"
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-title")
            yield Static(
                "perceptune was closed before these finished. Resume goes on where they "
                "stopped: the points a sweep finished are kept, the others train again "
                "(interrupted runs start over). Later keeps them for next time.",
                markup=False,
            )
            with VerticalScroll(classes="dialog-list"):
                for sweep in self.sweeps[:50]:
                    title = one_line(sweep_title(sweep["id"], sweep["name"]))
                    spec = sweep["spec"] if isinstance(sweep["spec"], dict) else {}
                    search = spec.get("search") if isinstance(spec.get("search"), dict) else {}
                    strategy = search.get("strategy", "?") if search else "?"
                    yield Static(
                        f"{title}  {one_line(strategy)}  {sweep['status']}  "
                        f"{self.counts.get(sweep['id'], '')}",
                        markup=False,
                    )
                yield from self.run_lines("run #")
            yield from self.buttons()
