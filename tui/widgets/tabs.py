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

#: Frames a pane may take to replace its Lazy placeholder before show() gives up.
MOUNT_TRIES = 100


@dataclass(frozen=True)
class Tab:
    """One tab: its name (what the app switches to), title, short title and key."""

    name: str
    title: str
    key: str
    short: str = ""


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
        """The widest form that fits: keys and titles (`` F2 Charts ``), titles, then
        short titles; if even those do not fit, the line starts at the active tab."""
        width = self.size.width
        for layout in ("keys", "titles", "short"):
            line, spans = self._line(layout)
            if line.cell_len <= width:
                break
        else:
            start = next((a for a, _, name in spans if name == self.active), 0)
            shift = min(start, max(0, line.cell_len - width))
            line = line[shift:]
            spans = [(a - shift, b - shift, name) for a, b, name in spans]
        self._spans = spans
        return line

    def _line(self, layout: str) -> tuple[Text, list[tuple[int, int, str]]]:
        active_style = self.get_component_rich_style("tab-bar--active")
        key_style = self.get_component_rich_style("tab-bar--key")
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        for tab in self.tabs:
            start = line.cell_len
            active = tab.name == self.active
            if layout == "keys":
                line.append(f" {tab.key}", style=active_style if active else key_style)
            if layout == "short":  # one space apart, not two
                line.append(f" {tab.short or tab.title}", style=active_style if active else "")
            else:
                line.append(f" {tab.title} ", style=active_style if active else "")
            spans.append((start, line.cell_len, tab.name))
        return line, spans

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
        if not any(child.id == pane_id for child in self.children):
            # Still a Lazy placeholder: show it once it has replaced itself.
            self.call_after_refresh(self._show_when_mounted, pane_id, MOUNT_TRIES)

    def _show_when_mounted(self, pane_id: str, tries: int) -> None:
        if self.current != pane_id:
            return  # another tab was chosen meanwhile
        if any(child.id == pane_id for child in self.children):
            self.show(pane_id)
        elif tries > 0:
            self.call_after_refresh(self._show_when_mounted, pane_id, tries - 1)

    def on_mount(self) -> None:
        self.show(self.current)
