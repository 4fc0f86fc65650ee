"""The right side's tabs: a one-line tab bar over panes shown one at a time.

Textual's ``TabbedContent`` wraps each pane in a ``TabPane`` inside a
``ContentSwitcher`` inside the ``TabbedContent``, under a focusable ``Tabs`` bar with
an animated underline: four full-size layers that are all restyled and repainted on a
switch. Here the bar is one line of text and the panes sit directly in one container,
which cut the UI thread's time per F2/F3 switch by about a third
(``bench/bench_tui_lag.py``). Tabs are chosen with F2-F5 (the app's bindings) or a click.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.containers import Container
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


@dataclass(frozen=True)
class Tab:
    """One tab: its name (what the app switches to), title and key."""

    name: str
    title: str
    key: str


class TabBar(Widget, can_focus=False):
    """The tab titles on one line, the active one highlighted; keys shown if they fit."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tab-bar--active", "tab-bar--key"}

    active: reactive[str] = reactive("")

    @dataclass
    class Chosen(Message):
        """A tab was clicked."""

        tab: str

    def __init__(self, tabs: list[Tab], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tabs = tabs
        self.set_reactive(TabBar.active, active)
        self._spans: list[tuple[int, int, str]] = []

    def render(self) -> Text:
        active_style = self.get_component_rich_style("tab-bar--active")
        key_style = self.get_component_rich_style("tab-bar--key")
        with_keys = sum(len(tab.title) + len(tab.key) + 3 for tab in self.tabs)
        show_keys = with_keys <= self.size.width
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        for tab in self.tabs:
            start = line.cell_len
            active = tab.name == self.active
            if show_keys:
                line.append(f" {tab.key}", style=active_style if active else key_style)
            line.append(f" {tab.title} ", style=active_style if active else "")
            spans.append((start, line.cell_len, tab.name))
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                event.stop()
                self.post_message(self.Chosen(name))
                return


class TabPanes(Container):
    """Children are panes with ids; :meth:`show` displays one and hides the rest.

    A pane mounted later (``Lazy``) must start hidden (``display = False``).
    """

    def __init__(self, *children: Widget, current: str, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        self.current = current

    def show(self, pane_id: str) -> None:
        self.current = pane_id
        for child in self.children:
            child.display = child.id == pane_id

    def on_mount(self) -> None:
        self.show(self.current)
