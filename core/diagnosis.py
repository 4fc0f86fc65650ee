"""Read a finished run's curves the way the lesson does, in this order:

1. ``diverged``: the loss became NaN, infinite or exploded (the run stopped). The cause
   is named: a huge ``alpha`` when alpha is at least ``ALPHA_OVERFLOW``, unscaled
   features when the data was not standardised, else the learning rate.
2. ``unstable``: the loss keeps climbing back above the best it had reached. The
   measure (``instability``) is the share of epochs whose loss is more than
   ``LOSS_CLIMB`` x ln(classes) above the lowest loss of the epochs before it
   (ln(classes) is the loss of guessing every class equally likely, so the scale is
   the same for every dataset); ``UNSTABLE_SHARE`` of the epochs or more is unstable.
   A network left at chance level after its loss blew up above ``BLOWUP_LOSS`` x
   ln(classes) is unstable too (unless alpha, whose penalty is part of the loss, is
   ``ALPHA_HIGH`` or more). Test-accuracy swings (back and forth by more than the
   noise) are reported too.
3. ``underfitting``: train accuracy clearly below what the data allows (the
   reference accuracy of simple models, :mod:`core.reference`): lower by more than
   ``UNDERFIT_MARGIN`` and more than the noise. Two kinds: ``still_learning`` (the
   run used all its epochs, fewer than ``RECENT_MIN`` of them or with its loss still
   falling over the last 10% of them at ``STILL_LEARNING_PACE`` or more of its
   average pace) or ``capacity`` (the loss has flattened: too few neurons, a
   linear network, or an alpha of ``ALPHA_HIGH`` or more). Checked before
   overfitting: a network at chance level is never "overfitting".
4. ``overfitting``: train minus test above ``OVERFIT_GAP`` and above the noise, or
   test fell from its peak by more than ``TEST_DROP`` and the noise while train
   still rose by more than ``TRAIN_RISE``; the peak epoch is named.
5. ``good fit``: none of these.

Noise: the binomial standard error of an accuracy p over n test rows,
sqrt(p(1-p)/n); a difference counts only beyond ``NOISE_Z`` standard errors (about
95%). On 38 test rows that is about 0.05, on 450 rows about 0.016.

Every rule is a function of plain inputs (the curve, :class:`DataFacts`, the
:class:`~core.config.RunConfig`, the run's status), so it can be tested without
training anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from core.config import RunConfig, format_layers
from core.results import EpochPoint

#: Standard errors a difference must exceed to count (two-sided ~95%).
NOISE_Z = 2.0
#: Train minus test accuracy must exceed this (as well as the noise) to be overfitting.
OVERFIT_GAP = 0.05
#: Drop of test accuracy from its peak (beyond the noise too) that is overfitting...
TEST_DROP = 0.02
#: ...when train accuracy still rose by more than this after the peak.
TRAIN_RISE = 0.005
#: Train accuracy this far (and beyond the noise) below the reference is underfitting.
UNDERFIT_MARGIN = 0.02
#: Without a reference: closing less than this share of the way from the
#: majority-class baseline to 100% train accuracy is underfitting.
UNDERFIT_SKILL = 0.6
#: A loss more than this times ln(classes) above its best so far has climbed back.
LOSS_CLIMB = 0.1
#: Share of epochs whose loss climbed back at or above which a run is unstable.
UNSTABLE_SHARE = 0.1
#: A loss above this times ln(classes) has blown up: with a network left at chance
#: level it is unstable too (the steps threw the weights where nothing is learnt).
BLOWUP_LOSS = 3.0
#: Fewer epochs than this are too few to call a run unstable.
MIN_UNSTABLE_EPOCHS = 3
#: A run that used all its epochs is still learning when its loss fell over the
#: recent epochs at this share or more of its average pace over the whole run.
STILL_LEARNING_PACE = 0.5
#: The recent epochs: the last 10% of the run, at least 5 epochs.
RECENT_SHARE = 0.1
RECENT_MIN = 5
#: An alpha at or above this is named as a cause of underfitting.
ALPHA_HIGH = 1.0
#: A diverged run with an alpha at or above this diverged because of alpha.
ALPHA_OVERFLOW = 1000.0

VERDICTS = ("underfitting", "overfitting", "good fit", "unstable", "diverged")


@dataclass(frozen=True, slots=True)
class DataFacts:
    """What a verdict needs to know about the data a run trained on.

    ``n_test`` is the number of test rows (the noise of every accuracy), ``n_classes``
    the number of classes (the loss scale), ``baseline`` the test accuracy of always
    guessing the most common train class, ``reference`` the test accuracy simple
    models reach on the same split (what the data allows; None when unknown) and
    ``scaled`` whether the features were standardised.
    """

    n_test: int = 0
    n_classes: int = 2
    baseline: float = 0.0
    reference: float | None = None
    scaled: bool = True
    #: Cross-validated runs: the standard deviation of the folds' validation accuracy.
    #: It is the noise level of every accuracy when larger than the binomial noise of
    #: the ``n_test`` validated rows.
    spread: float | None = None

    def noise_of(self, accuracy: float) -> float:
        """The noise of ``accuracy`` on this data: the binomial standard error over
        ``n_test`` rows, or the folds' spread when that is larger."""
        return max(noise(accuracy, self.n_test), self.spread or 0.0)

    def noise_label(self) -> str:
        """What the noise is measured on, for messages: ``38 test rows``."""
        if self.spread is not None:
            return f"the folds (spread ±{self.spread:.3f}, {self.n_test} validated rows)"
        return _rows(self.n_test)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict with every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataFacts:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        reference = data.get("reference")
        return cls(
            n_test=int(data.get("n_test", 0)),
            n_classes=int(data.get("n_classes", 2)),
            baseline=float(data.get("baseline", 0.0)),
            reference=None if reference is None else float(reference),
            scaled=bool(data.get("scaled", True)),
            spread=None if data.get("spread") is None else float(data["spread"]),
        )


