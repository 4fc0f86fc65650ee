"""The dataset pane: a built-in, synthetic or CSV dataset, its split and scaling, and
what core says about it (rows, features, classes, balance, or a one-line error).

For a CSV file it also shows what ``perceptune inspect`` shows (core.inspection): the
column table with each column's kind, missing cells and action, the rows used and
dropped, the classes, and every problem at once. ``t`` on a column makes it the
target and ``x`` toggles it ignored: they set the spec's ``target`` and ``drop``/``keep``
(the CLI's --target, --drop, --keep), so a run from the form trains on what the table
shows. The file is read in a thread worker, never on the UI thread."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from core.datasets import BUILTIN_NAMES, DatasetSpec
from core.errors import ConfigError, InputError
from tui.messages import DatasetDescribed
from tui.usertext import one_line
from tui.widgets.dataset.hint import LeftColumn
from tui.widgets.dataset.report import (
    column_line,
    pane_note,
    summary_text,
    toggle_refusal,
    toggled,
    without,
)
from tui.widgets.dataset.table import ColumnTable
from tui.widgets.field_input import FieldInput
from tui.widgets.fields import FieldGrid, FieldPane
from tui.widgets.onoff import OnOffSwitch

if TYPE_CHECKING:
    from core.datasets import DatasetInfo
    from core.inspection import TableReport

CSV = "csv"
#: field -> (label, help line)
FIELDS: dict[str, tuple[str, str]] = {
    "train": ("Train CSV", "CSV file with a header row: all data, or the train part."),
    "test": ("Test CSV", "Optional separate test file (then nothing is split)."),
    "target": ("Target", "Target column name; empty means the last column."),
    "noise": ("Noise", "How much the classes blur into each other (0 = clean)."),
    "n_samples": ("Samples", "Number of generated rows."),
    "test_size": ("Test fraction", "Share of rows held out for testing, e.g. 0.25."),
    "split_seed": ("Split seed", "Seeds the train/test split (and the generator)."),
    "scale": ("Scale", "Standardise features (fit on the train part only)."),
    "cv": ("CV folds", "k-fold cross-validation of the train part: 0 = off, or 2 to 50 folds."),
    "refit": ("Refit", "With CV folds: also train on the whole train part for a test score."),
}
#: Fields drawn as an on/off switch rather than typed.
SWITCHES = ("scale", "refit")
CSV_ONLY = ("train", "test", "target")
#: CSV reading settings without a field of their own: kept from a loaded spec (a run
#: reopened from History) and set by the column table's keys (drop, keep).
CSV_OPTIONS = ("sep", "decimal", "na_values", "header", "drop", "keep")
#: What the run keys say when the data cannot be used.
CSV_UNUSABLE = "the CSV can't be used: see the Dataset pane"
DATA_UNUSABLE = "the dataset can't be used: see the Dataset pane"
RED_FIELDS = "Fix the fields marked in red first"
#: Under the problems: the CLI's --target/--keep in the pane's terms.
FIX_KEYS = "→ in the column table below: t makes a column the target, x uses or ignores one"
SYNTHETIC_ONLY = ("noise", "n_samples")
#: Typing pauses this long before the dataset is checked again.
DESCRIBE_DELAY_S = 0.3
FIRST_DESCRIBE_DELAY_S = 0.1


def _is_synthetic(name: str) -> bool:
    return DatasetSpec(name=name).is_synthetic()


def _relevant(source: str) -> tuple[str, ...]:
    """The source-specific fields that apply to ``source``."""
    if source == CSV:
        return CSV_ONLY
    return SYNTHETIC_ONLY if _is_synthetic(source) else ()


class DatasetPane(FieldPane):
    """Choose and check the data a run trains on."""

    DEFAULT_CSS = """
    DatasetPane #d-column, DatasetPane #d-notes {
        padding: 0 1;
        height: auto;
        color: $text-muted;
    }
    DatasetPane #d-problems {
        padding: 0 1;
        height: auto;
        color: $text-error;
    }
    DatasetPane #d-warnings {
        padding: 0 1;
        height: auto;
        color: $text-warning;
    }
    """

    def __init__(self, spec: DatasetSpec | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = spec or DatasetSpec()
        self.info: DatasetInfo | None = None
        self.data_error = ""
        self._timer: Timer | None = None
        self._described: tuple[Any, ...] | None = None
        self._error_key: tuple[Any, ...] | None = None
        #: A check or description is pending (tests wait on it).
        self.describing = True
        self._error_text = ""
        #: The CSV's report (None for built-in data, or a file that cannot be read).
        self.report: TableReport | None = None
        self._options = {name: getattr(self._initial, name) for name in CSV_OPTIONS}
        #: The train path the drop/keep choices belong to (another file clears them).
        self._options_path = self._initial.train or ""

    def compose(self) -> ComposeResult:
        spec = self._initial
        options = [(name, name) for name in BUILTIN_NAMES] + [("CSV file…", CSV)]
        children: list[Widget] = [Label("Data", classes="field-label", id="dlbl-source")]
        source = Select(
            options, value=spec.name or CSV, allow_blank=False, compact=True, id="d-source"
        )
        source.tooltip = "A built-in dataset, a synthetic 2-D set, or your CSV file."
        children.append(source)
        texts = _field_texts(spec)
        off = {*CSV_ONLY, *SYNTHETIC_ONLY} - set(_relevant(spec.name or CSV))
        if not spec.cv:
            off.add("refit")  # only with cross-validation
        for name, (label, help_text) in FIELDS.items():
            hidden = " -off" if name in off else ""
            children.append(Label(label, classes="field-label" + hidden, id=f"dlbl-{name}"))
            if name in SWITCHES:
                widget: Widget = OnOffSwitch(
                    value=getattr(spec, name), id=f"d-{name}", classes=hidden.strip()
                )
            else:
                widget = FieldInput(
                    texts[name],
                    placeholder={"test": "optional", "target": "last column"}.get(name, ""),
                    compact=True,
                    id=f"d-{name}",
                    classes=hidden.strip(),
                )
            widget.tooltip = help_text
            children.append(widget)
        yield FieldGrid(*children, prefix="d", id="dataset-grid")
        yield Static("", id="d-error", classes="data-error", markup=False)
        # What stops a run first: at 80x24 the pane is one screen.
        yield Static("", id="d-problems", classes="-off", markup=False)
        yield Static("", id="d-info", markup=False)
        yield ColumnTable(id="d-columns", classes="-off")
        yield Static("", id="d-column", classes="-off", markup=False)
        yield Static("", id="d-warnings", classes="-off", markup=False)
        yield Static("", id="d-notes", classes="-off", markup=False)

    def on_mount(self) -> None:
        # Loading a dataset imports scikit-learn: not before the first frame.
        self._timer = self.set_timer(FIRST_DESCRIBE_DELAY_S, self.refresh_info)

    # -- values ------------------------------------------------------------------------

    @property
    def source(self) -> str:
        value = self.query_one("#d-source", Select).value
        return value if isinstance(value, str) else CSV

    def raw_values(self) -> dict[str, Any]:
        source = self.source
        values: dict[str, Any] = {}
        if source == CSV:
            values["name"] = None
            for name in CSV_ONLY:
                values[name] = self.query_one(f"#d-{name}", Input).value
            values.update(self._options)
        else:
            values["name"] = source
            if _is_synthetic(source):
                for name in SYNTHETIC_ONLY:
                    values[name] = self.query_one(f"#d-{name}", Input).value
        for name in ("test_size", "split_seed"):
            values[name] = self.query_one(f"#d-{name}", Input).value
        values["cv"] = self.query_one("#d-cv", Input).value
        for name in SWITCHES:
            values[name] = self.query_one(f"#d-{name}", Switch).value
        return values

    def check(self) -> tuple[DatasetSpec | None, dict[str, str], str]:
        """Ask core about the pane's values: the spec, field errors, a data error."""
        errors: dict[str, str] = {}
        values = self.raw_values()
        if values.get("name") is None and not str(values.get("train") or "").strip():
            return None, {"train": "give the path of a CSV file with a header row"}, ""
        # Field by field first, so every bad field gets its own message.
        for name, value in values.items():
            if name == "name":
                continue
            try:
                DatasetSpec.from_mapping({name: value}, base=DatasetSpec(name=None, train="x"))
            except ConfigError as error:
                errors[name] = error.message
            except InputError:
                pass  # combination problems: reported by the full check below
        # A setting without a field (a loaded --sep, say): its message goes on the data line.
        hidden = [f"{name}: {message}" for name, message in errors.items() if name not in FIELDS]
        if errors:
            return None, {k: v for k, v in errors.items() if k in FIELDS}, "; ".join(hidden)
        try:
            return DatasetSpec.from_mapping(values, base=DatasetSpec()), {}, ""
        except ConfigError as error:
            if error.field in FIELDS:
                return None, {error.field: error.message}, ""
            return None, {}, str(error)
        except InputError as error:
            return None, {}, str(error)

    def read_spec(self) -> DatasetSpec | None:
        """The spec the pane describes, or None after showing core's message inline
        (including a file core could not load)."""
        spec, errors, data_error = self.check()
        if spec is not None and self._key(spec) == self._error_key:
            data_error = self._error_text
            self._described = None
            self._schedule_describe()  # the file may have been fixed since
        self._show_errors(errors, data_error)
        return spec if not errors and not data_error else None

    def load(self, spec: DatasetSpec) -> None:
        """Show ``spec`` (e.g. the dataset of a run reopened from History)."""
        self.query_one("#d-source", Select).value = spec.name or CSV
        texts = _field_texts(spec)
        for name, text in texts.items():
            self.query_one(f"#d-{name}", Input).value = text
        for name in SWITCHES:
            self.query_one(f"#d-{name}", Switch).value = getattr(spec, name)
        self._options = {name: getattr(spec, name) for name in CSV_OPTIONS}
        self._options_path = spec.train or ""
        self._update_mode()
        self._schedule_describe()

    def refuse_run(self, form_invalid: bool, why: str = "") -> str:
        """What the run keys say when the form (``form_invalid``) or this pane cannot
        give a run; ``why`` ends the red-fields message. Brings the pane into view when
        its data is the reason (at 80x24 it sits below the form)."""
        if not self.data_error:
            return f"{RED_FIELDS}{why}."
        unusable = CSV_UNUSABLE if self.source == CSV else DATA_UNUSABLE
        self.scroll_visible(animate=False)
        if form_invalid or self.errors:
            return f"{RED_FIELDS}; {unusable}."
        return unusable[0].upper() + unusable[1:] + "."

    # -- events ------------------------------------------------------------------------

    @on(Select.Changed, "#d-source")
    def _source_changed(self) -> None:
        self._update_mode()
        self._schedule_describe()

    @on(Input.Changed)
    @on(Switch.Changed)
    def _value_changed(self, event: Input.Changed | Switch.Changed) -> None:
        if event.control.id == "d-train" and isinstance(event, Input.Changed):
            path = event.value.strip()
            if path != self._options_path:
                # Column choices name the old file's columns.
                self._options_path = path
                self._options["drop"] = self._options["keep"] = None
        if event.control.id == "d-cv":
            self._update_refit()
        self._schedule_describe()

    @on(ColumnTable.Picked)
    def _column_picked(self, message: ColumnTable.Picked) -> None:
        """``t``: the column becomes the target; ``x``: it is ignored, or used again."""
        name = message.name
        if message.what == "target":
            if message.column["kind"] == "target":
                return
            for option in ("drop", "keep"):  # core refuses a target that is dropped or kept
                self._options[option] = without(name, self._options[option])
            self.query_one("#d-target", Input).value = name
            self.notify(f"Target: {one_line(name, 60)}", markup=False, timeout=2)
            return
        refusal = toggle_refusal(name, message.column)
        if refusal:
            self.notify(refusal, severity="warning", markup=False)
            return
        self._options["drop"], self._options["keep"] = toggled(
            name, message.column, self._options["drop"], self._options["keep"]
        )
        self._schedule_describe()

    @on(ColumnTable.RowHighlighted, "#d-columns")
    def _column_highlighted(self) -> None:
        column = self.query_one(ColumnTable).current_column()
        self.query_one("#d-column", Static).update(column_line(column) if column else "")

    def on_descendant_focus(self, event: Any) -> None:
        widget_id = event.widget.id or ""
        name = widget_id[2:] if widget_id.startswith("d-") else ""
        help_line = self.app.query("#field-help")
        if name in FIELDS and help_line:
            cast(Static, help_line.first()).update(f"{FIELDS[name][0]}: {FIELDS[name][1]}")

    def _update_mode(self) -> None:
        relevant = _relevant(self.source)
        for name in (*CSV_ONLY, *SYNTHETIC_ONLY):
            self.grid.set_field_class(name, name not in relevant, "-off")
        self._update_refit()

    def _update_refit(self) -> None:
        """Refit shows only with CV folds (a refit of no cross-validation means nothing)."""
        cv = self.query_one("#d-cv", Input).value.strip()
        self.grid.set_field_class("refit", cv in ("", "0"), "-off")

    def _show_errors(self, errors: dict[str, str], data_error: str) -> None:
        for name in FIELDS:
            message = errors.get(name, "")
            if message or name in self.errors:
                self.grid.set_error(name, message)
        report = self.report
        listed = bool(report and report.problems and data_error == "; ".join(report.problems))
        self._set_data_error(data_error, shown=not listed)

    def _set_data_error(self, message: str, shown: bool = True) -> None:
        """Remember why the data cannot be used; ``shown``: on the error line (False
        when the report's problem list says it)."""
        self.data_error = message
        if isinstance(self.parent, LeftColumn):
            self.parent.refresh_hint()  # "the CSV can't be used" when the pane is below
        line = self.query_one("#d-error", Static)
        line.update(one_line(message) if shown else "")
        line.set_class(bool(message) and shown, "-shown")

    # -- describing ----------------------------------------------------------------------

    def _schedule_describe(self) -> None:
        self.describing = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DESCRIBE_DELAY_S, self.refresh_info)

    def refresh_info(self) -> None:
        """Check the spec now and describe it in a thread worker."""
        spec, errors, data_error = self.check()
        self._show_errors(errors, data_error)
        if spec is None:
            self.info = self.report = None
            self.query_one("#d-info", Static).update("")
            self._show_report(None)
            self.describing = False
            return
        key = self._key(spec)
        if key == self._described:
            self.describing = False
            return
        self._described = key
        self._describe(spec, key)

    @staticmethod
    def _key(spec: DatasetSpec) -> tuple[Any, ...]:
        """The spec and, for CSV files, their size and modification time: an edited
        file is read again, an unchanged one never twice for the same settings."""
        stamps = []
        for path in (spec.train, spec.test):
            try:
                info = os.stat(os.path.expanduser(path)) if path else None
            except (OSError, ValueError):
                info = None
            stamps.append((info.st_size, info.st_mtime_ns) if info else None)
        return (*spec_key(spec), tuple(stamps))

    @work(thread=True, exclusive=True, group="describe", exit_on_error=False)
    def _describe(self, spec: DatasetSpec, key: tuple[Any, ...]) -> None:
        from core.datasets import describe
        from core.folds import check_folds

        if spec.train is not None:
            self._inspect(spec, key)
            return
        try:
            info = describe(spec)
            # Too many folds for a class: said here, not by a failed run.
            check_folds(list(info.class_counts.values()), spec.test_size, spec.cv)
        except InputError as error:
            self.post_message(DatasetDescribed(key, None, str(error)))
            return
        self.post_message(DatasetDescribed(key, info, ""))

    def _inspect(self, spec: DatasetSpec, key: tuple[Any, ...]) -> None:
        """(In the worker thread.) What ``perceptune inspect`` says about the train file,
        then, when it can train and a test file is given, core's check of that file."""
        from core.datasets import describe
        from core.inspection import inspect_spec

        assert spec.train is not None
        try:
            # Cached in core on the file's path, size and mtime and the reading options:
            # switching back to a target (or toggling scale) does not parse again.
            report = inspect_spec(spec)
        except InputError as error:
            self.post_message(CsvInspected(key, None, str(error)))
            return
        error = "; ".join(report.problems)
        if not error and spec.test is not None:
            try:
                describe(spec)
            except InputError as problem:
                error = str(problem)
        self.post_message(CsvInspected(key, report, error))

    def on_csv_inspected(self, message: CsvInspected) -> None:
        if message.key != self._described:
            return  # an older request
        self.describing = False
        self.info = None
        self._remember_error(message.key, message.error)
        report = message.report
        self.report = report
        # Problems the report lists itself go in its list, not on the one-line error.
        listed = report is not None and bool(report.problems)
        self._set_data_error(message.error, shown=not listed)
        info = self.query_one("#d-info", Static)
        info.update(summary_text(report, self._test_path()) if report else "")
        self._show_report(report)

    def _test_path(self) -> str | None:
        return self.query_one("#d-test", Input).value.strip() or None

    def _show_report(self, report: TableReport | None) -> None:
        """The column table and the problem lists (hidden for built-in data)."""
        table = self.query_one(ColumnTable)
        columns = report.columns if report is not None else []
        table.show(columns)
        table.set_class(not columns, "-off")
        current = table.current_column()
        line = self.query_one("#d-column", Static)
        line.update(column_line(current) if current else "")
        line.set_class(current is None, "-off")
        lists = {
            "problems": [f"✗ {one_line(p)}" for p in report.problems] + [FIX_KEYS]
            if report and report.problems
            else [],
            "warnings": [f"! {one_line(w)}" for w in report.warnings if w not in report.problems]
            if report
            else [],
            "notes": [f"· {one_line(pane_note(n))}" for n in report.notices] if report else [],
        }
        for name, lines in lists.items():
            widget = self.query_one(f"#d-{name}", Static)
            widget.update("\n".join(lines))
            widget.set_class(not lines, "-off")

    def _remember_error(self, key: tuple[Any, ...], error: str) -> None:
        if error:
            self._error_key, self._error_text = key, error
            self._described = None  # a fixed file is described again on the next check
        else:
            self._error_key, self._error_text = None, ""

    def on_dataset_described(self, message: DatasetDescribed) -> None:
        if message.key != self._described:
            return  # an older request
        self.describing = False
        self.info = message.info
        self.report = None
        self._set_data_error(message.error)
        self._remember_error(message.key, message.error)
        self.query_one("#d-info", Static).update(describe_text(message.info))
        self._show_report(None)


