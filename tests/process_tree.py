"""Processes as /proc shows them: the descendants of a process, and whether one still
runs. For the tests that kill perceptune and check that no worker outlives it."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process now."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()  # the name may hold spaces and ")"
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now (children, their children...)."""
    parents = _parents()
    found: set[int] = set()
    front = [pid]
    while front:
        parent = front.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.add(child)
                front.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (dead, not yet reaped) does not count; in a
    container whose pid 1 never reaps, orphans stay zombies."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def wait_until_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait until none of ``pids`` runs; returns those still running at ``timeout``."""
    deadline = time.monotonic() + timeout
    left = {pid for pid in pids if alive(pid)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {pid for pid in left if alive(pid)}
    return left


def wait_for_descendants(pid: int, count: int, timeout: float = 60.0) -> set[int]:
    """Wait until ``pid`` has at least ``count`` descendants; returns them."""
    deadline = time.monotonic() + timeout
    found = descendants(pid)
    while len(found) < count:
        assert time.monotonic() < deadline, f"{pid} has only {len(found)} descendants"
        time.sleep(0.05)
        found = descendants(pid)
    return found


def kill_all(pids: set[int]) -> None:
    """Clean-up for a failed test: SIGKILL whatever of ``pids`` still runs."""
    import signal

    for pid in pids:
        if alive(pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
