"""An Input for the form's fixed-size fields that does not lay out the screen per key.

Textual's ``Input`` sets its virtual size to the text's length + 1 on every change, and
``virtual_size`` is a reactive that asks for a layout of the *whole screen* when it
changes: two layout passes and two repaints per typed character (the next layout puts
the compositor's value back), about 9 ms of the UI thread at 120x40
(``bench/bench_tui_lag.py``). A form field's box never changes size with its text, so
the new virtual size is stored without the layout; the repaint (``value`` is a
repainting reactive) and the horizontal scrolling to the cursor work as before.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Input


class FieldInput(Input):
    """An ``Input`` whose size is set by CSS, never by its text."""

    def _watch_value(self, value: str) -> None:
        if not self.styles.auto_dimensions:
            # Input's own assignment below then sees no change and skips the layout.
            self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)
