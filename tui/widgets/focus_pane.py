"""A pane whose border lights up while focus is inside it, without ``:focus-within``.

Textual restyles every descendant of a widget that has a ``:focus-within`` rule on
*every* focus move inside it (``Screen._update_focus_styles``): for the form, about 60
widgets per Tab press, 10-20 ms of the UI thread. The ``-focus-within`` class here
changes only when focus enters or leaves the pane, so moving between its fields
restyles just the two fields.
"""

from __future__ import annotations

from textual import events
from textual.containers import Vertical


class FocusPane(Vertical):
    """A Vertical with the ``-focus-within`` class while one of its widgets has focus."""

    def _on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.set_class(True, "-focus-within")

    def _on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # By now the screen has moved focus on: keep the class if it stayed inside.
        focused = self.screen.focused
        self.set_class(focused is not None and self in focused.ancestors, "-focus-within")
