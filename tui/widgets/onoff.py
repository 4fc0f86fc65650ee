"""A switch that says what it is: ``[x] On`` or ``[ ] Off``.

Textual's ``Switch`` draws a coloured slider only: in 16 colours, on a light theme or
read by a screen reader it tells nothing, and in the form's one-row style it is a blank
cell. This one keeps the Switch's behaviour (value, Changed, space/enter/click toggle)
and draws its state in text.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widgets import Switch

ON_TEXT = "[x] On"
OFF_TEXT = "[ ] Off"


class OnOffSwitch(Switch):
    """A :class:`~textual.widgets.Switch` drawn as ``[x] On`` / ``[ ] Off``."""

    def render(self) -> Text:
        if self.value:
            return Text(ON_TEXT, style="bold")
        return Text(OFF_TEXT)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max(len(ON_TEXT), len(OFF_TEXT))

    def watch_value(self, value: bool) -> None:
        super().watch_value(value)
        self.refresh()
