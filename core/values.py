"""Turn text from a flag, a form field or a file (or an already typed value) into a
number or a boolean, with a :class:`ConfigError` that names the field otherwise.

Shared by the hyperparameters (core/config.py) and the dataset settings
(core/datasets.py), so both speak the same way about a bad value. :func:`shown` is how
every message quotes a bad value: escaped, on one line, and cut when long.
"""

from __future__ import annotations

import math
import re
from typing import Any

from core.errors import ConfigError

#: Characters of a bad value quoted in a message; the rest is cut ("…").
SHOWN_CHARS = 40
#: More digits than this is never a valid count, size or seed (2**64 has 20 digits);
#: it also keeps ``int()`` far from Python's 4,300-digit conversion limit.
MAX_DIGITS = 30

# Only ASCII digits: "\d" would also take other scripts' digits, and the ends are
# stripped by the caller, which keeps "\s" (it takes \x1c-\x1f) out of the pattern.
_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def cut(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` whole when short, else its first ``limit`` characters and "…"."""
    return text if len(text) <= limit else text[:limit] + "…"


def printable(text: Any) -> str:
    """``text`` with every character that would break a table row or a terminal line
    (newline, tab, escape, other control and separator characters) written as its
    Python escape, e.g. ``"a\\nb"`` -> ``a\\nb``; everything else stays as it is."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown_key(key: Any) -> str:
    """A table key or field name as a message names it: escaped and cut."""
    return cut(printable(key))


def shown(value: Any) -> str:
    """A value as a message quotes it: ``repr`` (so control characters are escaped and
    it stays on one line), cut to :data:`SHOWN_CHARS`; a huge int by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and _too_long(value):
        return f"a number of {_digits(value):,} digits"
    if isinstance(value, str):
        return repr(cut(value))
    try:
        text = repr(value)
    except ValueError:  # a container holding an int past the conversion limit
        text = f"<{type(value).__name__}>"
    return cut(text)


def _too_long(number: int) -> bool:
    return number.bit_length() > MAX_DIGITS * 3.33


def _digits(number: int) -> int:
    # str() of a huge int raises past 4,300 digits: estimate from the bit length.
    return int(number.bit_length() * math.log10(2)) + 1


def _strip(text: str) -> str:
    # Ordinary whitespace only: str.strip() would also take \x1c-\x1f away.
    return text.strip(" \t\n\r\f\v")


def as_float(name: str, value: Any, what: str) -> float:
    """A finite float; ``what`` says what is allowed (e.g. "a positive number")."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(name, f"expected {what}, got {shown(value)}")
    try:
        number = float(_strip(value) if isinstance(value, str) else value)
    except (ValueError, OverflowError):  # "abc"; an int too large for a float
        raise ConfigError(name, f"expected {what}, got {shown(value)}") from None
    if not math.isfinite(number):
        raise ConfigError(name, f"expected {what}, got {shown(value)}")
    return number + 0.0  # -0.0 becomes 0.0: it reads and prints as a plain zero


def as_int(name: str, value: Any, what: str) -> int:
    """A whole number (``3``, ``3.0`` or ``"3"``; never ``True`` or ``"3.5"``).

    A number of more than :data:`MAX_DIGITS` digits is refused here, so callers can
    print what they got."""
    if isinstance(value, bool):
        raise ConfigError(name, f"expected {what}, got {shown(value)}")
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INT_TEXT.fullmatch(_strip(value)):
        text = _strip(value).lstrip("+-").lstrip("0")
        if len(text) > MAX_DIGITS:
            raise ConfigError(name, f"expected {what}, got a number of {len(text):,} digits")
        number = int(_strip(value))
    if number is None:
        raise ConfigError(name, f"expected {what}, got {shown(value)}")
    if _too_long(number):
        raise ConfigError(name, f"expected {what}, got {shown(number)}")
    return number


def as_bool(name: str, value: Any) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case) or a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = _strip(value).lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
    raise ConfigError(name, f"expected true or false, got {shown(value)}")
