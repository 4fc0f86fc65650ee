"""User text on screen: data, never markup, always on one line.

Names, paths, labels, CSV class labels and error messages come from users (a file
called ``a[/b].csv``, a target column ``[red]x[/red]``, a label with a newline).
Textual and Rich read plain ``str`` as markup in many places (DataTable cells,
``Static``, ``Label``, notifications): ``[/b]`` then raises ``MarkupError`` and takes
the app down, and a newline splits a table row or a title. Every user string goes
through one of these helpers before it is shown; the app's tables
(:class:`tui.widgets.tables.AppTable`) and notifications (``PerceptuneApp.notify``) do
it themselves, so a cell or a toast cannot forget.
"""

from __future__ import annotations

from rich.text import Text

#: Longest user text shown in one place; the rest becomes "…" (a 100 kB name would
#: otherwise make a table column or a toast as wide as the name).
MAX_SHOWN = 300
ELLIPSIS = "…"


def one_line(value: object, limit: int | None = MAX_SHOWN) -> str:
    """``value`` as text on one line: every character that is not printable (newline,
    tab, escape, other control and format characters, line separators) is shown as
    its Python escape (``\\n``, ``\\x1f``, ``\\u202e``), so it is visible and moves
    nothing. ``limit`` cuts the result to that many characters (None: no cut)."""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + ELLIPSIS
    return text


def as_text(value: object, style: str = "", limit: int | None = MAX_SHOWN) -> Text:
    """``value`` as a Rich ``Text`` of :func:`one_line`: shown as it is, never parsed
    as markup. ``style`` styles all of it."""
    return Text(one_line(value, limit), style=style, end="", no_wrap=True)
