"""Checks of a whole sweep against its data before anything is stored.

A grid's points are known, but random and TPE points are drawn as the sweep goes:
a ``layers`` range that allows a network too large for memory would fail only when
(and if) the draw reaches it. So the largest network each form of ``layers`` allows
is checked up front, for every strategy.
"""

from __future__ import annotations

from core.config import check_network_size
from core.errors import ConfigError, InputError
from core.search.space import Shape, Values
from core.search.sweepfile import SweepSpec


def largest_networks(spec: SweepSpec) -> list[tuple[tuple[int, ...], str, str]]:
    """The networks to size-check: ``(layers, key, what)`` where ``key`` names the
    sweep-file key and ``what`` describes the network in a message ("" for a value
    given as it is).

    Every listed ``layers`` value (grid, random and TPE choices), the largest network
    a ``{ count, units }`` range allows (most layers, widest each), or the fixed one.
    """
    dim = spec.space.get("layers")
    if dim is None:
        return [(spec.base_config().layers, "[fixed].layers", "")]
    if isinstance(dim, Values):
        return [(tuple(value), "[space].layers", "") for value in dim.values]
    if isinstance(dim, Shape):
        count, units = dim.count[1], dim.units[1]
        what = f"the largest network it allows ({count} layers of {units:,} neurons)"
        return [((units,) * count, "[space].layers", what)]
    raise TypeError(f"unexpected layers dimension {dim!r}")


def check_sweep_networks(spec: SweepSpec, n_features: int, n_classes: int, source: str) -> None:
    """Raise InputError (one line, naming the key) if a network the sweep may train is
    too large for memory on data of ``n_features`` columns and ``n_classes`` classes."""
    for layers, key, what in largest_networks(spec):
        try:
            check_network_size(layers, n_features, n_classes)
        except ConfigError as error:
            detail = f"{what}: {error.message}" if what else error.message
            raise InputError(f"{source}: {key}: {detail}") from None
