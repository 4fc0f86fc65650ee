"""The left column (the form above the dataset pane) and its scroll hint.

At 80x24 the form fills the column and the Dataset pane starts below the bottom edge:
nothing said it was there. When the column's content is taller than the column, a line
pinned to its bottom says what lies below (``▼ Dataset below: scroll or Tab``, or that
the CSV cannot be used) or, once scrolled down, that the form is above. A click on it
scrolls to the pane (or back to the top).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Static

BELOW = "▼ Dataset below: scroll or Tab"
MORE_BELOW = "▼ more of the Dataset pane below"
UNUSABLE_BELOW = "▼ Dataset: the CSV can't be used"
ABOVE = "▲ Hyperparameters above"


class ScrollHint(Static):
    """One line pinned to the bottom of :class:`LeftColumn`."""

    DEFAULT_CSS = """
    ScrollHint {
        dock: bottom;
        height: 1;
        padding: 0 1;
        display: none;
        background: $boost;
        color: $text-accent;
        text-style: bold;
    }
    ScrollHint.-error {
        color: $text-error;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        column = self.parent
        if isinstance(column, LeftColumn):
            column.jump()


class LeftColumn(VerticalScroll):
    """A VerticalScroll that keeps a :class:`ScrollHint` up to date: on scrolling, on
    resizing, and when the dataset pane changes height (``refresh_hint``)."""

    def on_mount(self) -> None:
        self.mount(ScrollHint(id="left-hint"))
        self.watch(self, "scroll_y", self._scrolled, init=False)
        self.watch(self, "virtual_size", self._scrolled, init=False)
        self.watch(self, "show_vertical_scrollbar", self._scrolled, init=False)

    def on_resize(self) -> None:
        self.refresh_hint()

    def _scrolled(self, _value: object = None) -> None:
        self.refresh_hint()

    def _dataset(self) -> Any:
        try:
            return self.query_one("#dataset")
        except NoMatches:  # mounting
            return None

    def refresh_hint(self) -> None:
        """Show, change or hide the hint for the current scroll position."""
        try:
            hint = self.query_one(ScrollHint)
        except NoMatches:
            return
        pane = self._dataset()
        text = ""
        if pane is not None and self.max_scroll_y > 0:
            bottom = self.scroll_y + self.scrollable_content_region.height
            region = pane.virtual_region
            unusable = bool(getattr(pane, "data_error", ""))
            if region.y >= bottom:
                text = UNUSABLE_BELOW if unusable else BELOW
            elif region.bottom > bottom:
                text = MORE_BELOW
            else:
                text = ABOVE
            hint.set_class(unusable and text != ABOVE, "-error")
        if text != str(hint.content):
            hint.update(text)
        hint.display = bool(text)

    def jump(self) -> None:
        """The hint's click: down to the dataset pane, or back up to the form."""
        pane = self._dataset()
        if pane is None or str(self.query_one(ScrollHint).content) == ABOVE:
            self.scroll_home(animate=False)
        else:
            self.scroll_to_widget(pane, animate=False, top=True)
