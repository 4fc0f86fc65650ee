"""The one way an error reaches the user: a notification with markup off, so that error
text (file paths, brackets, exception messages) can never break the rendering."""

from __future__ import annotations

from textual.dom import DOMNode

#: Seconds an error stays on screen: long enough to read a path and a reason.
ERROR_TIMEOUT_S = 10.0


def show_error(node: DOMNode, text: str, title: str = "", timeout: float = ERROR_TIMEOUT_S) -> None:
    """Notify ``text`` as an error from ``node`` (UI thread only)."""
    node.notify(text, title=title, severity="error", timeout=timeout, markup=False)
