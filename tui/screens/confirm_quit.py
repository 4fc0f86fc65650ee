"""Asked on ctrl+q only while runs are training."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.format import runs_training
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
        runs = runs_training(self.running, self.waiting)
        with Vertical(classes="dialog"):
            yield Static("Quit perceptune?", classes="dialog-title")
            yield Static(
                f"{runs}. They will be stopped and left interrupted; "
                "perceptune offers to resume them next time.",
                markup=False,
            )
            yield from self.buttons()
