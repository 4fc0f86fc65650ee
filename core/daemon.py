"""Starting the background runner detached from the terminal, and its log.

The runner (:mod:`core.queue_runner`) must outlive the terminal that started it: an
SSH link that drops sends SIGHUP to the terminal's session. So it is started as a
new process (``python -m core.cli runner --foreground --daemon``) in a session of its
own (``start_new_session``: no controlling terminal, no SIGHUP from one), with stdin,
stdout and stderr on ``/dev/null`` and its working directory ``/``. ``subprocess``
forks and at once execs a fresh interpreter, so a threaded caller (the TUI) never
runs Python in a forked copy of itself.

The runner logs to ``<store>.log`` (rotated at :data:`LOG_MAX_BYTES`, one older file
kept as ``<store>.log.1``): when it started and exited, each run started and how it
ended, cancels, errors.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import PerceptuneError

if TYPE_CHECKING:
    from core.queue_runner import RunnerOptions
    from core.queue_store import RunnerInfo, StoredQueue

#: The runner's log is rotated past this size; with one backup it never holds more
#: than about twice this on disk.
LOG_MAX_BYTES = 256 * 1024
LOG_BACKUPS = 1
#: Seconds a command waits for the runner it started to take the store's lease.
START_WAIT_S = 15.0
#: The package root (the directory holding ``core``), for the runner's PYTHONPATH.
_ROOT = Path(__file__).resolve().parents[1]


def log_path(store_path: str | os.PathLike[str]) -> Path:
    """Where the runner of the store at ``store_path`` logs: ``<store>.log``."""
    return Path(f"{os.path.abspath(store_path)}.log")


def runner_logger(store_path: str | os.PathLike[str], echo: bool = False) -> logging.Logger:
    """The runner's logger: to ``<store>.log``, rotated, and to stderr with ``echo``
    (a runner in the foreground)."""
    logger = logging.getLogger("perceptune.runner")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("%(asctime)s runner %(process)d: %(message)s")
    try:
        to_file: logging.Handler = logging.handlers.RotatingFileHandler(
            log_path(store_path), maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS
        )
    except OSError:  # an unwritable directory: the store says so when it opens
        to_file = logging.NullHandler()
    to_file.setFormatter(formatter)
    logger.addHandler(to_file)
    if echo:
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setFormatter(logging.Formatter("perceptune runner: %(message)s"))
        logger.addHandler(to_stderr)
    return logger


def _environment() -> dict[str, str]:
    """The runner's environment: ours, with this checkout first on an absolute
    PYTHONPATH (the runner works in ``/``)."""
    env = dict(os.environ)
    paths = [str(_ROOT)]
    paths += [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def spawn_runner(store_path: str | os.PathLike[str], options: RunnerOptions) -> subprocess.Popen:
    """Start a detached runner for the store at ``store_path`` and return its process
    (reaped by a thread of this process when it ends, so it leaves no zombie)."""
    command = [
        sys.executable,
        "-m",
        "core.cli",
        "runner",
        "--store",
        os.path.abspath(store_path),
        "--foreground",
        "--daemon",
        *options.argv(),
    ]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            cwd="/",
            env=_environment(),
        )
    except OSError as error:
        raise PerceptuneError(f"cannot start the runner: {error.strerror or error}") from None
    threading.Thread(target=process.wait, name="perceptune-reap-runner", daemon=True).start()
    return process


def ensure_runner(
    queue: StoredQueue, options: RunnerOptions, live: RunnerInfo | None = None
) -> RunnerInfo | None:
    """Make sure a runner serves the queue's store: ``live`` (or the one found) if
    there is one, else start one and wait until it (or a runner started at the same
    time by another process) holds the lease. Returns that runner, or None when the
    new runner already finished (nothing was left to train). PerceptuneError when it
    could not start, naming its log."""
    live = live or queue.runner()
    if live is not None:
        return live
    process = spawn_runner(queue.store.path, options)
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        live = queue.runner()
        if live is not None:
            return live
        code = process.poll()
        if code is not None:
            live = queue.runner()
            if live is not None or code == 0:
                return live
            raise PerceptuneError(
                f"the runner did not start (exit code {code}); see {log_path(queue.store.path)}"
            )
        time.sleep(0.05)
    raise PerceptuneError(
        f"the runner did not start within {START_WAIT_S:.0f} s; see {log_path(queue.store.path)}"
    )
