"""Helpers for the tests that run the real app in a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import FIELD_INFO
from core.queue_store import StoredQueue
from core.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a background runner waits idle before it exits (the apps' and the CLI's).
RUNNER_IDLE_S = "2"


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check)


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session, check=False).stdout


def wait_for_screen(session: str, pattern: re.Pattern[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen(session)
        if pattern.search(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{pattern.pattern!r} never appeared; screen was:\n{text}")


def app_command(store: Path, *env: str, workers: int | None = 1) -> str:
    """The shell command line of ``perceptune --store STORE --workers N`` from this
    checkout, with the environment settings ``env`` (``NAME=value``). ``workers``:
    runs at once the app asks of the store's runner; None leaves the store's setting
    (no ``--workers``)."""
    return " ".join(
        [
            "env",
            # The tmux server is shared: it hands every session the environment of the
            # process that started it, and a COLUMNS/LINES from there (a Textual test
            # sets them) would make the app ignore the real size of its terminal.
            "-u",
            "COLUMNS",
            "-u",
            "LINES",
            f"PERCEPTUNE_RUNNER_IDLE_S={RUNNER_IDLE_S}",  # a runner it starts exits soon after
            *env,
            f"PYTHONPATH={shlex.quote(str(ROOT))}",
            shlex.quote(sys.executable),
            "-m",
            "tui.entry",
            "--store",
            shlex.quote(str(store)),
            *([] if workers is None else ["--workers", str(workers)]),
        ]
    )


def start_app(
    session: str, store: Path, size: tuple[int, int], *env: str, workers: int | None = 1
) -> None:
    """The app alone in a new tmux session of ``size`` (the session ends with it);
    ``workers`` as for :func:`app_command`."""
    width, height = size
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
         "-c", str(store.parent), app_command(store, *env, workers=workers))  # fmt: skip


def keys(session: str, *names: str) -> None:
    """Press the keys ``names`` (tmux key names: ``C-n``, ``F3``, ``Up``...) in turn."""
    for name in names:
        tmux("send-keys", "-t", session, name)


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> None:
    """Poll ``condition`` every 0.1 s until it is true; fail with ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def tab_to(session: str, name: str) -> None:
    """Move from the focused form field to field ``name`` (Tab forward, shift+Tab
    back), one field at a time: each key waits until the help line names the next
    field (it names the focused one), so no key is sent ahead of a screen still
    catching up. The field's text is then selected: what is typed next replaces it."""
    names = list(FIELD_INFO)
    help_line = re.compile("|".join(re.escape(f"{info.label}: ") for info in FIELD_INFO.values()))
    for _ in range(len(names)):
        current = wait_for_screen(session, help_line, timeout=10)  # not mid-redraw
        here = next(n for n in names if f"{FIELD_INFO[n].label}: " in current)
        if here == name:
            return
        step = 1 if names.index(name) > names.index(here) else -1
        following = FIELD_INFO[names[names.index(here) + step]].label
        keys(session, "Tab" if step == 1 else "BTab")
        wait_for_screen(session, re.compile(rf"\b{re.escape(following)}: "), timeout=10)
    raise AssertionError(f"{name} never had focus:\n{screen(session)}")


def type_fields(session: str, values: dict[str, str]) -> None:
    """Type ``values`` (field name -> text) into the form's fields, in the form's
    order, from the focused field on; each is seen on screen before the next."""
    for name in sorted(values, key=list(FIELD_INFO).index):
        tab_to(session, name)
        tmux("send-keys", "-t", session, "-l", values[name])
        label = FIELD_INFO[name].label
        shown = re.compile(rf"{label}\s+{re.escape(values[name])}\s")  # not 0 of 0.0001
        wait_for_screen(session, shown, timeout=10)


# -- the store, read as the user's other tools would -------------------------------------


