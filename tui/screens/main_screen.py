"""The workbench's own default screen: a focus change repaints what changed, not all.

Textual's ``Screen.focused`` is a reactive that repaints the whole screen whenever focus
moves. The widgets that gain or lose focus restyle and repaint themselves anyway, so
that repaint only redraws unchanged cells: 16 ms of the UI thread per Tab press at
120x40 (``bench/bench_tui_lag.py``), and a whole screen of escape codes sent over SSH.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class MainScreen(Screen):
    """The screen the app composes into (``App.get_default_screen``)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
