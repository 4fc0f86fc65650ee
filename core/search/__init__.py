"""Grid, random and adaptive (TPE) search over run configs, with pruning.

- :mod:`core.search.space`: the ``[space]`` / ``[fixed]`` tables as typed dimensions.
- :mod:`core.search.sweepfile`: sweep TOML files, :class:`SweepSpec`, ``dump_sweep``.
- :mod:`core.search.tomlwrite`: the small TOML writer behind ``dump_sweep``.
- :mod:`core.search.strategies`: the points of a grid, a random draw, a TPE study.
- :mod:`core.search.epochs`: reading shorter runs off a longer curve.
- :mod:`core.search.pruning`: median and successive-halving (ASHA) pruners.
- :mod:`core.search.engine`: running and resuming a sweep through the run store.
- :mod:`core.search.results`: leaderboard, best config, chart series, CSV.

Nothing here imports scikit-learn or optuna at module level: ``perceptune --help``
must stay fast.
"""