@dataclass(slots=True)
class Diagnosis:
    """A verdict and the numbers behind it."""

    verdict: str
    summary: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "summary": self.summary, **self.numbers}


# --- measures ---------------------------------------------------------------------------


def noise(accuracy: float, n_test: int) -> float:
    """Binomial standard error of ``accuracy`` measured on ``n_test`` rows.

    The accuracy is kept at least one row away from 0 and 1, so a perfect score
    still has the noise of one row's worth of error. 0 when ``n_test`` is unknown.
    """
    if n_test <= 0:
        return 0.0
    edge = 1.0 / n_test
    p = min(max(accuracy, edge), 1.0 - edge) if n_test > 1 else 0.5
    return math.sqrt(p * (1.0 - p) / n_test)


def loss_instability(losses: Sequence[float], n_classes: int) -> tuple[float, int]:
    """``(share, climbs)``: epochs (after the first) whose loss is more than
    ``LOSS_CLIMB`` x ln(n_classes) above the lowest loss before them, and their share.

    A stable run's loss only falls, or wobbles far below that scale; a too-high
    learning rate throws it back up, again and again.
    """
    finite = [loss for loss in losses if math.isfinite(loss)]
    if len(finite) < 2:
        return 0.0, 0
    scale = LOSS_CLIMB * math.log(max(2, n_classes))
    best = finite[0]
    climbs = 0
    for loss in finite[1:]:
        if loss > best + scale:
            climbs += 1
        best = min(best, loss)
    return climbs / (len(finite) - 1), climbs


def biggest_loss_jump(curve: Sequence[EpochPoint]) -> tuple[int, float, float] | None:
    """``(epoch, before, after)`` of the largest epoch-to-epoch rise of the loss."""
    best: tuple[int, float, float] | None = None
    for before, after in zip(curve, curve[1:], strict=False):
        if not (math.isfinite(before.loss) and math.isfinite(after.loss)):
            continue
        rise = after.loss - before.loss
        if rise > 0 and (best is None or rise > best[2] - best[1]):
            best = (after.epoch, before.loss, after.loss)
    return best


