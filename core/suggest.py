"""Next-step variants of a run, derived from its verdict.

The remedies are the lesson's: an overfitting network gets stopped at its test peak,
a stronger L2 penalty or fewer neurons; an underfitting one more neurons or layers,
more epochs or a higher learning rate; a diverging one a lower learning rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.config import MAX_EPOCHS, RunConfig


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A variant to try: a short label, why, and the full config."""

    label: str
    why: str
    config: RunConfig


def _wider(layers: tuple[int, ...], factor: float) -> tuple[int, ...]:
    return tuple(max(1, round(n * factor)) for n in layers)


def suggest_next(config: RunConfig, verdict: dict[str, Any] | None) -> list[Suggestion]:
    """Two or three variants of ``config`` that address ``verdict`` (a diagnosis dict)."""
    kind = (verdict or {}).get("verdict")
    out: list[Suggestion] = []
    if kind == "diverged":
        out.append(
            Suggestion(
                f"lr {config.lr / 10:g}",
                "a 10x lower learning rate steps gently enough to converge",
                replace(config, lr=config.lr / 10),
            )
        )
        out.append(
            Suggestion(
                f"lr {config.lr / 100:g}",
                "100x lower if 10x is still unstable",
                replace(config, lr=config.lr / 100),
            )
        )
        if config.solver == "sgd":
            out.append(
                Suggestion(
                    "solver adam", "adam adapts its step per weight", replace(config, solver="adam")
                )
            )
        return out
    if kind == "overfitting":
        peak = int((verdict or {}).get("peak_epoch") or 0)
        if 0 < peak < config.epochs:
            out.append(
                Suggestion(
                    f"epochs {peak}",
                    f"stop where test accuracy peaked (epoch {peak})",
                    replace(config, epochs=peak),
                )
            )
        alpha = config.alpha * 10 if config.alpha > 0 else 0.001
        out.append(
            Suggestion(
                f"alpha {alpha:g}",
                "a stronger L2 penalty keeps weights small",
                replace(config, alpha=alpha),
            )
        )
        fewer = _wider(config.layers, 0.5)
        if fewer != config.layers:
            out.append(
                Suggestion(
                    f"layers {','.join(map(str, fewer))}",
                    "fewer neurons leave less room to memorise",
                    replace(config, layers=fewer),
                )
            )
        elif not config.early_stopping:
            out.append(
                Suggestion(
                    "early stopping",
                    "hold out data and keep the best epoch",
                    replace(config, early_stopping=True),
                )
            )
        return out[:3]
    if kind == "underfitting":
        more = _wider(config.layers, 2)
        out.append(
            Suggestion(
                f"layers {','.join(map(str, more))}",
                "more neurons add capacity",
                replace(config, layers=more),
            )
        )
        out.append(
            Suggestion(
                f"epochs {min(MAX_EPOCHS, config.epochs * 2)}",
                "more passes over the data",
                replace(config, epochs=min(MAX_EPOCHS, config.epochs * 2)),
            )
        )
        if config.lr < 0.1:
            out.append(
                Suggestion(
                    f"lr {config.lr * 3:g}",
                    "a higher learning rate converges faster",
                    replace(config, lr=config.lr * 3),
                )
            )
        else:
            deeper = (*config.layers, config.layers[-1])
            out.append(
                Suggestion(
                    f"layers {','.join(map(str, deeper))}",
                    "one more layer",
                    replace(config, layers=deeper),
                )
            )
        return out
    # good fit (or no verdict): small explorations around the config
    out.append(
        Suggestion(
            f"seed {(config.seed or 0) + 1}",
            "same settings, another start: is it robust?",
            replace(config, seed=(config.seed or 0) + 1),
        )
    )
    smaller = _wider(config.layers, 0.5)
    if smaller != config.layers:
        out.append(
            Suggestion(
                f"layers {','.join(map(str, smaller))}",
                "a smaller network that may fit as well",
                replace(config, layers=smaller),
            )
        )
    out.append(
        Suggestion(
            f"lr {config.lr / 3:g}",
            "a gentler learning rate for a smoother curve",
            replace(config, lr=config.lr / 3),
        )
    )
    return out
