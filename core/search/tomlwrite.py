"""A small TOML writer for sweep files (Python reads TOML with ``tomllib`` but has no
writer, and a sweep file needs only a small subset: no new dependency for that).

Supported: top-level tables of keys whose values are strings, booleans, integers,
finite floats, arrays of those (nested too) and inline tables of those.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dump_tables(
    tables: Mapping[str, Mapping[str, Any]], comments: Mapping[str, str] | None = None
) -> str:
    """Write ``{table: {key: value}}`` as TOML; ``comments`` adds a ``# ...`` after a
    table's header."""
    comments = comments or {}
    blocks = []
    for table, values in tables.items():
        header = f"[{key_text(table)}]"
        if comments.get(table):
            header += f"  # {comments[table]}"
        lines = [header, *(f"{key_text(key)} = {value_text(v)}" for key, v in values.items())]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def key_text(key: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def value_text(value: Any) -> str:
    """One TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML sweep files hold finite numbers only, got {value}")
        return repr(value)  # shortest text that reads back as the same float
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{key_text(str(k))} = {value_text(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write a {type(value).__name__} to a sweep file")


def _string(text: str) -> str:
    # A JSON string is a TOML basic string: the same escapes (\" \\ \n \uXXXX). Not
    # ensure_ascii: TOML refuses the surrogate pairs JSON uses above U+FFFF; but TOML
    # wants DEL escaped, which JSON leaves as it is.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
