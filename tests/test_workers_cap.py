"""No fork bomb: runs at once are capped at ``WORKERS_PER_CORE`` per CPU core wherever
a number of workers comes in (sweep file, ``--workers`` of sweep and resume, the TUI's
``--workers``), and TPE trials like random ones. Each refusal is one line, exit 2,
and nothing is stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import InputError
from core.executors import (
    MAX_CLUSTER_WORKERS,
    WORKERS_PER_CORE,
    InlineExecutor,
    check_workers,
    default_workers,
    make_executor,
    max_workers,
)
from core.store import RunStore

SWEEP = """
[dataset]
name = "moons"
n_samples = 200
[search]
strategy = "{strategy}"
{search}
[fixed]
epochs = 5
[space]
lr = {lr}
"""


def sweep_file(tmp_path: Path, strategy: str = "grid", search: str = "", lr: str = "[0.1]") -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.format(strategy=strategy, search=search, lr=lr), encoding="utf-8")
    return path


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert "Traceback" not in line
    for word in words:
        assert word in line
    return line


def test_the_cap_is_a_multiple_of_the_cores() -> None:
    assert max_workers() == WORKERS_PER_CORE * default_workers()
    assert max_workers(remote=True) == MAX_CLUSTER_WORKERS
    check_workers(max_workers())
    check_workers(None)
    for bad in (0, -1, max_workers() + 1, 10**5000):
        with pytest.raises(InputError, match=r"allowed 1 to \d+ \(4 per CPU core"):
            check_workers(bad, "--workers")
    with pytest.raises(InputError) as error:
        make_executor("process", workers=1_000_000_000)
    assert len(str(error.value)) < 120
    with pytest.raises(InputError):
        InlineExecutor(max_workers() + 1)
    # A Dask cluster's cores are not ours to count: more runs may be in flight there.
    check_workers(max_workers() + 1, remote=True)


@pytest.mark.parametrize("command", ["sweep", "resume"])
def test_workers_flag_above_the_cap_is_refused(tmp_path: Path, run_cli, command: str) -> None:
    store = tmp_path / "runs.db"
    args = [str(sweep_file(tmp_path))] if command == "sweep" else []
    if command == "resume":
        RunStore(store).close()  # resume needs a store
    too_many = str(max_workers() + 1)
    result = run_cli(command, *args, "--workers", too_many, "--store", str(store))
    assert_refused(result, "--workers", too_many, f"allowed 1 to {max_workers()}")
    if command == "sweep":
        assert not store.exists()  # refused before the store is created


def test_sweep_file_workers_and_tpe_trials_are_capped(tmp_path: Path, run_cli) -> None:
    store = tmp_path / "runs.db"
    bomb = sweep_file(tmp_path, search="workers = 1000000000")
    line = assert_refused(run_cli("sweep", str(bomb), "--store", str(store)), "[search].workers")
    assert f"allowed 1 to {max_workers()}" in line
    tpe = sweep_file(
        tmp_path, strategy="tpe", search="trials = 100001", lr="{ log_uniform = [0.001, 0.1] }"
    )
    assert_refused(
        run_cli("sweep", str(tpe), "--store", str(store)), "[search].trials", "at most 100,000"
    )
    assert not store.exists()


def test_tui_workers_above_the_cap_is_refused_before_any_process_starts(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    store = tmp_path / "runs.db"
    result = subprocess.run(
        [sys.executable, "-m", "tui.entry", "--store", str(store), "--workers", "1000000000"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env,
        stdin=subprocess.DEVNULL,
    )
    line = assert_refused(result, "--workers", "1000000000")
    assert f"1 to {max_workers()}" in line
    assert not store.exists()
