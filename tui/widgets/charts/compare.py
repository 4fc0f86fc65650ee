"""What sets overlaid runs apart: the settings that differ between them, as short
labels (``#4 layers 1``, ``#7 layers 128,128 ep 500``) and as a table with their
scores and verdicts under the overlay chart."""

from __future__ import annotations

import textwrap
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from tui.format import acc, cv_score, dataset_label, verdict_color, verdict_name
from tui.usertext import one_line

if TYPE_CHECKING:
    from core.store import RunRecord

#: How a setting is named in a label: short, as the lesson says them.
SHORT_NAMES = {
    "layers": "layers",
    "lr": "lr",
    "epochs": "ep",
    "activation": "act",
    "solver": "solver",
    "alpha": "alpha",
    "batch_size": "batch",
    "lr_schedule": "schedule",
    "momentum": "momentum",
    "nesterov": "nesterov",
    "early_stopping": "early stop",
    "validation_fraction": "val",
    "tol": "tol",
    "n_iter_no_change": "patience",
    "seed": "seed",
}
#: Longest "what differs" text in a label (the table shows it whole, wrapped).
LABEL_CHARS = 28


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    """A run's hyperparameters with the defaults filled in: each stored value read as
    the form reads it (stored params may be partial, old, or from a version with other
    settings); a value that does not read is compared as stored. Whole-config checks
    (a network too big for this version) are not made: they would drop every value."""
    from core.config import FIELD_INFO, RunConfig, parse_field
    from core.errors import PerceptuneError

    settings = {f.name: getattr(RunConfig(), f.name) for f in fields(RunConfig)}
    for key, raw in params.items():
        name = key.replace("-", "_")
        if name in FIELD_INFO:
            try:
                settings[name] = parse_field(name, raw)
                continue
            except (PerceptuneError, TypeError, ValueError):
                pass
        settings[name] = raw
    return settings


def _data_key(dataset: dict[str, Any]) -> str:
    """What a run's data is, with the defaults filled in (``{"name": "moons"}`` and
    moons with its default noise and size are the same data)."""
    from core.datasets import DatasetSpec
    from core.errors import PerceptuneError

    try:
        filled = DatasetSpec.from_mapping(dataset).to_dict()
    except (PerceptuneError, TypeError, ValueError):
        filled = dict(dataset)
    return repr(_data_items(filled))


