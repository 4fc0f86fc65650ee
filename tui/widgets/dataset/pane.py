"""The dataset pane: a built-in, synthetic or CSV dataset, its split and scaling, and
what core says about it (rows, features, classes, balance, or a one-line error)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from core.datasets import BUILTIN_NAMES, DatasetSpec
from core.errors import ConfigError, InputError
from tui.messages import DatasetDescribed
from tui.usertext import one_line
from tui.widgets.field_input import FieldInput
from tui.widgets.fields import FieldGrid, FieldPane

if TYPE_CHECKING:
    from core.datasets import DatasetInfo

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
}
CSV_ONLY = ("train", "test", "target")
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
        for name, (label, help_text) in FIELDS.items():
            hidden = " -off" if name in off else ""
            children.append(Label(label, classes="field-label" + hidden, id=f"dlbl-{name}"))
            if name == "scale":
                widget: Widget = Switch(value=spec.scale, id="d-scale")
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
        yield Static("", id="d-info", markup=False)

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
        else:
            values["name"] = source
            if _is_synthetic(source):
                for name in SYNTHETIC_ONLY:
                    values[name] = self.query_one(f"#d-{name}", Input).value
        for name in ("test_size", "split_seed"):
            values[name] = self.query_one(f"#d-{name}", Input).value
        values["scale"] = self.query_one("#d-scale", Switch).value
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
        if errors:
            return None, errors, ""
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
        if spec is not None and spec_key(spec) == self._error_key:
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
        self.query_one("#d-scale", Switch).value = spec.scale
        self._update_mode()
        self._schedule_describe()

    # -- events ------------------------------------------------------------------------

    @on(Select.Changed, "#d-source")
    def _source_changed(self) -> None:
        self._update_mode()
        self._schedule_describe()

    @on(Input.Changed)
    @on(Switch.Changed)
    def _value_changed(self) -> None:
        self._schedule_describe()

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

    def _show_errors(self, errors: dict[str, str], data_error: str) -> None:
        for name in FIELDS:
            message = errors.get(name, "")
            if message or name in self.errors:
                self.grid.set_error(name, message)
        self._set_data_error(data_error)

    def _set_data_error(self, message: str) -> None:
        self.data_error = message
        line = self.query_one("#d-error", Static)
        line.update(one_line(message))
        line.set_class(bool(message), "-shown")

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
            self.info = None
            self.query_one("#d-info", Static).update("")
            self.describing = False
            return
        key = spec_key(spec)
        if key == self._described:
            self.describing = False
            return
        self._described = key
        self._describe(spec, key)

    @work(thread=True, exclusive=True, group="describe", exit_on_error=False)
    def _describe(self, spec: DatasetSpec, key: tuple[Any, ...]) -> None:
        from core.datasets import describe

        try:
            info = describe(spec)
        except InputError as error:
            self.post_message(DatasetDescribed(key, None, str(error)))
            return
        self.post_message(DatasetDescribed(key, info, ""))

    def on_dataset_described(self, message: DatasetDescribed) -> None:
        if message.key != self._described:
            return  # an older request
        self.describing = False
        self.info = message.info
        self._set_data_error(message.error)
        if message.error:
            self._error_key, self._error_text = message.key, message.error
            self._described = None  # a fixed file is described again on the next check
        else:
            self._error_key, self._error_text = None, ""
        self.query_one("#d-info", Static).update(describe_text(message.info))


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
    }