def accuracy_swings(curve: Sequence[EpochPoint], n_test: int) -> int:
    """Epochs where test accuracy jumped by more than the noise and the next epoch
    jumped back the other way by more than the noise too."""
    count = 0
    for a, b, c in zip(curve, curve[1:], curve[2:], strict=False):
        up = b.test_accuracy - a.test_accuracy
        back = c.test_accuracy - b.test_accuracy
        limit = NOISE_Z * noise(b.test_accuracy, n_test)
        if up * back < 0 and abs(up) > limit and abs(back) > limit:
            count += 1
    return count


def loss_pace(curve: Sequence[EpochPoint]) -> float:
    """How fast the loss still fell over the recent epochs (the last ``RECENT_SHARE``
    of the run, at least ``RECENT_MIN``), as a share of its average pace over the
    whole run: about 1 while it falls steadily, near 0 once it has flattened."""
    losses = [p.loss for p in curve if math.isfinite(p.loss)]
    if len(losses) < 2:
        return 0.0
    window = min(len(losses) - 1, max(RECENT_MIN, round(len(losses) * RECENT_SHARE)))
    recent = (losses[-1 - window] - losses[-1]) / window
    overall = (losses[0] - losses[-1]) / (len(losses) - 1)
    if overall <= 0:
        return 0.0
    return max(0.0, recent / overall)


# --- helpers ---------------------------------------------------------------------------


def _skill(accuracy: float, baseline: float) -> float:
    if baseline >= 1.0:
        return 1.0
    return (accuracy - baseline) / (1.0 - baseline)


def _rows(n_test: int) -> str:
    return f"{n_test} test row" + ("" if n_test == 1 else "s")


def _network(layers: Sequence[int]) -> str:
    total = sum(layers)
    if len(layers) == 1:
        return f"{total} neuron" + ("" if total == 1 else "s")
    return f"layers {format_layers(tuple(layers))}"


def _stopped_by_sklearn(config: RunConfig, status: str, n_epochs: int) -> bool:
    """scikit-learn's own stop (tol / n_iter_no_change, or early stopping) ended it."""
    return status == "done" and config.solver != "lbfgs" and 0 < n_epochs < config.epochs


def _within(value: float, limit: float, n_test: int, what: str, label: str = "") -> str:
    """``"gap 0.017 is within the noise of 38 test rows (±0.052)"``-style text."""
    if n_test <= 0:
        return f"{what} {value:.3f}"
    relation = "within" if abs(value) <= limit else "beyond"
    return f"{what} {value:.3f} is {relation} the noise of {label or _rows(n_test)} (±{limit:.3f})"


# --- the verdict -----------------------------------------------------------------------


