"""Core's sweep messages in the builder's words.

Core checks a sweep as the file a CLI user writes, so its messages name TOML tables
(``sweep: [space].lr[0]: expected a positive number``). The builder has no tables on
screen: a row per hyperparameter and a few search settings. This turns the table path
into the row's label (``Learning rate, value 1: expected a positive number``) and the
empty-space message into what to do on this screen. Only the prefix is rewritten; the
rest of core's message (what is wrong, what is allowed) is kept as it is.
"""

from __future__ import annotations

import re

from core.config import FIELD_INFO

#: The builder's labels of the search settings.
SETTING_LABELS = {
    "strategy": "Strategy",
    "trials": "Trials",
    "seed": "Seed",
    "workers": "Workers",
    "prune": "Pruning",
    "name": "Name",
}
NOTHING_SEARCHED = "search at least one hyperparameter: set its 'searched as' to a list or a range"
#: ``sweep: [space].lr[0].uniform: rest`` -> table, key, index, sub-key, rest.
_PATH = re.compile(
    r"^(?:[^:\[\]]*: )?\[(space|search|fixed|dataset)\]"
    r"(?:\.([A-Za-z_-]+))?(?:\[(\d+)\])?(?:\.([A-Za-z_]+))?: (.*)$",
    re.DOTALL,
)


def plain_message(message: str) -> str:
    """``message`` (core's, about the builder's tables) with the table path replaced by
    the builder's labels; a message without a table path is returned unchanged."""
    match = _PATH.match(message)
    if match is None:
        return message
    table, key, index, sub, rest = match.groups()
    if table == "space" and key is None and rest.startswith("empty"):
        return NOTHING_SEARCHED
    name = (key or "").replace("-", "_")
    if table in ("space", "fixed") and name in FIELD_INFO:
        where = FIELD_INFO[name].label
        if table == "fixed":
            where += " (the form's value)"
        if index is not None:
            where += f", value {int(index) + 1}"
        elif sub is not None:
            where += " range"
    elif table == "search" and name in SETTING_LABELS:
        where = SETTING_LABELS[name]
    elif table == "dataset":
        where = "Dataset" + (f" {name.replace('_', ' ')}" if name else "")
    else:
        return message
    return f"{where}: {rest}"
