"""The app's own process pool (tui/entry.py's ``start_executor``): its helper processes
start before the app runs; with a background runner (the default) no worker starts
until something asks for one, and that one starts safely inside a running app."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from process_tree import _parents, descendants
from textual.app import _PrintCapture

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import ProcessExecutor
from core.worker import RunRequest
from tui.entry import start_executor


def _workers_of_this_process() -> set[int]:
    """Processes below this one that are not its children: what the forkserver forked
    (pool workers). The forkserver and the resource tracker are direct children."""
    me = os.getpid()
    children = {pid for pid, parent in _parents().items() if parent == me}
    return descendants(me) - children


ROOT = Path(__file__).resolve().parents[2]


def test_background_mode_forks_a_worker_only_when_one_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The forkserver imports its preload from its own sys.path (Python 3.11 ignores the
    # parent's): this checkout, not whatever copy of perceptune is installed.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    executor = ProcessExecutor(workers=2)
    try:
        start_executor(executor, in_app=False)
        assert _workers_of_this_process() == set(), "a worker started before any run"
        # As inside a running Textual app: stderr has no file descriptor. Starting the
        # pool's helper processes now would fail ("bad value(s) in fds_to_keep");
        # forking a worker from the running forkserver must not.
        with contextlib.redirect_stderr(_PrintCapture(None, stderr=True)):  # type: ignore[arg-type]
            request = RunRequest(1, RunConfig(layers=(4,), epochs=3), DatasetSpec(n_samples=100))
            outcome = executor.submit(request).result(timeout=60)
        assert outcome.status == "done", outcome.error
        assert len(_workers_of_this_process()) == 1  # one asked for: one started, not two
    finally:
        executor.shutdown()
