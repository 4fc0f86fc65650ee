"""Turn text from a flag, a form field or a file (or an already typed value) into a
number or a boolean, with a :class:`ConfigError` that names the field otherwise.

Shared by the hyperparameters (core/config.py) and the dataset settings
(core/datasets.py), so both speak the same way about a bad value.
"""

from __future__ import annotations

import math
import re
from typing import Any

from core.errors import ConfigError

_INT_TEXT = re.compile(r"\s*[+-]?\d+\s*")


def refuse_control_characters(name: str, value: str, what: str) -> None:
    """A ConfigError for text with control characters (a paste, ``$'\\x1f5'``):
    ``float()``, ``str.strip()`` and ``\\s`` take \\x1c-\\x1f for spaces, ``int()``
    does not; none of them belongs in a number."""
    if not value.strip(" \t\r\n").isprintable():
        raise ConfigError(name, f"expected {what}, got {value!r}: it has control characters")


def as_float(name: str, value: Any, what: str) -> float:
    """A finite float; ``what`` says what is allowed (e.g. "a positive number")."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(name, f"expected {what}, got {value!r}")
    if isinstance(value, str):
        refuse_control_characters(name, value, what)
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ConfigError(name, f"expected {what}, got {value.strip()!r}") from None
    if not math.isfinite(number):
        raise ConfigError(name, f"expected {what}, got {value!r}")
    return number


def as_int(name: str, value: Any, what: str) -> int:
    """A whole number (``3``, ``3.0`` or ``"3"``; never ``True`` or ``"3.5"``)."""
    if isinstance(value, bool):
        raise ConfigError(name, f"expected {what}, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        refuse_control_characters(name, value, what)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        try:
            return int(value)
        except ValueError:  # over 4,300 digits
            digits = sum(char.isdigit() for char in value)
            got = f"a {digits:,}-digit number" if digits > 4300 else repr(value)
            raise ConfigError(name, f"expected {what}, got {got}") from None
    shown = value.strip() if isinstance(value, str) else value
    raise ConfigError(name, f"expected {what}, got {shown!r}")


def as_bool(name: str, value: Any) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case) or a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
    raise ConfigError(name, f"expected true or false, got {value!r}")
