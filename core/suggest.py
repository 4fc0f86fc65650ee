"""Next-step variants of a run, derived from its verdict (a diagnosis dict).

The remedies are the lesson's:

- underfitting, ``capacity`` kind: more neurons, another layer, a non-linear
  activation (or a lower alpha when alpha is what holds the network back);
- underfitting, ``still_learning`` kind: more epochs or a higher learning rate;
- unstable: a lower learning rate (/3 and /10), and for sgd a lower momentum;
- overfitting: fewer epochs (stop where test peaked), a stronger alpha, fewer
  neurons, early stopping;
- good fit: a neighbour to check it is robust (another seed, a smaller network), and
  more patience when scikit-learn stopped it early while test was still at its best;
- diverged: a lower learning rate (or a lower alpha when alpha caused it).

Suggested numbers are rounded to one significant digit (0.003, not 0.00333).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.config import MAX_EPOCHS, RunConfig, format_layers

#: Largest learning rate the config accepts.
_MAX_LR = 10.0
_DEFAULT_ALPHA = RunConfig().alpha


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A variant to try: a short label, why, and the full config."""

    label: str
    why: str
    config: RunConfig


def round_nice(value: float, digits: int = 1) -> float:
    """``value`` to ``digits`` significant digits: 0.0033333 -> 0.003, 0.03 -> 0.03."""
    if value == 0 or value != value:  # zero or NaN
        return value
    return float(f"{value:.{digits}g}")


def _scaled(value: float, factor: float) -> float:
    """``value * factor`` rounded nicely, and different from ``value``."""
    for digits in (1, 2, 3):
        result = round_nice(value * factor, digits)
        if result != value:
            return result
    return value * factor


def _wider(layers: tuple[int, ...], factor: float) -> tuple[int, ...]:
    return tuple(max(1, round(n * factor)) for n in layers)


def _layers_label(layers: tuple[int, ...]) -> str:
    return f"layers {format_layers(layers)}"


def _halved(config: RunConfig, why: str) -> list[Suggestion]:
    """Half the neurons per layer, with ``why``; nothing when they cannot shrink."""
    smaller = _wider(config.layers, 0.5)
    if smaller == config.layers:
        return []
    return [Suggestion(_layers_label(smaller), why, replace(config, layers=smaller))]


def suggest_next(config: RunConfig, verdict: dict[str, Any] | None) -> list[Suggestion]:
    """Two or three variants of ``config`` that address ``verdict`` (a diagnosis dict
    as :meth:`core.diagnosis.Diagnosis.to_dict` gives it; None for no verdict)."""
    verdict = verdict or {}
    kind = verdict.get("verdict")
    if kind == "diverged":
        out = _diverged(config, verdict)
    elif kind == "unstable":
        out = _unstable(config)
    elif kind == "overfitting":
        out = _overfitting(config, verdict)
    elif kind == "underfitting":
        out = _underfitting(config, verdict)
    else:
        out = _good_fit(config, verdict)
    return _distinct(config, out)[:3]


def _distinct(config: RunConfig, suggestions: list[Suggestion]) -> list[Suggestion]:
    """Drop variants equal to the run itself or to an earlier variant."""
    seen = {config}
    out = []
    for suggestion in suggestions:
        if suggestion.config not in seen:
            seen.add(suggestion.config)
            out.append(suggestion)
    return out


def _lower_lr(config: RunConfig, divisor: float, why: str) -> Suggestion:
    lr = _scaled(config.lr, 1 / divisor)
    return Suggestion(f"lr {lr:g}", why, replace(config, lr=lr))


def _diverged(config: RunConfig, verdict: dict[str, Any]) -> list[Suggestion]:
    out = []
    if verdict.get("cause") == "alpha":
        out.append(
            Suggestion(
                f"alpha {_DEFAULT_ALPHA:g}",
                "the default L2 penalty: a huge alpha blows up the loss",
                replace(config, alpha=_DEFAULT_ALPHA),
            )
        )
        out.append(
            Suggestion(
                "alpha 0.01",
                "a strong but finite penalty, if you wanted regularisation",
                replace(config, alpha=0.01),
            )
        )
        return out
    out.append(_lower_lr(config, 10, "a 10x lower learning rate steps gently enough to converge"))
    out.append(_lower_lr(config, 100, "100x lower if 10x still blows up"))
    if config.solver == "sgd":
        out.append(
            Suggestion(
                "solver adam", "adam adapts its step per weight", replace(config, solver="adam")
            )
        )
    return out