def diagnose(
    curve: Sequence[EpochPoint],
    facts: DataFacts,
    config: RunConfig | None = None,
    status: str = "done",
) -> Diagnosis:
    """Verdict for a run's ``curve`` on data described by ``facts``.

    ``config`` is the run's hyperparameters (layers, activation, alpha, learning rate,
    solver, epochs, patience: they name causes and tell a run that stopped early
    from one that used all its epochs); None means unknown. ``status`` is the run's
    end status (``done``, ``pruned``, ``diverged``).
    """
    curve = list(curve)
    n_epochs = curve[-1].epoch if curve else 0
    if config is None:
        config = RunConfig(epochs=max(1, n_epochs))
    base_numbers: dict[str, Any] = {
        "baseline": round(facts.baseline, 6),
        "reference_accuracy": None if facts.reference is None else round(facts.reference, 6),
        "n_test": facts.n_test,
    }
    if facts.spread is not None:  # cross-validated: the folds' spread is the noise
        base_numbers["fold_spread"] = round(facts.spread, 6)
    if status == "diverged":
        return _diverged(curve, facts, config, base_numbers)
    if not curve:
        return Diagnosis("underfitting", "no epoch finished", {**base_numbers, "kind": "capacity"})

    final = curve[-1]
    train, test = final.train_accuracy, final.test_accuracy
    gap = train - test
    peak = max(curve, key=lambda p: (p.test_accuracy, -p.epoch))
    test_noise = facts.noise_of(test)
    share, climbs = loss_instability([p.loss for p in curve], facts.n_classes)
    swings = accuracy_swings(curve, facts.n_test)
    # What the data allows: the reference, never below always guessing the majority.
    allows = None if facts.reference is None else max(facts.reference, facts.baseline)
    numbers: dict[str, Any] = {
        "train_accuracy": train,
        "test_accuracy": test,
        "gap": round(gap, 6),
        **base_numbers,
        "noise": round(test_noise, 6),
        "noise_z": NOISE_Z,
        "train_skill": round(_skill(train, facts.baseline), 6),
        "peak_test_accuracy": peak.test_accuracy,
        "peak_epoch": peak.epoch,
        "instability": round(share, 6),
        "loss_climbs": climbs,
        "accuracy_swings": swings,
    }
    # A cross-validated curve's held-out side is the folds' validation ("cv"), not the
    # test part (the refit's test score is reported beside the verdict, not in it).
    held = "cv" if facts.spread is not None else "test"
    scores = f"train {train:.3f}, {held} {test:.3f}"
    allows_text = f"this data allows about {allows:.3f}" if allows is not None else ""

    # 2. unstable
    losses = [p.loss for p in curve if math.isfinite(p.loss)]
    max_loss = max(losses, default=0.0)
    numbers["max_loss"] = max_loss if losses else None
    chance = facts.baseline + NOISE_Z * facts.noise_of(facts.baseline)
    blown = (
        max_loss > BLOWUP_LOSS * math.log(max(2, facts.n_classes))
        and config.alpha < ALPHA_HIGH
        and train <= chance
    )
    if len(curve) >= MIN_UNSTABLE_EPOCHS and (share >= UNSTABLE_SHARE or blown):
        return _unstable(curve, facts, config, numbers, scores, share, swings, blown)

    # 3. underfitting
    underfit, margin = _underfits(train, facts, allows)
    if underfit:
        return _underfitting(curve, facts, config, status, numbers, scores, allows, margin)

    # 4. overfitting
    gap_limit = max(OVERFIT_GAP, NOISE_Z * test_noise)
    drop = peak.test_accuracy - test
    drop_limit = max(TEST_DROP, NOISE_Z * facts.noise_of(peak.test_accuracy))
    train_rise = train - peak.train_accuracy
    numbers["gap_limit"] = round(gap_limit, 6)
    numbers["drop"] = round(drop, 6)
    numbers["drop_limit"] = round(drop_limit, 6)
    by_gap = gap > gap_limit
    by_drop = drop > drop_limit and train_rise > TRAIN_RISE
    if by_gap or by_drop:
        text = f"overfitting: {scores}"
        if by_gap:
            limit = NOISE_Z * test_noise
            text += f" ({_within(gap, limit, facts.n_test, 'gap', facts.noise_label())})"
        text += f"; {held} peaked at {peak.test_accuracy:.3f} at epoch {peak.epoch}"
        if by_drop:
            text += (
                f" and fell {drop:.3f} (beyond the noise, ±{drop_limit:.3f}) while train "
                f"rose to {train:.3f}"
            )
        numbers["overfit_by"] = [name for name, hit in (("gap", by_gap), ("drop", by_drop)) if hit]
        return Diagnosis("overfitting", text, numbers)

    # 5. good fit
    text = f"good fit: {scores} ({_gap_text(gap, test_noise, facts.n_test, facts.noise_label())})"
    if allows_text:
        text += f"; {allows_text}"
    note = _stop_note(curve, facts, config, status)
    if note:
        numbers["stop_note"] = note
        text += f"; {note}"
    return Diagnosis("good fit", text, numbers)


