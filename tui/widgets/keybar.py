"""The bottom line of keys: the bindings of the focused area, drawn as one piece of text.

It shows what Textual's ``Footer`` shows (the screen's active bindings with
``show=True``, one key per action, disabled ones dimmed, the command palette key on the
right; a click presses the key, hovering shows the tooltip) at a fraction of the cost.
``Footer`` recomposes a widget per key after every focus change, and only after the
first frame: 50-70 ms of the UI thread per Tab or tab switch, and a first screen
without keys for 0.1-0.2 s (``bench/bench_tui_lag.py``, ``bench_tui_launch.py``).
Here a focus change compares a few tuples and repaints one line when they differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


#: Binding ids whose keys stay on the line however narrow it is (the others are left
#: out first): the way to the help and the way back to the form.
PINNED_IDS = frozenset({"help", "form"})


@dataclass(frozen=True)
class KeyItem:
    """One key as the bar shows it."""

    key: str
    display: str
    description: str
    tooltip: str
    enabled: bool
    pinned: bool = False  # kept when the line is too narrow for every key


class KeyBar(Widget, can_focus=False):
    """The focused area's keys on one line, docked at the bottom of its screen."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description"}

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._items: tuple[KeyItem, ...] = ()
        self._palette: KeyItem | None = None
        #: (first cell, last cell + 1, item) of each key as last drawn, for the mouse.
        self._spans: list[tuple[int, int, KeyItem]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._read_bindings(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen and self._read_bindings(screen):
            self.refresh()

    def _read_bindings(self, screen: Screen) -> bool:
        """Take the screen's active bindings; True when the bar must be drawn again."""
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        items: list[KeyItem] = []
        palette: KeyItem | None = None
        seen_actions: set[str] = set()
        for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items():
            if key == palette_key:
                palette = self._item(binding, enabled, tooltip)
                continue
            if not binding.show or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            items.append(self._item(binding, enabled, tooltip))
        changed = (tuple(items), palette) != (self._items, self._palette)
        self._items, self._palette = tuple(items), palette
        return changed

    def _item(self, binding: Binding, enabled: bool, tooltip: str) -> KeyItem:
        return KeyItem(
            key=binding.key,
            display=self.app.get_key_display(binding),
            description=binding.description,
            tooltip=tooltip or binding.tooltip or binding.description,
            enabled=enabled,
            pinned=binding.id in PINNED_IDS,
        )

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        width = self.size.width
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, KeyItem]] = []
        palette = self._palette_text(key_style, text_style)
        room = width - palette.cell_len if palette is not None else width
        pieces = [(item, _key_text(item, key_style, text_style)) for item in self._items]
        # Pinned keys first claim their room; the others fill what is left, in order.
        # What does not fit is left out whole, never cut in half.
        reserved = sum(piece.cell_len for item, piece in pieces if item.pinned)
        used = 0
        full = False  # once a key is left out, the later ones are too: order is priority
        shown: list[tuple[KeyItem, Text]] = []
        for item, piece in pieces:
            if item.pinned:
                if used + piece.cell_len <= room:
                    shown.append((item, piece))
                    used += piece.cell_len
                reserved -= piece.cell_len
            elif not full and used + piece.cell_len + reserved <= room:
                shown.append((item, piece))
                used += piece.cell_len
            else:
                full = True
        for item, piece in shown:
            spans.append((line.cell_len, line.cell_len + piece.cell_len, item))
            line.append_text(piece)
        if palette is not None and self._palette is not None and palette.cell_len <= width:
            line.pad_right(width - palette.cell_len - line.cell_len)
            start = line.cell_len
            line.append_text(palette)
            spans.append((start, line.cell_len, self._palette))
        self._spans = spans
        return line

    def _palette_text(self, key_style: Style, text_style: Style) -> Text | None:
        if self._palette is None:
            return None
        item = self._palette
        return Text.assemble(
            ("▏", text_style), (f"{item.display} ", key_style), (f"{item.description} ", text_style)
        )

    def _item_at(self, x: int) -> KeyItem | None:
        for start, end, item in self._spans:
            if start <= x < end:
                return item
        return None

    def on_click(self, event: events.Click) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        event.stop()
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._item_at(event.x)
        self.tooltip = item.tooltip if item is not None else None


def _key_text(item: KeyItem, key_style: Style, text_style: Style) -> Text:
    """`` ^r Run `` in the footer's colours; dim when the binding is disabled."""
    text = Text.assemble((f" {item.display} ", key_style), (f"{item.description} ", text_style))
    if not item.enabled:
        text.stylize("dim")
    return text
