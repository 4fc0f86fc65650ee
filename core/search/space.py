"""The ``[space]`` and ``[fixed]`` tables of a sweep, parsed into typed dimensions.

Keys are the CLI flag names without dashes (``lr``, ``batch_size``; ``batch-size`` is
accepted too). Every value, range bound and sampled value goes through
:func:`core.config.parse_field`, so a sweep file is validated exactly like a flag or
a form field. The forms:

- a list, ``lr = [0.001, 0.01]``: grid values (random and TPE: equally likely choices);
- ``{ choices = [...] }``: the same, spelled out;
- ``{ uniform = [a, b] }``, ``{ log_uniform = [a, b] }``: a real range (random, TPE);
- ``{ int = [a, b] }`` (optionally ``log = true``): whole numbers from a to b;
- ``layers = { count = [1, 3], units = [4, 128] }`` (optionally ``log = true``): 1 to 3
  hidden layers of 4 to 128 neurons each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.config import FIELD_INFO, MAX_LAYERS, parse_field
from core.errors import ConfigError, InputError
from core.values import MAX_DIGITS, cut, shown, shown_key

#: Fields a real range (uniform, log_uniform) may cover.
REAL_FIELDS = tuple(name for name, info in FIELD_INFO.items() if info.kind == "float")
#: Fields an integer range may cover.
INT_FIELDS = tuple(
    name for name, info in FIELD_INFO.items() if info.kind in ("int", "optional_int")
)
RANGE_FORMS = ("uniform", "log_uniform", "int")


class SpecError(InputError):
    """A bad entry of a sweep description; ``key`` says where (``[space].lr``).

    :mod:`core.search.sweepfile` prefixes the file name to the message.
    """

    def __init__(self, key: str, message: str) -> None:
        self.key = key = shown_key(key)  # table keys are user text too
        self.message = message
        super().__init__(f"{key}: {message}")


def field_name(key: str, where: str) -> str:
    """The config field a table key names (``batch-size`` -> ``batch_size``)."""
    name = str(key).replace("-", "_")
    if name not in FIELD_INFO:
        raise SpecError(f"{where}.{key}", f"unknown hyperparameter; known: {', '.join(FIELD_INFO)}")
    return name


def check_value(name: str, value: Any, where: str) -> Any:
    """``parse_field`` with the error re-worded to name the table entry."""
    try:
        return parse_field(name, value)
    except ConfigError as error:
        raise SpecError(where, error.message) from None


def toml_value(name: str, value: Any) -> Any:
    """A parsed value in the form a sweep file writes it (layers as a list, None as text)."""
    if isinstance(value, tuple):
        return list(value)
    if value is None:
        return "auto" if name == "batch_size" else "none"
    return value


def value_label(name: str, value: Any) -> str:
    """Short unique text for a value (an optuna categorical, a chart label)."""
    if name == "layers":
        return ",".join(str(n) for n in value)
    if value is None:
        return str(toml_value(name, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# --- dimensions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Values:
    """A finite list of values: grid values, or equally likely random/TPE choices.

    ``form`` keeps how the file wrote it (``list`` or ``choices``) so a saved file
    reads the same.
    """

    name: str
    values: tuple[Any, ...]
    form: str = "list"

    def size(self) -> int | None:
        return len(self.values)

    def sample(self, rng: Any) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def suggest(self, trial: Any) -> Any:
        labels = [value_label(self.name, v) for v in self.values]
        return self.values[labels.index(trial.suggest_categorical(self.name, labels))]

    def encode(self, value: Any) -> dict[str, tuple[Any, Any]]:
        from optuna.distributions import CategoricalDistribution

        labels = [value_label(self.name, v) for v in self.values]
        return {self.name: (value_label(self.name, value), CategoricalDistribution(labels))}

    def expected(self) -> float:
        return sum(float(v) for v in self.values) / len(self.values)

    def to_toml(self) -> Any:
        items = [toml_value(self.name, v) for v in self.values]
        return items if self.form == "list" else {"choices": items}


@dataclass(frozen=True, slots=True)
class RealRange:
    """A real range, uniform or uniform in the logarithm (``log_uniform``)."""

    name: str
    low: float
    high: float
    log: bool = False

    def size(self) -> int | None:
        return None

    def sample(self, rng: Any) -> float:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = float(rng.uniform(self.low, self.high))
        # exp(log(x)) may land a hair outside the bounds; the bounds themselves passed.
        return parse_field(self.name, min(self.high, max(self.low, value)))

    def suggest(self, trial: Any) -> float:
        return parse_field(
            self.name, trial.suggest_float(self.name, self.low, self.high, log=self.log)
        )

    def encode(self, value: Any) -> dict[str, tuple[Any, Any]]:
        from optuna.distributions import FloatDistribution

        return {self.name: (value, FloatDistribution(self.low, self.high, log=self.log))}

    def expected(self) -> float:
        return (self.low + self.high) / 2

    def to_toml(self) -> Any:
        return {"log_uniform" if self.log else "uniform": [self.low, self.high]}


def _sample_int(rng: Any, low: int, high: int, log: bool) -> int:
    if not log:
        return int(rng.integers(low, high + 1))
    # floor of a log-uniform draw on [low, high + 1): every integer gets its log share.
    value = math.exp(rng.uniform(math.log(low), math.log(high + 1)))
    return min(high, max(low, math.floor(value)))


@dataclass(frozen=True, slots=True)
class IntRange:
    """Whole numbers from ``low`` to ``high`` (both included)."""

    name: str
    low: int
    high: int
    log: bool = False

    def size(self) -> int | None:
        return None  # a range is sampled, never enumerated

    def sample(self, rng: Any) -> int:
        return parse_field(self.name, _sample_int(rng, self.low, self.high, self.log))

    def suggest(self, trial: Any) -> int:
        return parse_field(
            self.name, trial.suggest_int(self.name, self.low, self.high, log=self.log)
        )

    def encode(self, value: Any) -> dict[str, tuple[Any, Any]]:
        from optuna.distributions import IntDistribution

        return {self.name: (value, IntDistribution(self.low, self.high, log=self.log))}

    def expected(self) -> float:
        return (self.low + self.high) / 2

    def to_toml(self) -> Any:
        table: dict[str, Any] = {"int": [self.low, self.high]}
        if self.log:
            table["log"] = True
        return table


@dataclass(frozen=True, slots=True)
class Shape:
    """Network shapes: ``count`` hidden layers, each of ``units`` neurons (ranges)."""

    name: str  # always "layers"
    count: tuple[int, int]
    units: tuple[int, int]
    log: bool = False

    def size(self) -> int | None:
        return None

    def sample(self, rng: Any) -> tuple[int, ...]:
        n = int(rng.integers(self.count[0], self.count[1] + 1))
        return parse_field("layers", [_sample_int(rng, *self.units, self.log) for _ in range(n)])

    def suggest(self, trial: Any) -> tuple[int, ...]:
        n = trial.suggest_int("layers.count", *self.count)
        sizes = [trial.suggest_int(f"layers.units{i}", *self.units, log=self.log) for i in range(n)]
        return parse_field("layers", sizes)

    def encode(self, value: Any) -> dict[str, tuple[Any, Any]]:
        from optuna.distributions import IntDistribution

        encoded: dict[str, tuple[Any, Any]] = {
            "layers.count": (len(value), IntDistribution(*self.count))
        }
        for i, units in enumerate(value):
            encoded[f"layers.units{i}"] = (units, IntDistribution(*self.units, log=self.log))
        return encoded

    def expected(self) -> float:
        raise TypeError("layers have no mean")

    def to_toml(self) -> Any:
        table: dict[str, Any] = {"count": list(self.count), "units": list(self.units)}
        if self.log:
            table["log"] = True
        return table


Dimension = Values | RealRange | IntRange | Shape


# --- parsing --------------------------------------------------------------------------


def parse_fixed(table: Any) -> dict[str, Any]:
    """The ``[fixed]`` table: one validated value per field."""
    if not isinstance(table, Mapping):
        raise SpecError("[fixed]", f"expected a table of values, got {shown(table)}")
    fixed: dict[str, Any] = {}
    for key, raw in table.items():
        name = field_name(key, "[fixed]")
        where = f"[fixed].{key}"
        if name in fixed:
            raise SpecError(where, f"{name} is given twice")
        if isinstance(raw, Mapping) or (isinstance(raw, list) and name != "layers"):
            raise SpecError(
                where, f"expected one value, got {shown(raw)}; searched values go in [space]"
            )
        fixed[name] = check_value(name, raw, where)
    return fixed


def parse_space(table: Any, strategy: str) -> dict[str, Dimension]:
    """The ``[space]`` table: one :data:`Dimension` per searched field.

    ``strategy`` decides which forms are allowed: a grid enumerates, so it takes
    lists (or ``choices``) only.
    """
    if not isinstance(table, Mapping):
        raise SpecError("[space]", f"expected a table of searched values, got {shown(table)}")
    if not table:
        raise SpecError(
            "[space]", "empty: search at least one hyperparameter, e.g. lr = [0.001, 0.01]"
        )
    space: dict[str, Dimension] = {}
    for key, raw in table.items():
        name = field_name(key, "[space]")
        where = f"[space].{key}"
        if name in space:
            raise SpecError(where, f"{name} is given twice")
        space[name] = parse_dimension(name, raw, strategy, where)
    return space


def parse_dimension(name: str, raw: Any, strategy: str, where: str) -> Dimension:
    """One ``[space]`` entry; ``where`` names it in messages (``[space].lr``)."""
    if isinstance(raw, list):
        return _values(name, raw, "list", where)
    if not isinstance(raw, Mapping):
        example = "[[6, 6], [32]]" if name == "layers" else "[0.001, 0.01]"
        raise SpecError(
            where,
            f"expected a list of values like {example} or a range table, got {shown(raw)} "
            "(a single value goes in [fixed])",
        )
    keys = set(raw)
    if keys == {"choices"}:
        if not isinstance(raw["choices"], list):
            raise SpecError(f"{where}.choices", f"expected a list, got {shown(raw['choices'])}")
        return _values(name, raw["choices"], "choices", f"{where}.choices")
    if strategy == "grid":
        raise SpecError(
            where,
            f"a grid takes a list of values; ranges like {_form_text(raw)} need "
            'strategy = "random" or "tpe"',
        )
    if name == "layers":
        return _shape(raw, where)
    forms = keys & set(RANGE_FORMS)
    extra = keys - set(RANGE_FORMS) - {"log"}
    if extra or len(forms) != 1:
        allowed = "choices, uniform, log_uniform, int (with log = true)"
        bad = ", ".join(sorted(str(k) for k in extra)) or ", ".join(sorted(forms)) or "nothing"
        raise SpecError(where, f"expected one of {allowed}; got {bad}")
    (form,) = forms
    log = _log_flag(raw, where, allowed=form == "int")
    if form == "int":
        if name not in INT_FIELDS:
            raise SpecError(
                where, f"int ranges are for whole-number fields ({', '.join(INT_FIELDS)})"
            )
        low, high = _pair(raw[form], f"{where}.int")
        low, high = _whole(low, f"{where}.int"), _whole(high, f"{where}.int")
        low = check_value(name, low, f"{where}.int min")
        high = check_value(name, high, f"{where}.int max")
        _ordered(low, high, where)
        if log and low < 1:
            raise SpecError(where, f"a log int range needs min >= 1, got {low}")
        return IntRange(name, low, high, log)
    if name not in REAL_FIELDS:
        hint = " (use { int = [a, b] })" if name in INT_FIELDS else ""
        raise SpecError(where, f"{form} is for real-valued fields ({', '.join(REAL_FIELDS)}){hint}")
    low, high = _pair(raw[form], f"{where}.{form}")
    low = check_value(name, low, f"{where}.{form} min")
    high = check_value(name, high, f"{where}.{form} max")
    _ordered(low, high, where)
    if form == "log_uniform" and low <= 0:
        raise SpecError(where, f"log_uniform needs min > 0, got {low:g}")
    return RealRange(name, float(low), float(high), log=form == "log_uniform")


def _values(name: str, items: list[Any], form: str, where: str) -> Values:
    if not items:
        raise SpecError(where, "no values: give at least one")
    values: list[Any] = []
    for i, item in enumerate(items):
        value = check_value(name, item, f"{where}[{i}]")
        if value in values:
            hint = (
                " (each list item is one whole network: [[6, 6], [32]])" if name == "layers" else ""
            )
            raise SpecError(where, f"value {value_label(name, value)} appears twice{hint}")
        values.append(value)
    return Values(name, tuple(values), form)


def _shape(raw: Mapping[str, Any], where: str) -> Shape:
    keys = set(raw)
    if not {"count", "units"} <= keys or keys - {"count", "units", "log"}:
        raise SpecError(
            where,
            "network shapes are written { count = [1, 3], units = [4, 128] } "
            f"(optionally log = true); got keys {', '.join(sorted(map(str, keys)))}",
        )
    log = _log_flag(raw, where, allowed=True)
    count = _int_pair(raw["count"], f"{where}.count", minimum=1)
    units = _int_pair(raw["units"], f"{where}.units", minimum=1)
    if count[1] > MAX_LAYERS:  # before the widest network below is built as a list
        raise SpecError(f"{where}.count", f"at most {MAX_LAYERS} layers, got {count[1]}")
    # The widest network must be a valid one (layer count and neuron limits).
    check_value("layers", [units[1]] * count[1], where)
    return Shape("layers", count, units, log)


def _int_pair(raw: Any, where: str, minimum: int) -> tuple[int, int]:
    low, high = _pair(raw, where)
    low, high = _whole(low, where), _whole(high, where)
    if low < minimum:
        raise SpecError(where, f"min must be at least {minimum}, got {low}")
    _ordered(low, high, where)
    return low, high


def _pair(raw: Any, where: str) -> tuple[Any, Any]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise SpecError(where, f"expected [min, max], got {shown(raw)}")
    return raw[0], raw[1]


def _whole(value: Any, where: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise SpecError(where, f"expected whole numbers, got {shown(value)}")
    if abs(value) >= 10**MAX_DIGITS:  # no field takes such a number; keep it printable
        raise SpecError(where, f"expected whole numbers, got {shown(int(value))}")
    return int(value)


def _ordered(low: Any, high: Any, where: str) -> None:
    if low > high:
        raise SpecError(where, f"range min {low:g} > max {high:g}")


def _log_flag(raw: Mapping[str, Any], where: str, allowed: bool) -> bool:
    if "log" not in raw:
        return False
    if not allowed:
        raise SpecError(f"{where}.log", "log applies to int ranges and units only")
    if not isinstance(raw["log"], bool):
        raise SpecError(f"{where}.log", f"expected true or false, got {shown(raw['log'])}")
    return raw["log"]


def _form_text(raw: Mapping[str, Any]) -> str:
    inner = ", ".join(f"{cut(str(key))} = {shown(value)}" for key, value in raw.items())
    return "{ " + inner + " }"


def space_size(space: Mapping[str, Dimension]) -> int | None:
    """Number of grid points, or None when a dimension is a range."""
    total = 1
    for dim in space.values():
        size = dim.size()
        if size is None:
            return None
        total *= size
    return total