def _gap_text(gap: float, test_noise: float, n_test: int, label: str = "") -> str:
    limit = NOISE_Z * test_noise
    if n_test <= 0:
        return f"gap {gap:.3f}"
    if abs(gap) <= limit:
        return _within(gap, limit, n_test, "gap", label)
    return (
        f"gap {gap:.3f}: beyond the noise of {label or _rows(n_test)} (±{limit:.3f}) "
        f"but under {OVERFIT_GAP:g}"
    )


def _underfits(train: float, facts: DataFacts, allows: float | None) -> tuple[bool, float]:
    """Whether train accuracy is clearly below what the data allows, and the margin."""
    if allows is not None and allows > facts.baseline:
        margin = max(UNDERFIT_MARGIN, NOISE_Z * facts.noise_of(allows))
        return allows - train > margin, margin
    return _skill(train, facts.baseline) < UNDERFIT_SKILL, 0.0


def _diverged(
    curve: list[EpochPoint], facts: DataFacts, config: RunConfig, numbers: dict[str, Any]
) -> Diagnosis:
    last = curve[-1].epoch if curve else 0
    when = f"diverged after epoch {last}" if last else "diverged in the first epoch"
    if config.alpha >= ALPHA_OVERFLOW:
        cause = "alpha"
        advice = (
            f"alpha {config.alpha:g} makes the L2 penalty on the weights blow up the loss: "
            "lower alpha (the default is 0.0001)"
        )
    elif not facts.scaled:
        cause = "scaling"
        advice = (
            "the features are not standardised, so the steps are too large for them: "
            f"scale the data, or lower the learning rate ({config.lr:g})"
        )
    else:
        cause = "learning_rate"
        advice = f"the learning rate {config.lr:g} is too high: lower it"
    return Diagnosis(
        "diverged", f"{when}: {advice}", {**numbers, "last_epoch": last, "cause": cause}
    )


def _unstable(
    curve: list[EpochPoint],
    facts: DataFacts,
    config: RunConfig,
    numbers: dict[str, Any],
    scores: str,
    share: float,
    swings: int,
    blown: bool,
) -> Diagnosis:
    text = f"unstable: {scores}; the loss climbed back above its best in {share:.0%} of the epochs"
    jump = biggest_loss_jump(curve)
    if share < UNSTABLE_SHARE and blown:
        ratio = numbers["max_loss"] / math.log(max(2, facts.n_classes))
        text = (
            f"unstable: {scores}; the loss blew up to {numbers['max_loss']:.3g} "
            f"({ratio:.0f}x the loss of guessing) and left the network at chance level"
        )
        jump = None
    if jump is not None:
        epoch, before, after = jump
        text += f" (from {before:.3g} to {after:.3g} at epoch {epoch})"
        numbers["biggest_jump"] = {"epoch": epoch, "from": before, "to": after}
    if swings:
        held = "cv" if facts.spread is not None else "test"
        text += (
            f" and {held} accuracy jumped back and forth by more than the noise {swings} time"
            + ("" if swings == 1 else "s")
        )
    text += f": the learning rate {config.lr:g} is too high, lower it"
    if config.solver == "sgd" and config.momentum > 0.5:
        text += f" (or the momentum {config.momentum:g})"
    numbers["cause"] = "learning_rate"
    return Diagnosis("unstable", text, numbers)


