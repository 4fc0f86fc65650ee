"""Fixtures for the TUI tests: an app on a temporary store with a small, fast dataset
and the in-process executor, and helpers that wait until it has settled.

``async def`` tests run under ``asyncio.run`` (no asyncio plugin needed).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor

#: Small enough that a 100-epoch run takes well under a second.
FAST_DATASET = DatasetSpec(name="moons", n_samples=200)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports write to the current directory: keep them in the test's folder."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def make_app(store_path: Path) -> Callable[..., Any]:
    """``make_app(**kwargs)``: a PerceptuneApp on the temporary store, in-process
    executor, fast dataset, cursor blink off (``snapshot_mode``)."""

    def factory(
        *,
        workers: int = 1,
        config: RunConfig | None = None,
        dataset: DatasetSpec | None = None,
        path: Path | None = None,
    ) -> Any:
        from tui.app import PerceptuneApp

        return PerceptuneApp(
            path or store_path,
            InlineExecutor(workers),
            workers,
            config=config,
            dataset=dataset or FAST_DATASET,
            snapshot_mode=True,
        )

    return factory
