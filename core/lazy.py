"""A module imported on first use, to keep start-up light.

numpy costs ~50 ms to import: the TUI's first frame and ``perceptune --help`` need
the dataset settings (core/datasets.py) but not a single array.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for module ``name``; the first attribute access imports it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)


def lazy_module(name: str) -> Any:
    return LazyModule(name)