def value_text(name: str, value: Any) -> str:
    """``128,128`` for layers, ``on``/``off`` for switches, ``0.01`` for floats."""
    if name == "layers" and isinstance(value, (tuple, list)):
        return ",".join(str(n) for n in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return one_line(str(value), 20)


def differing(records: list[RunRecord]) -> list[str]:
    """Names of the settings (``data`` for the dataset) whose values are not the same
    for every run, in the form's order. Values are compared as the table shows them
    (``value_text``) after defaults are filled in: a setting whose shown value is the
    same in every run (``lr 0.01`` stored as 0.01, 0.010000000000000002 or not at
    all) never reads as a difference."""
    if len(records) < 2:
        return []
    settings = [_settings(r.params) for r in records]
    names = list(SHORT_NAMES) + sorted({k for s in settings for k in s} - set(SHORT_NAMES))
    found = [n for n in names if len({value_text(n, s.get(n)) for s in settings}) > 1]
    # Cross-validation is named on its own ("cv 3" beside "cv off"): the same data
    # with and without folds would otherwise read as two runs on "moons".
    if len({cv_text(r.dataset) for r in records}) > 1:
        found.insert(0, "cv")
    if len({_data_key(r.dataset) for r in records}) > 1:
        found.insert(0, "data")
    return found


#: The dataset keys of cross-validation, compared apart from the data (:func:`cv_text`).
CV_KEYS = ("cv", "refit")


def _data_items(dataset: dict[str, Any]) -> list[tuple[str, Any]]:
    """The dataset's keys and values but cross-validation's (named on their own)."""
    return sorted(((k, v) for k, v in dataset.items() if k not in CV_KEYS), key=repr)


def cv_text(dataset: dict[str, Any]) -> str:
    """A run's cross-validation as a setting's value: ``off``, ``3`` (folds, then a
    refit) or ``3 no refit``."""
    folds = dataset.get("cv")
    if not folds:
        return "off"
    return str(folds) if dataset.get("refit", True) else f"{folds} no refit"


def differs_text(record: RunRecord, names: list[str]) -> str:
    """``layers 128,128 ep 500``: this run's values of ``names``."""
    settings = _settings(record.params)
    parts = []
    for name in names:
        if name == "data":
            parts.append(one_line(dataset_label(record.dataset), 20))
        elif name == "cv":
            parts.append(f"cv {one_line(cv_text(record.dataset), 20)}")
        else:
            parts.append(f"{SHORT_NAMES.get(name, name)} {value_text(name, settings.get(name))}")
    return " ".join(parts)


def run_label(record: RunRecord, names: list[str]) -> str:
    """``#4 layers 1``: the run and what sets it apart (cut to LABEL_CHARS)."""
    differs = one_line(differs_text(record, names), LABEL_CHARS)
    return f"#{record.id} {differs}".strip()


#: Verdicts as a narrow table shows them.
SHORT_VERDICTS = {"underfitting": "under", "overfitting": "over", "good fit": "good"}


def overlay_table(
    records: list[RunRecord],
    colors: list[str],
    names: list[str],
    planned: dict[int, int],
    narrow: bool = False,
) -> Table:
    """Run (in its colour), the differing settings, train, test, gap and verdict; an
    early stop is noted next to the settings (``stopped 25/500``). ``narrow`` (under
    60 columns) shortens the verdicts so the settings keep room."""
    # Narrow: the run and its settings share a column, one space between columns.
    table = Table(
        box=None,
        padding=(0, 1, 0, 0) if narrow else (0, 1),
        show_edge=False,
        pad_edge=False,
        expand=False,
    )
    differs = "differs" if names else "settings"
    if not narrow:
        table.add_column("run", no_wrap=True)
    table.add_column(f"run {differs}" if narrow else differs, overflow="fold", min_width=10)
    # A cross-validated run's score (its folds' mean ± std) only when one is overlaid.
    cv = any(record.dataset.get("cv") for record in records)
    for name in ("train", "test", "cv ± std", "gap") if cv else ("train", "test", "gap"):
        table.add_column(name, justify="right", no_wrap=True, min_width=6 if name == "gap" else 5)
    table.add_column("verdict", no_wrap=True, min_width=8 if narrow else 12)
    for record, color in zip(records, colors, strict=False):
        run = Text(f"━ #{record.id}", style=f"bold {color}")
        settings = Text(differs_text(record, names) if names else one_line(record.label, 40))
        wanted = planned.get(record.id, 0)
        if record.n_epochs and wanted and record.n_epochs < wanted:
            stop = (
                f" stop {record.n_epochs}" if narrow else f" (stopped {record.n_epochs}/{wanted})"
            )
            settings.append(stop, style="dim")
        verdict = verdict_name(record.verdict)
        shown = SHORT_VERDICTS.get(verdict, verdict) if narrow else verdict
        scores: tuple[str, ...] = (acc(record.train_accuracy), acc(record.test_accuracy))
        if cv:
            scores += (cv_score(record.cv_accuracy, record.cv_std, bool(record.dataset.get("cv"))),)
        scores += (acc(record.gap),)
        cells = [Text.assemble(run, " ", settings)] if narrow else [run, settings]
        table.add_row(*cells, *scores, Text(shown, style=verdict_color(verdict)))
    return table


def compact_overlay_table(
    records: list[RunRecord],
    colors: list[str],
    names: list[str],
    planned: dict[int, int],
    width: int,
) -> Text:
    """The overlay's table for a narrow pane (``width`` cells): per run, one line with
    the run (in its colour), train, test (cv ± std), gap and the short verdict, and
    under it what differs, indented and wrapped to the width. Two lines a run where
    the wide table's folded "differs" column took four at 80x24."""
    cv = any(record.dataset.get("cv") for record in records)
    rows: list[tuple[Text, list[str], str, str]] = []
    for record, color in zip(records, colors, strict=False):
        run = Text(f"━ #{record.id}", style=f"bold {color}")
        wanted = planned.get(record.id, 0)
        if record.n_epochs and wanted and record.n_epochs < wanted:
            run.append(f" stop {record.n_epochs}", style="dim")
        scores = [acc(record.train_accuracy), acc(record.test_accuracy)]
        if cv:
            scores.append(
                cv_score(record.cv_accuracy, record.cv_std, bool(record.dataset.get("cv")))
            )
        scores.append(acc(record.gap))
        verdict = verdict_name(record.verdict)
        differs = differs_text(record, names) if names else one_line(record.label, 80)
        rows.append((run, scores, verdict, differs))
    heads = ["train", "test", *(["cv ± std"] if cv else []), "gap"]
    widths = [max([len(h)] + [len(r[1][i]) for r in rows]) for i, h in enumerate(heads)]
    first = max([len("run differs")] + [r[0].cell_len for r in rows])
    text = Text()
    text.append("run differs".ljust(first))
    for head, cell in zip(heads, widths, strict=True):
        text.append(f" {head:>{cell}}")
    text.append(" verdict")
    indent = "  "
    for run, scores, verdict, differs in rows:
        text.append("\n")
        text.append_text(run)
        text.append(" " * (first - run.cell_len))
        for score, cell in zip(scores, widths, strict=True):
            text.append(f" {score:>{cell}}")
        text.append(" ")
        text.append(SHORT_VERDICTS.get(verdict, verdict), style=verdict_color(verdict))
        for line in textwrap.wrap(differs, max(10, width - len(indent))) or [""]:
            text.append(f"\n{indent}{line}")
    return text