def read_store(store: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read straight from the SQLite file (read-only); none while the
    app is still creating the schema. A read that fails for a moment (the file busy
    as a writer checkpoints) is tried again."""
    if not store.exists():
        return []
    for attempt in range(50):
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as conn:
                return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error) or attempt == 49:
                return []
            time.sleep(0.05)
    return []


def epochs(store: Path) -> list[int]:
    """Every run's epoch count, in id order."""
    return [row[0] for row in read_store(store, "SELECT n_epochs FROM runs ORDER BY id")]


def statuses(store: Path) -> list[str]:
    """Every run's status, in id order."""
    return [row[0] for row in read_store(store, "SELECT status FROM runs ORDER BY id")]


def run_row(store: Path, run_id: int) -> tuple[str, int]:
    """Run ``run_id``'s status and epoch count."""
    (row,) = read_store(store, f"SELECT status, n_epochs FROM runs WHERE id = {int(run_id)}")
    return row[0], row[1]


def curve_epochs(store: Path, run_id: int) -> list[int]:
    """The epoch numbers of run ``run_id``'s stored curve, in order."""
    with RunStore(store) as runs:
        return [point.epoch for point in runs.curve(run_id)]


def runner_log(store: Path, text: str) -> list[str]:
    """The lines of the store's runner log (``<store>.log``) that contain ``text``."""
    log = Path(f"{store}.log")
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if text in line]


def runner_pid(store: Path) -> int | None:
    """The pid of the store's live background runner, or None."""
    if not store.exists():
        return None
    with RunStore(store) as runs:
        runner = StoredQueue(runs).runner()
    return None if runner is None else runner.pid


def stop_runner(store: Path) -> None:
    """A test's clean-up: ``perceptune queue stop`` (every run cancelled, the runner
    stopped) and wait until the runner is gone. Cancelling, not just killing the
    runner, matters: an app still exiting may start a new runner for runs left
    queued, which would train them long after the test."""
    if store.exists():
        stop_queue(store)


def cli(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``perceptune ARGS --store STORE`` from this checkout, as a real process (its
    runner exits after ``RUNNER_IDLE_S`` idle); fails the test on a non-zero exit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PERCEPTUNE_RUNNER_IDLE_S": RUNNER_IDLE_S}
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", *args, "--store", str(store)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, f"perceptune {' '.join(args)}: {done.stderr}"
    return done


def cli_queue(store: Path) -> list[tuple[int, str]]:
    """``perceptune queue --json``: the queue's (run id, status) in its order."""
    listing = json.loads(cli(store, "queue", "--json").stdout)
    return [(run["id"], run["status"]) for run in listing["runs"]]


def gone(pid: int) -> bool:
    """The process has exited (a zombie no one reaps counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def stop_queue(store: Path) -> None:
    """``perceptune queue stop`` (cancel everything, stop the runner), then wait until
    the runner's process is gone (it gives its lease up a moment before it exits)."""
    pid = runner_pid(store)
    cli(store, "queue", "stop")
    if pid is not None:
        wait_until(lambda: gone(pid), 30, f"the runner {pid} did not exit")


# -- the Queue tab, read off the screen -------------------------------------------------

#: A row of the Queue table: ``3  running  0.850  0.860  ████░░░░ 50/100  config...``
#: (a status being cancelled shows ``running…``); the columns are 2+ spaces apart, the
#: summary line above (``1 running · 2 waiting · workers 1/8``) is not a row.
QUEUE_ROW = re.compile(
    r"(?:^|│ )(\d+) {2,}(queued|running|done|cancelled|interrupted|failed|diverged|pruned)(…?) {2,}"
    r"(?:.*? (\d+)/\d+)?",
    re.MULTILINE,
)


def queue_rows(text: str) -> list[tuple[int, str, int]]:
    """The Queue tab's rows on a captured screen, top to bottom: (run id, status,
    epochs done); a status being cancelled ends with ``…``."""
    # A narrow progress column may show the bar without its count: no epoch yet.
    return [(int(m[1]), m[2] + m[3], int(m[4] or 0)) for m in QUEUE_ROW.finditer(text)]


def wait_for_rows(
    session: str, wanted: Callable[[list[tuple[int, str, int]]], bool], timeout: float, what: str
) -> list[tuple[int, str, int]]:
    """Poll the Queue tab of ``session`` until its rows satisfy ``wanted``; the rows."""
    deadline = time.monotonic() + timeout
    while True:
        text = screen(session)
        rows = queue_rows(text)
        if wanted(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}; the Queue tab showed {rows}:\n{text}")
        time.sleep(0.2)
