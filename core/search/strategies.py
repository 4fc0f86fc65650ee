"""Which configurations a sweep tries: every grid point, a seeded random draw, or
what Optuna's TPE sampler asks for next.

Each is reproducible from its seed: the same sweep file gives the same points (TPE:
as long as the runs give the same scores, which a fixed ``seed`` in the config
ensures, and pruning does not depend on timing; see :mod:`core.search.engine`).
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.search.space import Dimension, space_size, toml_value

STRATEGIES = ("grid", "random", "tpe")
#: Random draws per wanted trial before a small space is taken as exhausted.
MAX_DRAWS_PER_TRIAL = 20
#: Largest finite space a random search enumerates to draw without replacement.
MAX_ENUMERATED = 200_000


def point_text(point: Mapping[str, Any]) -> str:
    """Canonical JSON of a point (sorted keys), to spot repeated draws."""
    return json.dumps(
        {name: toml_value(name, value) for name, value in point.items()},
        sort_keys=True,
        separators=(",", ":"),
    )


def grid_points(space: Mapping[str, Dimension]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in ``ParameterGrid``'s order.

    ``ParameterGrid`` iterates ``itertools.product`` over the keys sorted by name, the
    last key fastest; we do the same without importing ``sklearn.model_selection``,
    which costs a second of start-up (``tests/test_search_strategies.py`` checks the
    order against ``ParameterGrid`` itself).
    """
    names = sorted(space)
    columns = [space[name].values for name in names]  # type: ignore[union-attr]
    return [dict(zip(names, combo)) for combo in itertools.product(*columns)]


def random_points(space: Mapping[str, Dimension], trials: int, seed: int) -> list[dict[str, Any]]:
    """``trials`` distinct points drawn with ``numpy.random.default_rng(seed)``.

    A space of lists only is drawn without replacement (as ``ParameterSampler``
    does), so it never repeats a point and stops at its size; a space with ranges
    draws each dimension in name order and skips repeats.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    size = space_size(space)
    if size is not None and size <= MAX_ENUMERATED:
        grid = grid_points(space)
        picks = rng.choice(size, size=min(trials, size), replace=False)
        return [grid[int(i)] for i in picks]
    names = sorted(space)
    points: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(trials * MAX_DRAWS_PER_TRIAL):
        if len(points) >= trials:
            break
        point = {name: space[name].sample(rng) for name in names}
        text = point_text(point)
        if text not in seen:
            seen.add(text)
            points.append(point)
    return points


@dataclass(frozen=True, slots=True)
class TrialResult:
    """What a finished point tells TPE: ``state`` is complete, pruned or fail."""

    state: str
    value: float | None = None  # test accuracy (complete), or the last one (pruned)
    epoch: int = 0  # the epoch of ``value`` for a pruned run


class TPESearch:
    """Optuna's TPE sampler through its ask/tell interface (no optuna storage: the
    run store is the record; a resumed sweep re-tells the finished points).

    ``space`` dimensions are asked for in name order; network shapes ask for a layer
    count and then one size per layer.
    """

    def __init__(self, space: Mapping[str, Dimension], seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial
        self.space = dict(space)
        self.names = sorted(space)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature notices
            sampler = optuna.samplers.TPESampler(seed=seed)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)

    def ask(self) -> tuple[Any, dict[str, Any]]:
        """A new trial and its point (validated values)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = self.study.ask()
            point = {name: self.space[name].suggest(trial) for name in self.names}
        return trial, point

    def tell(self, trial: Any, result: TrialResult) -> None:
        """Report how ``trial``'s run ended."""
        from optuna.trial import TrialState

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if result.state == "complete" and result.value is not None:
                self.study.tell(trial, result.value)
            elif result.state == "pruned" and result.value is not None:
                trial.report(result.value, result.epoch)
                self.study.tell(trial, state=TrialState.PRUNED)
            else:
                self.study.tell(trial, state=TrialState.FAIL)

    def add(self, point: Mapping[str, Any], result: TrialResult) -> None:
        """Tell the study about a point run earlier (a resumed sweep)."""
        import optuna
        from optuna.trial import TrialState

        params: dict[str, Any] = {}
        distributions: dict[str, Any] = {}
        for name in self.names:
            for key, (value, distribution) in self.space[name].encode(point[name]).items():
                params[key] = value
                distributions[key] = distribution
        state = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED}.get(
            result.state, TrialState.FAIL
        )
        if result.value is None:
            state = TrialState.FAIL
        value = result.value if state == TrialState.COMPLETE else None
        intermediate = {result.epoch: result.value} if state == TrialState.PRUNED else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.study.add_trial(
                optuna.create_trial(
                    state=state,
                    value=value,
                    params=params,
                    distributions=distributions,
                    intermediate_values=intermediate,
                )
            )
