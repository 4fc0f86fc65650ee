"""The hyperparameters of one run: a typed, immutable config and its validation.

This module is the single source of truth for what a value may be. The CLI flags,
the sweep file and the TUI form all go through :func:`parse_field` /
:meth:`RunConfig.from_mapping`, so a bad value gets the same message everywhere.

Field names are the CLI flag names without dashes (``--lr-schedule`` -> ``lr_schedule``).
Defaults are the textbook example: two hidden layers of 6 neurons, learning rate 0.01,
100 epochs, seed 10; everything else is scikit-learn's own default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.errors import ConfigError
from core.values import as_bool, as_float, as_int, refuse_control_characters

ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
SOLVERS = ("adam", "sgd", "lbfgs")
LR_SCHEDULES = ("constant", "invscaling", "adaptive")

#: Above this many weights the network does not fit comfortably in memory next to
#: its Adam state and gradients (each weight costs ~5 float64 copies: 40 bytes).
MAX_PARAMETERS = 20_000_000
MAX_NEURONS_PER_LAYER = 100_000
MAX_LAYERS = 50
MAX_EPOCHS = 100_000


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What the form and the CLI need to know about one field."""

    name: str
    label: str
    kind: str  # "layers", "float", "int", "choice", "bool", "optional_int"
    help: str
    choices: tuple[str, ...] = ()


