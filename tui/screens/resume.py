"""Offered at start when an earlier session left runs interrupted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.format import acc
from tui.screens.yes_no import YesNoDialog
from tui.usertext import one_line

if TYPE_CHECKING:
    from core.store import RunRecord


class ResumeRuns(YesNoDialog):
    """Resume (restart) the interrupted runs now, or leave them in History."""

    YES = ("resume", "Resume all (r)", "primary")
    NO = ("later", "Later (esc)", "default")
    FOCUS_YES = True
    BINDINGS = [
        Binding("escape,l", "dismiss(False)", "Later"),
        Binding("r,y", "dismiss(True)", "Resume all"),
    ]

    def __init__(self, records: list[RunRecord]) -> None:
        super().__init__()
        self.records = records

    def compose(self) -> ComposeResult:
        count = len(self.records)
        with Vertical(classes="dialog"):
            yield Static(
                f"{count} interrupted run{'s' if count != 1 else ''}", classes="dialog-title"
            )
            yield Static(
                "perceptune was closed while these runs trained or waited. Resume starts "
                "them again from epoch 1; Later keeps them in History (r there resumes one).",
                markup=False,
            )
            with VerticalScroll(classes="dialog-list"):
                yield from self.run_lines("#")
            yield from self.buttons()

    def run_lines(self, prefix: str) -> ComposeResult:
        """One line per interrupted run (the first 50): how far it got."""
        for record in self.records[:50]:
            epochs = record.params.get("epochs", "?")
            yield Static(
                f"{prefix}{record.id}  {one_line(record.label)}  epoch {record.n_epochs}/{epochs}"
                f"  test {acc(record.test_accuracy)}",
                markup=False,
            )
