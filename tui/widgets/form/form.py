"""The hyperparameter form, built from ``core.config.FIELD_INFO``.

Every value is checked by core (``parse_field`` per field, ``RunConfig.from_mapping``
for the whole): the form only shows core's message under the field and refuses to
produce a config while any field is invalid.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from core.config import FIELD_INFO, RunConfig, field_text, parse_field
from core.errors import ConfigError
from tui.widgets.field_input import FieldInput
from tui.widgets.fields import FieldGrid, FieldPane
from tui.widgets.onoff import OnOffSwitch

#: Labels that would not fit the form's label column.
SHORT_LABELS = {"validation_fraction": "Val. fraction"}
#: Fields that only matter for some settings (dimmed otherwise).
SGD_ONLY = ("lr_schedule", "momentum", "nesterov")
EARLY_STOP_ONLY = ("validation_fraction",)
PLACEHOLDERS = {"batch_size": "auto", "seed": "random", "layers": "e.g. 6,6"}


class CoreFieldValidator(Validator):
    """An Input validator that asks ``core.config.parse_field``."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.field_name = name

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_field(self.field_name, value)
        except ConfigError as error:
            return self.failure(error.message, value)
        return self.success()


def field_widget(name: str, value: str) -> Widget:
    """The input widget for one field: Input, Select or Switch."""
    info = FIELD_INFO[name]
    tooltip = info.help
    widget_id = f"f-{name}"
    if info.kind == "choice":
        widget: Widget = Select(
            [(choice, choice) for choice in info.choices],
            value=value,
            allow_blank=False,
            compact=True,
            id=widget_id,
        )
    elif info.kind == "bool":
        widget = OnOffSwitch(value=value == "true", animate=False, id=widget_id)
    else:
        widget = FieldInput(
            value,
            placeholder=PLACEHOLDERS.get(name, ""),
            validators=[CoreFieldValidator(name)],
            compact=True,
            id=widget_id,
        )
    widget.tooltip = tooltip
    return widget


class HyperparamForm(FieldPane):
    """Labelled fields for every run setting, core's message under an invalid field,
    and a help line that explains the focused field."""

    def __init__(self, config: RunConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = config or RunConfig()

    def compose(self) -> ComposeResult:
        config = self._initial
        ignored = {*(SGD_ONLY if config.solver != "sgd" else ()),
                   *(EARLY_STOP_ONLY if not config.early_stopping else ())}  # fmt: skip
        children: list[Widget] = []
        for name, info in FIELD_INFO.items():
            classes = "field-label -irrelevant" if name in ignored else "field-label"
            children.append(
                Label(SHORT_LABELS.get(name, info.label), classes=classes, id=f"flbl-{name}")
            )
            widget = field_widget(name, field_text(config, name))
            widget.set_class(name in ignored, "-irrelevant")
            children.append(widget)
        yield FieldGrid(*children, prefix="f", id="form-grid")
        yield Static(FIELD_INFO["layers"].help, id="field-help", classes="help-line", markup=False)

    # -- values ----------------------------------------------------------------------

    def widget_for(self, name: str) -> Widget:
        return self.query_one(f"#f-{name}")

    def raw_values(self) -> dict[str, Any]:
        """What the widgets hold: text for inputs, the choice, a bool."""
        values: dict[str, Any] = {}
        for name in FIELD_INFO:
            widget = self.widget_for(name)
            if isinstance(widget, (Input, Select, Switch)):
                values[name] = widget.value
        return values

    def read_config(self) -> RunConfig | None:
        """The config the form describes, or None after showing every problem inline."""
        values = self.raw_values()
        errors: dict[str, str] = {}
        for name, value in values.items():
            try:
                parse_field(name, value)
            except ConfigError as error:
                errors[error.field if error.field in FIELD_INFO else name] = error.message
        config: RunConfig | None = None
        if not errors:
            try:
                config = RunConfig.from_mapping(values)
            except ConfigError as error:
                field = error.field if error.field in FIELD_INFO else "layers"
                errors[field] = error.message
        self.show_errors(errors)
        return config if not errors else None

    def load(self, config: RunConfig) -> None:
        """Put ``config``'s values in the widgets (e.g. a run reopened from History)."""
        for name in FIELD_INFO:
            widget = self.widget_for(name)
            text = field_text(config, name)
            if isinstance(widget, (Input, Select)):
                widget.value = text
            elif isinstance(widget, Switch):
                widget.value = text == "true"
        self.show_errors({})
        self._update_relevance()

    # -- errors and help ---------------------------------------------------------------

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in FIELD_INFO:
            message = errors.get(name, "")
            if message or name in self.errors:
                self.grid.set_error(name, message)

    def set_field_error(self, name: str, message: str) -> None:
        self.grid.set_error(name, message)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "")[2:]
        if name not in FIELD_INFO:
            return
        result = event.validation_result
        message = "" if result is None or result.is_valid else result.failure_descriptions[0]
        if message or name in self.errors:
            self.set_field_error(name, message)

    @on(Select.Changed)
    @on(Switch.Changed)
    def _choice_changed(self) -> None:
        self._update_relevance()

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget
        name = (widget.id or "")[2:] if widget.id and widget.id.startswith("f-") else ""
        if name in FIELD_INFO:
            info = FIELD_INFO[name]
            self.query_one("#field-help", Static).update(f"{info.label}: {info.help}")

    def _update_relevance(self) -> None:
        """Dim the fields the current solver / early-stopping setting ignores."""
        solver = self.widget_for("solver")
        early = self.widget_for("early_stopping")
        sgd = isinstance(solver, Select) and solver.value == "sgd"
        stopping = isinstance(early, Switch) and early.value
        for name in SGD_ONLY:
            self.grid.set_field_class(name, not sgd, "-irrelevant")
        for name in EARLY_STOP_ONLY:
            self.grid.set_field_class(name, not stopping, "-irrelevant")