FIELD_INFO: dict[str, FieldInfo] = {
    info.name: info
    for info in (
        FieldInfo(
            "layers",
            "Hidden layers",
            "layers",
            "Neurons per hidden layer, e.g. 6,6. More layers or neurons add capacity: "
            "too few underfit, too many can overfit.",
        ),
        FieldInfo(
            "lr",
            "Learning rate",
            "float",
            "Step size of each weight update (learning_rate_init). Too high is unstable "
            "or diverges; too low converges slowly.",
        ),
        FieldInfo(
            "epochs",
            "Epochs",
            "int",
            "Passes over the training data (max_iter). Too few underfit; too many can "
            "overfit as test accuracy falls while train keeps rising.",
        ),
        FieldInfo(
            "activation",
            "Activation",
            "choice",
            "Non-linearity of the hidden layers. relu trains fast; tanh and logistic "
            "are smooth; identity makes the network linear.",
            ACTIVATIONS,
        ),
        FieldInfo(
            "solver",
            "Solver",
            "choice",
            "Weight optimiser. adam is a robust default; sgd uses the schedule and "
            "momentum; lbfgs suits small data and has no epochs to plot.",
            SOLVERS,
        ),
        FieldInfo(
            "alpha",
            "Alpha (L2)",
            "float",
            "L2 penalty on the weights. Raise it to fight overfitting; too high underfits.",
        ),
        FieldInfo(
            "batch_size",
            "Batch size",
            "optional_int",
            "Samples per weight update; empty means auto = min(200, samples). Smaller "
            "batches are noisier and slower per epoch.",
        ),
        FieldInfo(
            "lr_schedule",
            "LR schedule",
            "choice",
            "sgd only: constant keeps the rate; invscaling shrinks it over time; "
            "adaptive divides it by 5 when progress stalls.",
            LR_SCHEDULES,
        ),
        FieldInfo(
            "momentum",
            "Momentum",
            "float",
            "sgd only: fraction of the previous update carried into the next (0 to 1). "
            "Higher speeds up but can overshoot.",
        ),
        FieldInfo(
            "nesterov",
            "Nesterov",
            "bool",
            "sgd only: look-ahead (Nesterov) momentum, usually a little faster.",
        ),
        FieldInfo(
            "early_stopping",
            "Early stopping",
            "bool",
            "Hold out part of the training data and stop when its score stops "
            "improving; keeps the best weights. Guards against overfitting.",
        ),
        FieldInfo(
            "validation_fraction",
            "Validation fraction",
            "float",
            "With early stopping: share of the training data held out (0 to 1, exclusive).",
        ),
        FieldInfo(
            "tol",
            "Tolerance",
            "float",
            "Improvement smaller than this for n_iter_no_change epochs stops training "
            "(or, with the adaptive schedule, lowers the rate).",
        ),
        FieldInfo(
            "n_iter_no_change",
            "Patience",
            "int",
            "Epochs without an improvement of at least tol before training stops "
            "(n_iter_no_change).",
        ),
        FieldInfo(
            "seed",
            "Seed",
            "optional_int",
            "random_state: fixes the initial weights and the shuffling, so a run can "
            "be repeated exactly. Empty means a fresh random start each time.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Hyperparameters of one ``MLPClassifier`` run.

    Build it with :meth:`from_mapping` (strings or typed values, validated) or
    directly with typed values and call :meth:`validated`.
    """

    layers: tuple[int, ...] = (6, 6)
    lr: float = 0.01
    epochs: int = 100
    activation: str = "relu"
    solver: str = "adam"
    alpha: float = 0.0001
    batch_size: int | None = None
    lr_schedule: str = "constant"
    momentum: float = 0.9
    nesterov: bool = True
    early_stopping: bool = False
    validation_fraction: float = 0.1
    tol: float = 1e-4
    n_iter_no_change: int = 10
    seed: int | None = 10

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: RunConfig | None = None) -> RunConfig:
        """Validate ``values`` (CLI/TOML/JSON/form input) on top of ``base`` (defaults).

        Unknown keys raise :class:`ConfigError` naming the key and the known ones.
        """
        base = base or cls()
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            name = key.replace("-", "_")
            if name not in FIELD_INFO:
                raise ConfigError(key, f"unknown hyperparameter; known: {', '.join(FIELD_INFO)}")
            changes[name] = parse_field(name, raw)
        config = replace(base, **changes)
        config.check_consistency()
        return config

    def validated(self) -> RunConfig:
        """Return an equal config whose every field passed :func:`parse_field`."""
        return RunConfig.from_mapping(self.to_dict(), base=RunConfig())

    def check_consistency(self) -> None:
        """Checks that involve more than one field."""
        check_network_size(self.layers, n_features=1, n_classes=2)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (layers as a list) with every field."""
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data

    def to_sklearn_params(self) -> dict[str, Any]:
        """The ``MLPClassifier`` keyword arguments this config stands for."""
        return {
            "hidden_layer_sizes": tuple(self.layers),
            "learning_rate_init": self.lr,
            "max_iter": self.epochs,
            "activation": self.activation,
            "solver": self.solver,
            "alpha": self.alpha,
            "batch_size": "auto" if self.batch_size is None else self.batch_size,
            "learning_rate": self.lr_schedule,
            "momentum": self.momentum,
            "nesterovs_momentum": self.nesterov,
            "early_stopping": self.early_stopping,
            "validation_fraction": self.validation_fraction,
            "tol": self.tol,
            "n_iter_no_change": self.n_iter_no_change,
            "random_state": self.seed,
        }

    def changed_fields(self) -> dict[str, Any]:
        """Fields that differ from the defaults (for short labels)."""
        default = RunConfig()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    def short_label(self) -> str:
        """A compact one-line description: ``6,6 lr=0.01 ep=100 relu adam``."""
        layers = ",".join(str(n) for n in self.layers)
        text = f"{layers} lr={self.lr:g} ep={self.epochs} {self.activation} {self.solver}"
        if self.alpha != 0.0001:
            text += f" a={self.alpha:g}"
        if self.early_stopping:
            text += " es"
        return text


def format_layers(layers: tuple[int, ...] | list[int]) -> str:
    """``(6, 6)`` -> ``"6,6"``: the text form :func:`parse_layers` reads back."""
    return ",".join(str(n) for n in layers)


_LAYER_TOKEN = re.compile(r"[+-]?\d+")


def parse_layers(value: Any) -> tuple[int, ...]:
    """Read hidden layer sizes from ``6,6``, ``6 6``, ``(6, 6)``, ``[6, 6]``, ``32`` or a
    sequence of ints. Never evaluates the text."""
    if isinstance(value, bool):
        raise ConfigError("layers", f"expected neurons per layer like 6,6, got {value!r}")
    if isinstance(value, int):
        items: list[Any] = [value]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        refuse_control_characters("layers", value, "neurons per layer like 6,6")
        text = value.strip()
        if text[:1] in "([" and text[-1:] in ")]":
            text = text[1:-1].strip()
        if not text:
            raise ConfigError("layers", "at least one hidden layer is needed, e.g. 6,6")
        parts = re.split(r"\s*,\s*|\s+", text)
        if parts and parts[-1] == "" and text.endswith(","):  # "(6,)" is one layer
            parts = parts[:-1]
        items = []
        for part in parts:
            if part == "":
                raise ConfigError(
                    "layers", f"empty layer in {value.strip()!r}; write neurons like 6,6"
                )
            if not _LAYER_TOKEN.fullmatch(part):
                raise ConfigError(
                    "layers",
                    f"{part!r} is not a whole number of neurons; write layers like 6,6",
                )
            if len(part) > 20:  # int() refuses over 4,300 digits; this many is too many
                raise ConfigError(
                    "layers",
                    f"a {len(part):,}-digit number of neurons is too many; "
                    f"at most {MAX_NEURONS_PER_LAYER:,}",
                )
            items.append(int(part))
    else:
        raise ConfigError("layers", f"expected neurons per layer like 6,6, got {value!r}")
    if not items:
        raise ConfigError("layers", "at least one hidden layer is needed, e.g. 6,6")
    sizes: list[int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            if isinstance(item, float) and item.is_integer():
                item = int(item)
            else:
                raise ConfigError("layers", f"{item!r} is not a whole number of neurons")
        if item < 1:
            raise ConfigError("layers", f"each layer needs at least 1 neuron, got {item}")
        if item > MAX_NEURONS_PER_LAYER:
            raise ConfigError(
                "layers", f"{item} neurons is too many; at most {MAX_NEURONS_PER_LAYER:,}"
            )
        sizes.append(item)
    if len(sizes) > MAX_LAYERS:
        raise ConfigError("layers", f"{len(sizes)} layers is too many; at most {MAX_LAYERS}")
    return tuple(sizes)


def check_network_size(layers: tuple[int, ...], n_features: int, n_classes: int) -> None:
    """Refuse a network whose weights would not fit in memory."""
    outputs = 1 if n_classes <= 2 else n_classes
    units = [n_features, *layers, outputs]
    n_weights = sum((a + 1) * b for a, b in zip(units, units[1:]))
    if n_weights > MAX_PARAMETERS:
        raise ConfigError(
            "layers",
            f"network too large for memory: {n_weights:,} weights; at most "
            f"{MAX_PARAMETERS:,} (fewer or smaller layers)",
        )


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in choices:
        raise ConfigError(name, f"unknown value {value!r}; choose one of {', '.join(choices)}")
    return text


def _is_blank(value: Any) -> bool:
    return value is None or (
        isinstance(value, str) and value.strip().lower() in ("", "auto", "none")
    )


def parse_field(name: str, value: Any) -> Any:
    """Validate and convert one field's value (text from a form or flag, or a typed value).

    Raises :class:`ConfigError` with a message that names the field and what is allowed.
    """
    if name == "layers":
        return parse_layers(value)
    if name == "lr":
        number = as_float(name, value, "a positive number like 0.01")
        if number <= 0:
            raise ConfigError(name, f"must be greater than 0 (e.g. 0.01), got {number:g}")
        if number > 10:
            raise ConfigError(name, f"must be at most 10, got {number:g}")
        return number
    if name == "epochs":
        number = as_int(name, value, "a whole number of epochs, at least 1")
        if not 1 <= number <= MAX_EPOCHS:
            raise ConfigError(name, f"must be from 1 to {MAX_EPOCHS:,}, got {number}")
        return number
    if name == "activation":
        return _choice(name, value, ACTIVATIONS)
    if name == "solver":
        return _choice(name, value, SOLVERS)
    if name == "lr_schedule":
        return _choice(name, value, LR_SCHEDULES)
    if name == "alpha":
        number = as_float(name, value, "a number >= 0 like 0.0001")
        if number < 0:
            raise ConfigError(name, f"must be 0 or more, got {number:g}")
        return number
    if name == "batch_size":
        if _is_blank(value):
            return None
        number = as_int(name, value, "a whole number of samples >= 1, or auto")
        if number < 1:
            raise ConfigError(name, f"must be at least 1 (or auto), got {number}")
        return number
    if name == "momentum":
        number = as_float(name, value, "a number from 0 to 1")
        if not 0 <= number <= 1:
            raise ConfigError(name, f"must be from 0 to 1, got {number:g}")
        return number
    if name in ("nesterov", "early_stopping"):
        return as_bool(name, value)
    if name == "validation_fraction":
        number = as_float(name, value, "a fraction between 0 and 1")
        if not 0 < number < 1:
            raise ConfigError(name, f"must be between 0 and 1 (exclusive), got {number:g}")
        return number
    if name == "tol":
        number = as_float(name, value, "a number >= 0 like 0.0001")
        if number < 0:
            raise ConfigError(name, f"must be 0 or more, got {number:g}")
        return number
    if name == "n_iter_no_change":
        number = as_int(name, value, "a whole number of epochs, at least 1")
        if number < 1:
            raise ConfigError(name, f"must be at least 1, got {number}")
        return number
    if name == "seed":
        if _is_blank(value):
            return None
        number = as_int(name, value, "a whole number from 0 to 4294967295, or none")
        if not 0 <= number <= 2**32 - 1:
            raise ConfigError(name, f"must be from 0 to 4294967295, got {number}")
        return number
    raise ConfigError(name, f"unknown hyperparameter; known: {', '.join(FIELD_INFO)}")


def field_text(config: RunConfig, name: str) -> str:
    """A field's value as the text a form shows (and :func:`parse_field` reads back)."""
    value = getattr(config, name)
    if name == "layers":
        return format_layers(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
