"""How the charts say why a run ended: one readable sentence, never "stopped: stopped"."""

from __future__ import annotations

import re

from tui.usertext import one_line

#: scikit-learn's own stop on tol / n_iter_no_change, as core.training words it (older
#: stores lack "of N" and "(patience)", and said "training loss").
_TOL_STOP = re.compile(
    r"stopped at epoch (\d+)(?: of \d+)?: (training loss|loss|validation score) did not "
    r"improve by tol=(\S+) for (\d+) epochs(?: \(patience\))?(.*)",
    re.DOTALL,
)
_MAX_EPOCHS = re.compile(r"reached the maximum of (\d+) epochs(.*)", re.DOTALL)
#: Statuses a reason may not name itself (a pruning rule's words, a user's cancel).
_STATUS_WORDS = ("pruned", "cancelled", "interrupted", "diverged", "failed")


def stop_sentence(reason: str, status: str, epochs_run: int, planned: int) -> str:
    """Why a run ended, in full: ``stopped at epoch 25 of 500: loss did not improve by
    tol=0.0001 for 10 epochs (patience)``; ``ran all 100 epochs``; ``pruned: below
    the median (after epoch 2)``. Empty when there is no reason."""
    reason = one_line(reason.strip())
    if not reason:
        return ""
    match = _TOL_STOP.match(reason)
    if match:
        epoch, watched, tol, patience, rest = match.groups()
        watched = "loss" if watched == "training loss" else watched
        of = f" of {planned}" if planned else ""
        return (
            f"stopped at epoch {epoch}{of}: {watched} did not improve by tol={tol} "
            f"for {patience} epochs (patience){rest}"
        )
    match = _MAX_EPOCHS.match(reason)
    if match:
        return f"ran all {match[1]} epochs{match[2]}"
    first = reason.split(maxsplit=1)[0].rstrip(":").lower()
    if status in _STATUS_WORDS and first not in (status, "stopped", "cancelled"):
        return f"{status}: {reason}"
    return reason
