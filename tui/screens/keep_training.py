"""Asked on ctrl+q while the store's background queue has work: keep it training
after the app (the default) or stop it all."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.format import runs_training

#: What the dialog dismisses with: keep training, stop everything; None: stay.
KEEP = "keep"
STOP = "stop"


class KeepTraining(ModalScreen[str | None]):
    """Quit and keep training in the background, quit and stop all, or stay."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Stay"),
        Binding("k,q", "dismiss('keep')", "Keep training"),
        Binding("s", "dismiss('stop')", "Stop all"),
    ]

    def __init__(self, running: int, waiting: int, log: str) -> None:
        """``running``/``waiting``: the queue's runs; ``log``: the runner's log file."""
        super().__init__()
        self.running = running
        self.waiting = waiting
        self.log_file = log

    def compose(self) -> ComposeResult:
        runs = runs_training(self.running, self.waiting)
        with Vertical(classes="dialog"):
            yield Static("Quit perceptune?", classes="dialog-title")
            yield Static(
                f"{runs}. They can keep training in the background (log: {self.log_file}); "
                "open perceptune on this store again to see them.",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep training (k)", variant="primary", id=KEEP)
                yield Button("Stop all (s)", variant="error", id=STOP)
                yield Button("Stay (esc)", variant="default", id="stay")

    def on_mount(self) -> None:
        self.query_one(f"#{KEEP}", Button).focus()  # the default: nothing is lost

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        self.dismiss(choice if choice in (KEEP, STOP) else None)
