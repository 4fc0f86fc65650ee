"""Asked on ctrl+q only while runs are training."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.screens.yes_no import YesNoDialog


class ConfirmQuit(YesNoDialog):
    """Quit and leave the active runs interrupted (resumable), or stay."""

    YES = ("quit", "Quit (y)", "error")
    NO = ("stay", "Stay (esc)", "default")
    BINDINGS = [
        Binding("escape,n", "dismiss(False)", "Stay"),
        Binding("y,q", "dismiss(True)", "Quit"),
    ]

    def __init__(self, running: int, waiting: int) -> None:
        super().__init__()
        self.running = running
        self.waiting = waiting

    def compose(self) -> ComposeResult:
        runs = f"{self.running} run{'s' if self.running != 1 else ''} training"
        if self.waiting:
            runs += f", {self.waiting} waiting"
        with Vertical(classes="dialog"):
            yield Static("Quit perceptune?", classes="dialog-title")
            yield Static(
                f"{runs}. They will be stopped and left interrupted; "
                "perceptune offers to resume them next time.",
                markup=False,
            )
            yield from self.buttons()