@dataclass
class CsvInspected(Message, bubble=False):
    """A CSV file's report (None when it cannot be read) and why it cannot train."""

    key: tuple[Any, ...]
    report: Any = None
    error: str = ""


def spec_key(spec: DatasetSpec) -> tuple[Any, ...]:
    return tuple(sorted(spec.to_dict().items()))


def describe_text(info: DatasetInfo | None) -> str:
    if info is None:
        return ""
    total = max(sum(info.class_counts.values()), 1)
    balance = "  ".join(
        f"{one_line(label, 40)}: {count} ({100 * count / total:.0f}%)"
        for label, count in list(info.class_counts.items())[:6]
    )
    if len(info.class_counts) > 6:
        balance += "  …"
    return (
        f"{info.n_rows} rows · {info.n_features} features · {info.n_classes} classes\n"
        f"balance {balance}\n{one_line(info.description)}"
    )


def _field_texts(spec: DatasetSpec) -> dict[str, str]:
    """The text each Input of the pane shows for ``spec``."""
    return {
        "train": spec.train or "",
        "test": spec.test or "",
        "target": spec.target or "",
        "noise": f"{spec.noise:g}",
        "n_samples": str(spec.n_samples),
        "test_size": f"{spec.test_size:g}",
        "split_seed": str(spec.split_seed),
        "cv": str(spec.cv),
    }
