"""Asked on ctrl+q only while runs are training."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmQuit(ModalScreen[bool]):
    """Quit and leave the active runs interrupted (resumable), or stay."""

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
            with Horizontal(classes="dialog-buttons"):
                yield Button("Quit (y)", variant="error", id="quit")
                yield Button("Stay (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")
