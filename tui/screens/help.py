"""F1 / ``?``: a guide to the hyperparameters, to reading the curves (the text of
:data:`core.diagnosis.READING_THE_CURVES`), to the lesson's runs, and to the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from core.config import FIELD_INFO
from core.diagnosis import READING_THE_CURVES

KEYS: tuple[tuple[str, str], ...] = (
    ("ctrl+r", "run the form's config now (next in line if every worker is busy)"),
    ("ctrl+n", "put the form's config in the queue"),
    ("ctrl+q", "quit (asks only while runs train; they are left interrupted, resumable)"),
    ("F1 or ?", "this help (? only when no text field has focus)"),
    ("F2 F3 F4 F5", "Charts, Queue, History, Next step (no F-keys? ctrl+p, then 'show')"),
    ("ctrl+b", "show or hide the form column"),
    ("ctrl+g", "go to a field: type part of its name (pat for Patience), Enter"),
    ("F6", "sweep builder: ctrl+l launch · ctrl+s save TOML · ctrl+o load TOML · Escape close"),
    ("F7", "sweep results: b best into the form · e point into the form · n next chart · g charts"
     " · c export CSV · p export best .py · r refresh"),
    ("Tab / shift+Tab", "move focus; Escape closes a dialog"),
    ("ctrl+p", "command palette: every action by name"),
    ("Queue", "enter run next · c cancel · r retry · x remove · u/d move · f clear finished"
     " · +/- workers (0 pauses)"),
    ("History", "space mark or unmark (the cursor stays) · o overlay marked · enter chart"
     " · e edit in form · r rerun/resume · s sort · i invert · f filter · [ ] pages"
     " · p export .py · v export CSV"),
    ("Charts", "d decision regions (again: back; cancels one being computed) · l loss"
     " (screens too short for both charts) · y accuracy axis 0 to 1 or fitted · e edit in"
     " form · p export .py · ↑↓ scroll the overlay's table"),
    ("Next step", "1 2 3 or enter enqueue a variant · a all · e edit it in the form"
     " · l the lesson's runs (underfitting, good fit, overfitting, unstable), overlaid"),
    ("Dataset: CSV columns", "t make the column the target · x ignore the column, or use one"
     " the rules ignored (as --target, --drop, --keep)"),
    ("Queue: sweeps", "enter results · c cancel the sweep (its runs stop after their epoch)"),
)  # fmt: skip


def lesson_markdown() -> str:
    """The lesson's runs as :mod:`core.lesson` defines them (what l on Next step queues)."""
    from core.lesson import LESSON_DATASET, lesson_configs

    lines = [
        "## The lesson: l on the Next step tab",
        "",
        "**l** on the Next step tab (or ctrl+p, *Lesson*) queues four runs on the dataset",
        "in the form; the untouched default dataset gives way to "
        f"{LESSON_DATASET.label()} with {LESSON_DATASET.test_size:.0%} of the rows",
        "for testing, where each run gets the verdict it is named after. When all four",
        "have ended, the charts overlay their curves with their verdicts:",
        "",
    ]
    lines += [f"- **{run.expect}** ({run.label}): {run.why}." for run in lesson_configs()]
    return "\n".join(lines)


#: How the charts draw a run (after core's "reading the curves").
READING_THE_CHARTS = """\
## Reading the charts

The x-axis spans the epochs a run actually trained: a run that scikit-learn stopped
early (its loss no longer improved by `tol` for `patience` epochs) ends where it
stopped, the axis label says "stopped at 25 of 500" and the verdict says why in full.
The accuracy axis is fitted to the curves, so small differences show (`y` switches to
the full 0 to 1). The legend is the chart's header line. The overlay (History: mark
runs, `o`) draws each run in its own colour, test as a line and train as dots, with a
table of what differs between the runs, their scores and verdicts.
"""


def help_markdown() -> str:
    lines = ["# perceptune help", "", "## Keys", "", "| key | does |", "| --- | --- |"]
    lines += [f"| {key} | {text} |" for key, text in KEYS]
    lines += ["", "## Hyperparameters", ""]
    for info in FIELD_INFO.values():
        lines.append(f"- **{info.label}** (`{info.name}`): {info.help}")
    lines += ["", READING_THE_CURVES, READING_THE_CHARTS, lesson_markdown()]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(help_markdown(), id="help-text")
            yield Static("Escape, F1 or q closes this help", classes="help-line")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()
