"""A dialog with a yes and a no button that dismisses with True or False."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button


class YesNoDialog(ModalScreen[bool]):
    """Subclasses name their buttons (id, label, variant) and which one has focus."""

    YES: ClassVar[tuple[str, str, str]] = ("yes", "Yes (y)", "primary")
    NO: ClassVar[tuple[str, str, str]] = ("no", "No (esc)", "default")
    #: Which button has focus when the dialog opens: the safe one, or the usual one.
    FOCUS_YES: ClassVar[bool] = False

    def buttons(self) -> ComposeResult:
        with Horizontal(classes="dialog-buttons"):
            for button_id, label, variant in (self.YES, self.NO):
                yield Button(label, variant=variant, id=button_id)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        button_id = (self.YES if self.FOCUS_YES else self.NO)[0]
        self.query_one(f"#{button_id}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == self.YES[0])