def _unstable(config: RunConfig) -> list[Suggestion]:
    out = [
        _lower_lr(config, 3, "a 3x lower learning rate: smaller steps stop the loss jumping"),
        _lower_lr(config, 10, "10x lower, if 3x still jumps"),
    ]
    if config.solver == "sgd" and config.momentum > 0:
        momentum = round_nice(config.momentum / 2)
        out.append(
            Suggestion(
                f"momentum {momentum:g}",
                "less momentum carries less of the last step into the next",
                replace(config, momentum=momentum),
            )
        )
    return out


def _overfitting(config: RunConfig, verdict: dict[str, Any]) -> list[Suggestion]:
    out = []
    peak = int(verdict.get("peak_epoch") or 0)
    if 0 < peak < config.epochs:
        out.append(
            Suggestion(
                f"epochs {peak}",
                f"stop where test accuracy peaked (epoch {peak})",
                replace(config, epochs=peak),
            )
        )
    alpha = _scaled(config.alpha, 10) if config.alpha > 0 else 0.001
    out.append(
        Suggestion(
            f"alpha {alpha:g}",
            "a stronger L2 penalty keeps weights small",
            replace(config, alpha=alpha),
        )
    )
    out.extend(_halved(config, "fewer neurons leave less room to memorise"))
    if not config.early_stopping:
        out.append(
            Suggestion(
                "early stopping",
                "hold out data and keep the best epoch",
                replace(config, early_stopping=True),
            )
        )
    return out


def _underfitting(config: RunConfig, verdict: dict[str, Any]) -> list[Suggestion]:
    if verdict.get("kind") == "still_learning":
        return _still_learning(config)
    out = []
    if config.alpha >= 1.0:
        out.append(
            Suggestion(
                f"alpha {_DEFAULT_ALPHA:g}",
                "a weaker L2 penalty lets the weights grow enough to fit",
                replace(config, alpha=_DEFAULT_ALPHA),
            )
        )
    if config.activation == "identity":
        out.append(
            Suggestion(
                "activation relu",
                "a non-linear activation: identity makes the network linear",
                replace(config, activation="relu"),
            )
        )
    more = tuple(max(2 * n, n + 4) for n in config.layers)
    out.append(
        Suggestion(_layers_label(more), "more neurons add capacity", replace(config, layers=more))
    )
    deeper = (*more, more[-1])
    out.append(
        Suggestion(
            _layers_label(deeper),
            "more neurons and one more layer",
            replace(config, layers=deeper),
        )
    )
    if config.activation not in ("identity", "tanh"):
        out.append(
            Suggestion(
                "activation tanh",
                "a smooth non-linearity can bend the boundary differently",
                replace(config, activation="tanh"),
            )
        )
    return out


def _still_learning(config: RunConfig) -> list[Suggestion]:
    epochs = min(MAX_EPOCHS, max(config.epochs * 3, config.epochs + 10))
    out = [
        Suggestion(
            f"epochs {epochs}",
            "it was still learning: give it more passes over the data",
            replace(config, epochs=epochs),
        )
    ]
    if config.lr < _MAX_LR:
        lr = min(_MAX_LR, _scaled(config.lr, 3))
        out.append(
            Suggestion(
                f"lr {lr:g}",
                "a higher learning rate takes bigger steps",
                replace(config, lr=lr),
            )
        )
    both = replace(config, epochs=min(MAX_EPOCHS, config.epochs * 2))
    out.append(
        Suggestion(
            f"epochs {both.epochs}, layers {format_layers(_wider(config.layers, 2))}",
            "more epochs and more neurons, if it is also short of capacity",
            replace(both, layers=_wider(config.layers, 2)),
        )
    )
    return out


def _good_fit(config: RunConfig, verdict: dict[str, Any]) -> list[Suggestion]:
    seed = (config.seed or 0) + 1
    out = [
        Suggestion(
            f"seed {seed}",
            "same settings, another start: is it robust?",
            replace(config, seed=seed),
        )
    ]
    if verdict.get("stop_note"):
        patience = min(config.epochs, max(config.n_iter_no_change * 5, 50))
        out.append(
            Suggestion(
                f"patience {patience}",
                "scikit-learn stopped it early: see what more epochs do",
                replace(config, n_iter_no_change=patience),
            )
        )
    out.extend(_halved(config, "a smaller network that may fit as well"))
    out.append(
        Suggestion(
            f"lr {_scaled(config.lr, 1 / 3):g}",
            "a gentler learning rate for a smoother curve",
            replace(config, lr=_scaled(config.lr, 1 / 3)),
        )
    )
    return out
