"""Exceptions that carry a one-line, user-facing message.

Every error a user can cause (a bad flag, form field, CSV or sweep file) is an
``InputError``: the CLI prints ``str(error)`` on one line and exits with 2. Anything
else that goes wrong while working is a ``PerceptuneError`` (exit 1).
"""

from __future__ import annotations


class PerceptuneError(Exception):
    """A failure with a message fit to show a user as it is."""

    exit_code = 1


class InputError(PerceptuneError):
    """The user gave us something we cannot use (exit code 2)."""

    exit_code = 2


class ConfigError(InputError):
    """A hyperparameter value is not allowed.

    ``field`` names the config field (``layers``, ``lr``...), ``message`` says what is
    wrong and what is allowed, without the field name, so a form can show it inline.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class DataError(InputError):
    """A dataset cannot be loaded: a bad CSV, an unknown built-in name, too few rows."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = path
        self.row = row
        self.column = column
        self.message = message
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StoreError(PerceptuneError):
    """The run store cannot be opened or used (not a perceptune store, newer schema...)."""


class NotFoundError(InputError):
    """A run, sweep or other id the user named does not exist."""