def _underfitting(
    curve: list[EpochPoint],
    facts: DataFacts,
    config: RunConfig,
    status: str,
    numbers: dict[str, Any],
    scores: str,
    allows: float | None,
    margin: float,
) -> Diagnosis:
    train = curve[-1].train_accuracy
    if allows is not None and allows > facts.baseline:
        text = f"underfitting: {scores}, while this data allows about {allows:.3f}"
        numbers["underfit_margin"] = round(margin, 6)
    else:
        text = f"underfitting: {scores}, majority-class baseline {facts.baseline:.3f}"
    chance = facts.baseline + NOISE_Z * facts.noise_of(facts.baseline)
    if train <= chance:
        text += f" (no better than always guessing the majority class, {facts.baseline:.3f})"
    n_epochs = curve[-1].epoch
    pace = loss_pace(curve)
    numbers["loss_pace"] = round(pace, 6)
    used_all = not _stopped_by_sklearn(config, status, n_epochs) and config.solver != "lbfgs"
    if used_all and (len(curve) < RECENT_MIN or pace >= STILL_LEARNING_PACE):
        numbers["kind"] = "still_learning"
        how = (
            f"only {n_epochs} epoch" + ("" if n_epochs == 1 else "s")
            if len(curve) < RECENT_MIN
            else f"the loss still fell at {pace:.0%} of its average pace over the last epochs"
        )
        text += (
            f"; still learning when it stopped: {how} (epochs {config.epochs}, "
            f"learning rate {config.lr:g})"
        )
        return Diagnosis("underfitting", text, numbers)
    numbers["kind"] = "capacity"
    loss = curve[-1].loss
    flat = f"the loss has flattened at {loss:.3g}" if math.isfinite(loss) else ""
    if config.activation == "identity":
        reason = "the identity activation makes the network linear"
    elif config.alpha >= ALPHA_HIGH:
        reason = f"alpha {config.alpha:g} penalises the weights so hard the network stays simple"
    else:
        reason = f"{_network(config.layers)} for this data"
    text += f"; too little capacity: {reason}" + (f" ({flat})" if flat else "")
    return Diagnosis("underfitting", text, numbers)


def _stop_note(curve: list[EpochPoint], facts: DataFacts, config: RunConfig, status: str) -> str:
    """Say so when scikit-learn's tol stop ended the run early while test was still
    at its best (within the noise): more epochs might still help."""
    n_epochs = curve[-1].epoch
    if config.early_stopping or not _stopped_by_sklearn(config, status, n_epochs):
        return ""
    peak = max(p.test_accuracy for p in curve)
    final = curve[-1].test_accuracy
    if peak - final > max(TEST_DROP, NOISE_Z * facts.noise_of(peak)):
        return ""
    return (
        f"stopped at epoch {n_epochs} of {config.epochs} because the loss stopped "
        f"improving (patience {config.n_iter_no_change}): raise patience to see what "
        "more epochs do"
    )


#: "Reading the curves" for the help screen and the README (Markdown), built from the
#: constants above so the explanation always matches the rules.
READING_THE_CURVES = f"""\
## Reading train vs test curves

Each run records **train accuracy** (on the rows it learns from), **test accuracy**
(on held-out rows) and the training **loss** after every epoch. The verdict reads
them in this order:

- **Diverged**: the loss became NaN, infinite or exploded and the run stopped. Lower
  the learning rate (or alpha, when alpha is huge; or scale the features).
- **Unstable**: the loss keeps jumping back up instead of falling (in
  {UNSTABLE_SHARE:.0%} or more of the epochs it sits more than {LOSS_CLIMB:g} x the
  loss of guessing above its best), and test accuracy often jumps back and forth.
  The learning rate is too high: divide it by 3 or 10 (with sgd, lower the momentum).
- **Underfitting**: train accuracy stays clearly below what the data allows, the
  accuracy simple models (k-nearest neighbours, logistic regression) reach on the
  same split ("this data allows about 0.97"). A flattened loss means too little
  capacity: more neurons or layers, a non-linear activation, less alpha. A loss still
  falling when the epochs ran out means it was still learning: more epochs or a
  higher learning rate. A network at chance level is never overfitting.
- **Overfitting**: train high and test clearly lower (a gap above {OVERFIT_GAP:g}), or
  test peaked and then fell while train kept rising. Stop at the peak epoch, raise
  alpha, use fewer neurons, or turn on early stopping.
- **Good fit**: none of these: both curves near what the data allows, close together.

"Clearly" means beyond the noise: an accuracy p measured on n test rows is uncertain
by about sqrt(p(1-p)/n), and a gap or a fall counts only beyond {NOISE_Z:g} times
that. On 38 rows a 0.02 gap is noise, on 450 rows it is not; the verdict says which
("gap 0.017 is within the noise of 38 test rows").
"""
