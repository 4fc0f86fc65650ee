"""A two-column grid of labelled fields with an error line under a field when it is
invalid. Shared by the hyperparameter form and the dataset pane.

Few widgets on purpose (a label and an input per field; error lines are mounted only
when there is an error): the app has to draw its first frame fast.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Container
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Label, Static

from tui.usertext import one_line
from tui.widgets.focus_pane import FocusPane

#: Longest error shown under a field (about five rows of the form's column).
ERROR_LIMIT = 120


class FieldGrid(Container):
    """Children come in pairs: a ``Label`` with id ``{prefix}lbl-{name}`` and the input
    widget with id ``{prefix}-{name}``."""

    DEFAULT_CSS = """
    FieldGrid {
        layout: grid;
        grid-size: 2;
        grid-columns: 16 1fr;
        grid-rows: auto;
        height: auto;
    }
    """

    def __init__(self, *children: Widget, prefix: str, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self.prefix = prefix
        self.errors: dict[str, str] = {}

    def label_for(self, name: str) -> Label:
        return self.query_one(f"#{self.prefix}lbl-{name}", Label)

    def widget_for(self, name: str) -> Widget:
        return self.query_one(f"#{self.prefix}-{name}")

    def set_error(self, name: str, message: str) -> None:
        """Show ``message`` under field ``name`` (or remove the line when empty)."""
        if message:
            self.errors[name] = message
        else:
            self.errors.pop(name, None)
        self.label_for(name).set_class(bool(message), "-invalid")
        # Core quotes the bad value: a pasted newline, 5,000 digits. The column is narrow.
        message = one_line(message, ERROR_LIMIT)
        error_id = f"{self.prefix}err-{name}"
        try:
            line = self.query_one(f"#{error_id}", Static)
        except NoMatches:
            line = None
        if message and line is None:
            # An empty cell under the label, the message under the input.
            pad = Static("", id=f"{error_id}-pad", classes="field-error-pad")
            line = Static(message, id=error_id, classes="field-error", markup=False)
            self.mount(pad, line, after=self.widget_for(name))
        elif message and line is not None:
            line.update(message)
        elif line is not None:
            line.remove()
            self.query(f"#{error_id}-pad").remove()

    def set_field_class(self, name: str, add: bool, css_class: str) -> None:
        """Add or remove ``css_class`` on a field's label and widget."""
        self.label_for(name).set_class(add, css_class)
        self.widget_for(name).set_class(add, css_class)
        for line in self.query(f"#{self.prefix}err-{name}"):
            line.set_class(add, css_class)

    def on_descendant_focus(self, event: Any) -> None:
        self._mark_focus(event.widget, True)

    def on_descendant_blur(self, event: Any) -> None:
        self._mark_focus(event.widget, False)

    def _mark_focus(self, widget: Widget, focused: bool) -> None:
        widget_id = widget.id or ""
        start = f"{self.prefix}-"
        if widget_id.startswith(start):
            for label in self.query(f"#{self.prefix}lbl-{widget_id[len(start) :]}"):
                label.set_class(focused, "-focused")


class FieldPane(FocusPane):
    """A bordered pane built around one :class:`FieldGrid` (the form, the dataset)."""

    @property
    def grid(self) -> FieldGrid:
        return self.query_one(FieldGrid)

    @property
    def errors(self) -> dict[str, str]:
        """Field -> core's message, for every field that is invalid now."""
        return self.grid.errors
