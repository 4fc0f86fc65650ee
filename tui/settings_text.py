"""Short text for tables: what a run changed from the defaults, its data, its verdict.

History and Queue rows must tell runs apart at a glance, so every setting that differs
from :class:`~core.config.RunConfig`'s defaults is named (patience and tolerance too,
which the stored label leaves out), and the dataset shows what differs from the
built-in set's defaults. Verdicts are abbreviated the same way everywhere, so they fit
an 80-column History without being cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from core.config import RunConfig, format_layers
from core.datasets import DatasetSpec
from core.errors import PerceptuneError
from tui.format import DASH, dataset_label

#: Field -> the short name its value gets (``lr=0.1``); fields not here show their value
#: alone (``tanh``, ``sgd``, ``adaptive``).
SHORT_NAMES = {
    "lr": "lr",
    "epochs": "ep",
    "alpha": "a",
    "batch_size": "bs",
    "momentum": "mom",
    "validation_fraction": "vf",
    "tol": "tol",
    "n_iter_no_change": "pat",
    "seed": "seed",
}
#: Verdict -> its abbreviation in tables (``unstable`` and ``diverged`` are short already).
SHORT_VERDICTS = {
    "underfitting": "under",
    "good fit": "good",
    "overfitting": "over",
}


def short_verdict(verdict: str) -> str:
    """``underfitting`` -> ``under``, ``good fit`` -> ``good``, ``overfitting`` -> ``over``;
    any other text as it is."""
    return SHORT_VERDICTS.get(verdict, verdict)


def _value_text(name: str, value: Any) -> str:
    if name == "nesterov":
        return "nesterov" if value else "no-nesterov"
    if name == "early_stopping":
        return "early-stop" if value else "no-early-stop"
    if name == "seed" and value is None:
        return "seed=random"
    if name == "batch_size" and value is None:
        return "bs=auto"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    short = SHORT_NAMES.get(name)
    return f"{short}={text}" if short else text


def settings_text(params: Mapping[str, Any]) -> str:
    """The network and every setting that differs from the defaults, in form order:
    ``6,6 ep=50 pat=3``, ``128,128 tanh lr=0.1``. Stored params that do not read as
    a config (an old or damaged row) show as they are, not as an error."""
    try:
        config = RunConfig.from_mapping(params)
    except PerceptuneError:
        layers = params.get("layers")
        return format_layers(layers) if isinstance(layers, (list, tuple)) else DASH
    default = RunConfig()
    parts = [format_layers(config.layers)]
    for field in fields(RunConfig):
        if field.name == "layers":
            continue
        value = getattr(config, field.name)
        if value != getattr(default, field.name):
            parts.append(_value_text(field.name, value))
    return " ".join(parts)


def data_text(dataset: Mapping[str, Any]) -> str:
    """The dataset's name and what differs from its defaults: ``moons n=200``,
    ``circles noise=0.3 test=0.5``, ``data.csv``."""
    try:
        spec = DatasetSpec.from_mapping(dataset)
    except PerceptuneError:
        return dataset_label(dataset)
    name = dataset_label(dataset)
    base = DatasetSpec(name=spec.name) if spec.name else DatasetSpec(name=None, train=spec.train)
    parts = [name]
    if spec.is_synthetic():
        if spec.noise != base.noise:
            parts.append(f"noise={spec.noise:g}")
        if spec.n_samples != base.n_samples:
            parts.append(f"n={spec.n_samples}")
    if spec.test_size != base.test_size:
        parts.append(f"test={spec.test_size:g}")
    if spec.split_seed != base.split_seed:
        parts.append(f"split={spec.split_seed}")
    if not spec.scale:
        parts.append("unscaled")
    return " ".join(parts)


def run_text(params: Mapping[str, Any], label: str = "") -> str:
    """:func:`settings_text`, then the run's stored label when it is a name of its own
    (not the automatic ``6,6 lr=0.01 ...`` text): ``6,6 ep=50 · my try``."""
    text = settings_text(params)
    try:
        automatic = RunConfig.from_mapping(params).short_label()
    except PerceptuneError:
        automatic = ""
    if label and label != automatic:
        text += f" · {label}"
    return text
