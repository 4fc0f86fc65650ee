"""Background training as a user meets it: real ``perceptune queue`` / ``run --detach``
processes start a real detached runner on a real store; real signals (kill -9 of the
runner, SIGHUP to the session of the command that started it)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.queue_store import StoredQueue
from core.store import RunStore, _pid_alive

SMALL = ("--dataset", "moons", "--samples", "200", "--layers", "4")
#: A run long enough to be caught mid-way (no early stop), short enough to finish.
LONG = (*SMALL, "--tol", "0", "--n-iter-no-change", "100000")


@pytest.fixture
def queue_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The CLI's environment with runners that exit after 1 s of idleness."""
    return {**cli_env, "PERCEPTUNE_RUNNER_IDLE_S": "1"}


@pytest.fixture
def cli(
    queue_env: dict[str, str], store_path: Path
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """``cli(*args)``: ``perceptune ARGS --store STORE``; stops any runner left after."""

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args, "--store", str(store_path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=queue_env,
        )

    yield run
    if store_path.exists():  # a runner this test started and left: SIGTERM it by pid
        pid = _runner_pid(store_path)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not _pid_alive(pid), timeout=20)


def wait_for(condition: Callable[[], object], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        time.sleep(0.05)


def _runner_pid(store_path: Path) -> int | None:
    with RunStore(store_path) as store:
        runner = StoredQueue(store).runner()
        return None if runner is None else runner.pid


def runs(store_path: Path) -> dict[int, object]:
    with RunStore(store_path) as store:
        return {r.id: r for r in store.list_runs()}


def status(store_path: Path, run_id: int) -> str:
    return runs(store_path)[run_id].status


def log_lines(store_path: Path, text: str) -> list[str]:
    log = Path(f"{store_path}.log")
    return [line for line in log.read_text().splitlines() if text in line]


def test_queued_runs_train_in_order_in_the_background_and_the_runner_exits_idle(
    cli, store_path: Path
) -> None:
    assert cli("queue", "workers", "1").returncode == 0  # one at a time: order shows
    first = cli("queue", "add", *SMALL, "--epochs", "6", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"id": 1}
    second = cli("run", *SMALL, "--epochs", "4", "--detach", "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {"id": 2}
    pid = _runner_pid(store_path)
    assert pid is not None  # the command returned with the runner up

    wait_for(lambda: _runner_pid(store_path) is None and not _pid_alive(pid))
    one, two = runs(store_path)[1], runs(store_path)[2]
    assert (one.status, one.n_epochs, two.status, two.n_epochs) == ("done", 6, "done", 4)
    assert two.started_at >= one.finished_at  # workers 1: the second waited for the first
    with RunStore(store_path) as store:
        assert [p.epoch for p in store.curve(2)] == [1, 2, 3, 4]
        assert StoredQueue(store).entries() == []
    started = [line.split(": ", 1)[1] for line in log_lines(store_path, ": run ")]
    assert [text for text in started if text.endswith("started")] == [
        "run 1 started",
        "run 2 started",
    ]
    assert log_lines(store_path, "idle for") and log_lines(store_path, "runner exited")
    listing = cli("queue", "--json")
    assert json.loads(listing.stdout) == {
        "runner": None,
        "workers": 1,
        "running": 0,
        "runs": [],
        "sweeps": [],
    }


def test_cancel_reaches_a_running_run_and_stop_empties_the_queue(cli, store_path: Path) -> None:
    assert cli("queue", "workers", "1").returncode == 0
    assert cli("queue", "add", *LONG, "--epochs", "100000").returncode == 0
    assert cli("queue", "add", *SMALL, "--epochs", "5").returncode == 0
    assert cli("queue", "add", *LONG, "--epochs", "100000").returncode == 0
    wait_for(lambda: runs(store_path)[1].n_epochs > 0)

    cancel = cli("queue", "cancel", "1", "3")
    assert cancel.returncode == 0, cancel.stderr
    assert "Run 1 stops after its current epoch" in cancel.stdout
    assert "Run 3 cancelled." in cancel.stdout
    wait_for(lambda: status(store_path, 1) == "cancelled")
    one = runs(store_path)[1]
    assert one.n_epochs < 100000 and one.stop_reason.startswith("cancelled by the user")
    wait_for(lambda: status(store_path, 2) == "done")  # the queue went on with the next

    assert cli("queue", "add", *LONG, "--epochs", "100000").returncode == 0
    assert cli("queue", "add", *SMALL, "--epochs", "5").returncode == 0
    wait_for(lambda: runs(store_path)[4].n_epochs > 0)
    pid = _runner_pid(store_path)
    stop = cli("queue", "stop", "--json")
    assert stop.returncode == 0, stop.stderr
    assert json.loads(stop.stdout) == {"cancelled": 2, "runner_exited": True}
    assert (status(store_path, 4), status(store_path, 5)) == ("cancelled", "cancelled")
    # The running run says why as the waiting one does (not "cancelled by the user").
    stopped = runs(store_path)
    assert stopped[4].stop_reason.startswith("cancelled: the queue was stopped (after epoch ")
    assert stopped[5].stop_reason == "cancelled: the queue was stopped"
    assert not _pid_alive(pid)
    assert json.loads(cli("queue", "--json").stdout)["runs"] == []


SWEEP = """
[dataset]
name = "moons"
n_samples = 120

[search]
strategy = "grid"

[fixed]
epochs = 5

[space]
lr = [0.01, 0.1]
layers = [[4], [8]]
"""


def test_a_detached_sweep_trains_in_the_runner_after_the_runs_queued_before_it(
    cli, store_path: Path, tmp_path: Path
) -> None:
    sweep_file = tmp_path / "grid.toml"
    sweep_file.write_text(SWEEP)
    assert cli("queue", "workers", "2").returncode == 0
    assert cli("queue", "add", *SMALL, "--epochs", "5").returncode == 0
    queued = cli("sweep", str(sweep_file), "--detach", "--json")
    assert queued.returncode == 0, queued.stderr
    assert json.loads(queued.stdout) == {"sweep_id": 1}
    wait_for(lambda: json.loads(cli("sweeps", "--json").stdout)[0]["status"] == "done")
    records = runs(store_path)
    points = [r for r in records.values() if r.sweep_id == 1]
    assert len(points) == 4 and {r.status for r in points} == {"done"}
    assert min(r.started_at for r in points) >= records[1].finished_at  # the run went first
    listing = json.loads(cli("queue", "--json").stdout)
    assert (listing["runs"], listing["sweeps"]) == ([], [])
    assert log_lines(store_path, "sweep 1 done")


def test_a_hangup_spares_the_runner_and_after_its_kill_9_the_next_runner_resumes(
    cli, store_path: Path, queue_env: dict[str, str]
) -> None:
    assert cli("queue", "workers", "1").returncode == 0
    # A terminal session: a shell that queues a long run, then waits as a user would.
    command = (
        f"{sys.executable} -m core.cli queue add {' '.join(LONG)} --epochs 600 "
        f"--store {store_path} && sleep 60"
    )
    session = subprocess.Popen(
        ["sh", "-c", command],
        start_new_session=True,
        env=queue_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: runs(store_path).get(1) is not None and runs(store_path)[1].n_epochs > 0)
        first_runner = _runner_pid(store_path)
        assert first_runner is not None and os.getsid(first_runner) != session.pid
        # It never holds the terminal: stdin, stdout and stderr are /dev/null.
        fds = {os.readlink(f"/proc/{first_runner}/fd/{fd}") for fd in (0, 1, 2)}
        assert fds == {"/dev/null"}
        os.killpg(session.pid, signal.SIGHUP)  # the SSH link drops
        assert session.wait(timeout=30) == -signal.SIGHUP
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session.pid, signal.SIGKILL)
        session.wait()
    # The run in flight trains on to its end after the hang-up.
    wait_for(lambda: status(store_path, 1) == "done")
    assert runs(store_path)[1].n_epochs == 600

    # A run that trains until stopped: still in flight whenever the runner is killed.
    assert cli("queue", "add", *LONG, "--epochs", "100000").returncode == 0
    assert cli("queue", "add", *SMALL, "--epochs", "5").returncode == 0
    wait_for(lambda: runs(store_path)[2].n_epochs > 0)
    assert _runner_pid(store_path) == first_runner  # the same runner, never idle since
    os.kill(first_runner, signal.SIGKILL)
    wait_for(lambda: not _pid_alive(first_runner))
    listing = json.loads(cli("queue", "--json").stdout)
    assert listing["runner"] is None
    assert [(r["id"], r["status"]) for r in listing["runs"]] == [(2, "interrupted"), (3, "queued")]

    assert cli("queue", "add", *SMALL, "--epochs", "3").returncode == 0
    second_runner = _runner_pid(store_path)
    assert second_runner not in (None, first_runner)
    # Resumed by the second runner (from epoch 1), then cancelled to let 3 and 4 run.
    wait_for(lambda: status(store_path, 2) == "running" and runs(store_path)[2].n_epochs > 0)
    assert cli("queue", "cancel", "2").returncode == 0
    wait_for(
        lambda: [r.status for r in runs(store_path).values()][1:] == ["cancelled", "done", "done"]
    )
    with RunStore(store_path) as store:
        epochs = [p.epoch for p in store.curve(2)]
        assert epochs == list(range(1, len(epochs) + 1))  # one curve, trained once from 1
    # Each runner started run 2 once; runs 3 and 4 were trained once, by the second.
    started = [line.split(": ", 1) for line in log_lines(store_path, " started")]
    by_runner = [(head.split()[-1], text) for head, text in started if text.startswith("run ")]
    assert by_runner == [
        (str(first_runner), "run 1 started"),
        (str(first_runner), "run 2 started"),
        (str(second_runner), "run 2 started"),
        (str(second_runner), "run 3 started"),
        (str(second_runner), "run 4 started"),
    ]


def test_queue_add_takes_the_cv_flags_of_run(cli, store_path: Path) -> None:
    # Paused first: the runs are only stored, nothing trains.
    assert cli("queue", "workers", "0").returncode == 0
    added = cli("queue", "add", *SMALL, "--epochs", "5", "--cv", "3", "--json")
    assert added.returncode == 0, added.stderr
    no_refit = cli("queue", "add", *SMALL, "--cv", "3", "--no-refit", "--json")
    assert no_refit.returncode == 0, no_refit.stderr
    first, second = json.loads(added.stdout)["id"], json.loads(no_refit.stdout)["id"]
    stored = runs(store_path)
    assert stored[first].dataset["cv"] == 3 and stored[first].dataset["refit"] is True
    assert stored[first].params["epochs"] == 5 and stored[first].dataset["n_samples"] == 200
    assert stored[second].dataset["cv"] == 3 and stored[second].dataset["refit"] is False
    listed = json.loads(cli("queue", "--json").stdout)
    assert [run["id"] for run in listed["runs"]] == [first, second]
    assert [run["status"] for run in listed["runs"]] == ["queued", "queued"]  # paused


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("queue", "add", "--epochs", "abc"), "epochs"),
        (("queue", "cancel", "x1"), "RUN_ID must be a whole number"),
        (("queue", "cancel", "7"), "no run 7"),
        (("queue", "workers", "-1"), "expected a whole number from 0 to"),
        (("queue", "workers", "9" * 5000), "expected a whole number from 0 to"),
        (("runner", "--foreground", "--idle-exit", "nan"), "--idle-exit: expected seconds"),
        (("queue", "add", "--scheduler", "tcp://h:1"), "--scheduler needs the dask executor"),
        (("queue", "add", *SMALL, "--cv", "1"), "cv: must be 0 (no cross-validation) or"),
        (("queue", "add", *SMALL, "--cv", "5" * 300), "number of 300 digits"),
        (("queue", "add", "--dataset", "iris", "--cv", "40"), "cv"),
        (("queue", "add", *SMALL, "--no-refit"), "--no-refit: only applies with --cv K"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, store_path: Path, args, message) -> None:
    if args[1] == "cancel":
        RunStore(store_path).close()
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert len(result.stderr) < 600 and "Traceback" not in result.stderr
    if store_path.exists():
        assert runs(store_path) == {}  # nothing stored
