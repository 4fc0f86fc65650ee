"""Shared fixtures: a store path, and the real CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile perceptune's modules to bytecode once: the suite starts hundreds of
    interpreters (CLI runs, apps in tmux, runners, workers), and where
    PYTHONDONTWRITEBYTECODE is set (as on these machines) each of them would compile
    ``core`` and ``tui`` from source again (~0.1 s of CPU a process). An installed
    package has its bytecode; this gives the checkout the same."""
    import compileall

    for package in ("core", "tui"):
        compileall.compile_dir(ROOT / package, quiet=1)


@pytest.fixture(params=[False, True], ids=["one-thread", "two-threads"])
def encoder_threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """The CSV encoder's number columns in one thread, then in two: its threshold
    (``core.encoding.THREAD_CELLS``) moved so that a small test table takes either path."""
    from core import encoding

    monkeypatch.setattr(encoding, "THREAD_CELLS", 0 if request.param else 10**12)
    return request.param


@pytest.fixture
def two_encoder_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV encoder's two-thread path for any table, however small."""
    from core import encoding

    monkeypatch.setattr(encoding, "THREAD_CELLS", 0)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A store file that does not exist yet."""
    return tmp_path / "runs.db"


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    """The environment for a child interpreter that must import this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="session")
def run_cli(cli_env: dict[str, str]) -> RunCli:
    """``run_cli(*args, cwd=None, timeout=60)``: ``perceptune ARGS`` as a real subprocess
    (``python -m core.cli``), output captured as text."""

    def run(
        *args: str, cwd: Path | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=cli_env,
        )

    return run
