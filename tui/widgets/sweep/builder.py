"""The sweep builder's fields: the ``[search]`` settings and, per hyperparameter, how
it is searched (fixed, a list of values, or a range) and the values as text.

The widget only turns text into the tables of a sweep file (lists split on commas,
layer lists on semicolons, numbers read as numbers); every check is core's
(:meth:`core.search.sweepfile.SweepSpec.from_dict`), shown by the builder screen.
"""

from __future__ import annotations

import re
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from core.config import FIELD_INFO, RunConfig, field_text
from core.datasets import CV_FIELDS, DatasetSpec
from core.search.pruning import PRUNERS
from core.search.space import IntRange, RealRange, Shape, Values, toml_value, value_label
from core.search.strategies import STRATEGIES
from tui.usertext import one_line
from tui.widgets.fields import FieldGrid
from tui.widgets.onoff import OnOffSwitch

#: mode -> (label in the Select, TOML range key or "" for lists / shapes)
MODES: dict[str, tuple[str, str]] = {
    "fixed": ("fixed", ""),
    "list": ("list", ""),
    "uniform": ("uniform", "uniform"),
    "log_uniform": ("log-uniform", "log_uniform"),
    "int": ("int range", "int"),
    "log_int": ("log int", "int"),
    "shape": ("shape", ""),
    "log_shape": ("log shape", ""),
}
KIND_MODES: dict[str, tuple[str, ...]] = {
    "layers": ("fixed", "list", "shape", "log_shape"),
    "float": ("fixed", "list", "uniform", "log_uniform"),
    "int": ("fixed", "list", "int", "log_int"),
    "optional_int": ("fixed", "list", "int", "log_int"),
    "choice": ("fixed", "list"),
    "bool": ("fixed", "list"),
}
#: The search settings the builder edits; the others of a loaded file are kept.
EDITED_SEARCH_KEYS = ("strategy", "trials", "seed", "workers", "prune", "name", "cv", "refit")
SHORT_LABELS = {"validation_fraction": "Val. fraction", "n_iter_no_change": "Patience"}
LIST_EXAMPLES = {
    "layers": "e.g. 6,6; 32; 64,64 (; between networks)",
    "lr": "0.001, 0.01, 0.1",
    "epochs": "50, 100, 200",
    "alpha": "0.0001, 0.001, 0.01",
    "batch_size": "32, 64, auto",
    "seed": "1, 2, 3",
}
#: What an empty fixed value means (as the form says it).
FIXED_PLACEHOLDERS = {"batch_size": "auto", "seed": "random"}
RANGE_EXAMPLES = {
    "uniform": "min, max",
    "log_uniform": "min, max (e.g. 1e-4, 0.1)",
    "int": "min, max (e.g. 10, 200)",
    "log_int": "min, max (e.g. 16, 512)",
    "shape": "layers min,max; neurons min,max",
    "log_shape": "layers min,max; neurons min,max",
}
#: Hidden layers as a list: the networks are separated by ";", their layers by ",".
LAYERS_LIST_HELP = (
    "networks separated by ; (semicolon), the layers of each by commas: "
    "1; 6,6; 128,128 tries three networks"
)
MODE_HELP = {
    "fixed": "the form's value, the same for every run",
    "list": "values separated by commas (grid: every one is tried)",
    "uniform": "a real range min, max (random and tpe)",
    "log_uniform": "a range sampled evenly in the logarithm (random and tpe)",
    "int": "whole numbers from min to max (random and tpe)",
    "log_int": "whole numbers min to max, even in the logarithm (random and tpe)",
    "shape": "1,3; 4,128 = 1 to 3 hidden layers of 4 to 128 neurons (random and tpe)",
    "log_shape": "as shape, neuron counts even in the logarithm (random and tpe)",
}


# --- text -> sweep tables ------------------------------------------------------------------


def scalar(text: str) -> Any:
    """A token as a TOML value would read: a whole number, a number, else the text."""
    token = text.strip()
    for convert in (int, float):
        try:
            return convert(token)
        except ValueError:
            pass
    return token


def tokens(text: str, separator: str = ",") -> list[str]:
    """The non-empty items of ``text`` (a trailing separator is no item)."""
    return [part.strip() for part in text.split(separator) if part.strip()]


def layers_list_problem(text: str) -> str:
    """Why a Hidden layers list reads as something else than typed, or "". Networks are
    separated by ``;``: ``1, 6,6, 128,128`` (commas only, spaced unevenly) would be ONE
    network of five layers, which nobody means; core would accept it silently."""
    if ";" in text:
        return ""
    spaced = re.search(r",\s", text) is not None
    tight = re.search(r",\S", text) is not None
    if not (spaced and tight):
        return ""
    count = len(tokens(text))
    return (
        f"Hidden layers: separate networks with ; (e.g. 1; 6,6; 128,128): "
        f"{one_line(text.strip(), 40)!s} would be one network of {count} layers"
    )


def space_entry(name: str, mode: str, text: str) -> Any:
    """The ``[space]`` value of one hyperparameter, as a sweep file writes it."""
    if mode == "list":
        if name == "layers":
            return tokens(text, ";")  # each item one network, "6,6"
        return [scalar(token) for token in tokens(text)]
    if mode in ("shape", "log_shape"):
        count, _, units = text.partition(";")
        entry: dict[str, Any] = {
            "count": [scalar(t) for t in tokens(count)],
            "units": [scalar(t) for t in tokens(units)],
        }
        if mode == "log_shape":
            entry["log"] = True
        return entry
    entry = {MODES[mode][1]: [scalar(t) for t in tokens(text)]}
    if mode == "log_int":
        entry["log"] = True
    return entry


def dimension_text(dim: Any) -> tuple[str, str]:
    """(mode, text) that :func:`space_entry` turns back into ``dim``."""
    if isinstance(dim, Values):
        separator = "; " if dim.name == "layers" else ", "
        return "list", separator.join(value_label(dim.name, v) for v in dim.values)
    if isinstance(dim, RealRange):
        return ("log_uniform" if dim.log else "uniform"), f"{dim.low!r}, {dim.high!r}"
    if isinstance(dim, IntRange):
        return ("log_int" if dim.log else "int"), f"{dim.low}, {dim.high}"
    if isinstance(dim, Shape):
        text = f"{dim.count[0]}, {dim.count[1]}; {dim.units[0]}, {dim.units[1]}"
        return ("log_shape" if dim.log else "shape"), text
    raise TypeError(f"unknown dimension {dim!r}")


def fixed_table(base: RunConfig, searched: set[str]) -> dict[str, Any]:
    """``[fixed]``: the form's values that differ from the defaults, and its seed."""
    values = base.changed_fields()
    values["seed"] = base.seed
    return {name: toml_value(name, value) for name, value in values.items() if name not in searched}


def dataset_table(spec: DatasetSpec) -> dict[str, Any]:
    """``[dataset]``: the spec's settings (its cross-validation goes in ``[search]``)."""
    return {
        key: value
        for key, value in spec.to_dict().items()
        if value is not None and key not in CV_FIELDS
    }


# --- the widget ----------------------------------------------------------------------------


class SweepBuilder(Vertical):
    """Search settings in a grid, then one row per hyperparameter: label, mode, values."""

    class Edited(Message):
        """A hyperparameter's mode changed (its values may read differently now)."""

    def __init__(self, base: RunConfig, pool: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base
        self.pool = pool
        self.modes: dict[str, str] = dict.fromkeys(FIELD_INFO, "fixed")
        self.extra_search: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield FieldGrid(*self._settings(), prefix="sw", id="sweep-settings")
        yield Static(
            "hyperparameter   searched as      values", id="sweep-space-head", markup=False
        )
        with VerticalScroll(id="sweep-space"):
            yield FieldGrid(*self._rows(), prefix="sv", id="sweep-rows")
        yield Static(MODE_HELP["fixed"], id="sweep-help", classes="help-line", markup=False)

    def _settings(self) -> list[Widget]:
        def select(name: str, choices: tuple[str, ...], value: str) -> Select[str]:
            return Select(
                [(c, c) for c in choices],
                value=value,
                allow_blank=False,
                compact=True,
                id=f"sw-{name}",
            )

        def text(name: str, value: str = "", placeholder: str = "") -> Input:
            return Input(value, placeholder=placeholder, compact=True, id=f"sw-{name}")

        pairs: list[tuple[str, Widget]] = [
            ("Strategy", select("strategy", STRATEGIES, "grid")),
            ("Trials", text("trials", "20")),
            ("Seed", text("seed", "0")),
            ("Pruning", select("prune", PRUNERS, "none")),
            ("Workers", text("workers", "", f"{self.pool} (all)")),
            ("Name", text("name", "", "optional")),
            ("CV folds", text("cv", "0")),
            ("Refit", OnOffSwitch(value=False, id="sw-refit")),
        ]
        tips = {
            "strategy": "grid tries every combination; random draws Trials points; tpe "
            "lets Optuna pick each next point from the results so far",
            "trials": "points to try (random and tpe; a grid tries them all)",
            "seed": "seeds the random draw and TPE (the runs' own seed is a hyperparameter)",
            "prune": "stop weak runs early: median, or successive halving (ASHA)",
            "workers": f"runs trained at once (at most the pool: {self.pool})",
            "name": "a name for the sweep in lists",
            "cv": "k-fold cross-validation of every point (0 = off, or 2 to 50 folds): "
            "points are ranked by their folds' mean accuracy",
            "refit": "with CV folds: also train every point on the whole train part, for "
            "its test accuracy",
        }
        widgets: list[Widget] = []
        for label, widget in pairs:
            name = (widget.id or "")[3:]
            widgets.append(Label(label, classes="field-label", id=f"swlbl-{name}"))
            widget.tooltip = tips[name]
            widgets.append(widget)
        return widgets

    def _rows(self) -> list[Widget]:
        widgets: list[Widget] = []
        for name, info in FIELD_INFO.items():
            widgets.append(
                Label(SHORT_LABELS.get(name, info.label), classes="field-label", id=f"svlbl-{name}")
            )
            mode = Select(
                [(MODES[m][0], m) for m in KIND_MODES[info.kind]],
                value="fixed",
                allow_blank=False,
                compact=True,
                id=f"sv-{name}",
                classes="sweep-mode",
            )
            mode.tooltip = info.help
            widgets.append(mode)
            value = Input(
                field_text(self.base, name),
                placeholder=FIXED_PLACEHOLDERS.get(name, ""),
                compact=True,
                disabled=True,
                id=f"svv-{name}",
                classes="sweep-values",
            )
            widgets.append(value)
        return widgets

    # -- reading ------------------------------------------------------------------------

    def value_input(self, name: str) -> Input:
        return self.query_one(f"#svv-{name}", Input)

    def mode_select(self, name: str) -> Select[str]:
        return self.query_one(f"#sv-{name}", Select)

    def setting(self, name: str) -> Any:
        widget = self.query_one(f"#sw-{name}")
        assert isinstance(widget, (Input, Select, Switch))
        return widget.value

    def search_table(self) -> dict[str, Any]:
        table: dict[str, Any] = dict(self.extra_search)
        strategy = self.setting("strategy")
        table["strategy"] = strategy
        for name in ("trials", "seed", "workers"):
            if name == "trials" and strategy == "grid":
                continue
            text = str(self.setting(name)).strip()
            if text:
                table[name] = scalar(text)
        table["prune"] = self.setting("prune")
        name = str(self.setting("name")).strip()
        if name:
            table["name"] = name
        cv = str(self.setting("cv")).strip()
        if cv and cv != "0":  # 0: no cross-validation, as without the key
            table["cv"] = scalar(cv)
            table["refit"] = bool(self.setting("refit"))
        return table

    def space_table(self) -> dict[str, Any]:
        return {
            name: space_entry(name, mode, self.value_input(name).value)
            for name, mode in self.modes.items()
            if mode != "fixed"
        }

    def tables(self, dataset: DatasetSpec) -> dict[str, Any]:
        """The four tables of the sweep file this builder describes (unchecked)."""
        space = self.space_table()
        return {
            "dataset": dataset_table(dataset),
            "search": self.search_table(),
            "fixed": fixed_table(self.base, set(space)),
            "space": space,
        }

    # -- writing --------------------------------------------------------------------------

    def set_base(self, base: RunConfig) -> None:
        """New fixed values (the form's): shown in the rows that are fixed."""
        self.base = base
        for name, mode in self.modes.items():
            if mode == "fixed":
                self.value_input(name).value = field_text(base, name)

    def load(self, tables: dict[str, Any], space: dict[str, Any], base: RunConfig) -> None:
        """Show a sweep: ``tables`` is its :meth:`SweepSpec.to_dict`, ``space`` its
        dimensions, ``base`` its fixed config."""
        search = dict(tables.get("search", {}))
        self.extra_search = {k: v for k, v in search.items() if k not in EDITED_SEARCH_KEYS}
        self.query_one("#sw-strategy", Select).value = search.get("strategy", "grid")
        self.query_one("#sw-prune", Select).value = search.get("prune", "none")
        for name, default in (
            ("trials", "20"),
            ("seed", "0"),
            ("workers", ""),
            ("name", ""),
            ("cv", "0"),
        ):
            value = search.get(name)
            self.query_one(f"#sw-{name}", Input).value = default if value is None else str(value)
        self.query_one("#sw-refit", Switch).value = bool(search.get("refit", False))
        self.base = base
        for name in FIELD_INFO:
            if name in space:
                mode, text = dimension_text(space[name])
            else:
                mode, text = "fixed", field_text(base, name)
            self._apply_mode(name, mode)
            self.value_input(name).value = text
        self._update_trials()

    def _apply_mode(self, name: str, mode: str) -> None:
        self.modes[name] = mode
        select = self.mode_select(name)
        if select.value != mode:
            select.value = mode
        value = self.value_input(name)
        value.disabled = mode == "fixed"
        value.placeholder = self._placeholder(name, mode)
        self.query_one("#sweep-rows", FieldGrid).label_for(name).set_class(
            mode != "fixed", "-searched"
        )

    @staticmethod
    def _placeholder(name: str, mode: str) -> str:
        if mode == "fixed":
            return FIXED_PLACEHOLDERS.get(name, "")
        if mode == "list":
            info = FIELD_INFO[name]
            if info.kind == "choice":
                return ", ".join(info.choices)
            if info.kind == "bool":
                return "true, false"
            return LIST_EXAMPLES.get(name, "values, separated by commas")
        return RANGE_EXAMPLES.get(mode, "")

    @on(Select.Changed, ".sweep-mode")
    def _mode_changed(self, event: Select.Changed) -> None:
        event.stop()
        name = (event.select.id or "")[3:]
        mode = str(event.value)
        if name not in FIELD_INFO or self.modes.get(name) == mode:
            return
        before = self.modes[name]
        self._apply_mode(name, mode)
        value = self.value_input(name)
        if mode == "fixed":
            value.value = field_text(self.base, name)
        elif before == "fixed":
            # Empty, so the placeholder shows the syntax (e.g. 6,6; 32; 64,64).
            value.value = ""
        self._show_help(name)
        self.post_message(self.Edited())

    @on(Select.Changed, "#sw-strategy")
    def _strategy_changed(self) -> None:
        self._update_trials()

    def _update_trials(self) -> None:
        grid = self.setting("strategy") == "grid"
        self.query_one("#sw-trials", Input).disabled = grid

    def on_descendant_focus(self, event: Any) -> None:
        widget_id = event.widget.id or ""
        for prefix in ("sv-", "svv-"):
            if widget_id.startswith(prefix) and widget_id[len(prefix) :] in FIELD_INFO:
                self._show_help(widget_id[len(prefix) :])
                return
        if widget_id.startswith("sw-") and event.widget.tooltip:
            self.query_one("#sweep-help", Static).update(str(event.widget.tooltip))

    def _show_help(self, name: str) -> None:
        info = FIELD_INFO[name]
        mode = self.modes[name]
        text = LAYERS_LIST_HELP if (name, mode) == ("layers", "list") else MODE_HELP[mode]
        self.query_one("#sweep-help", Static).update(f"{info.label} ({MODES[mode][0]}): {text}")

    def problem(self) -> str:
        """A mistake core cannot see (it reads the text another way), or ""."""
        if self.modes.get("layers") == "list":
            return layers_list_problem(self.value_input("layers").value)
        return ""

    # -- keeping the settings between openings ------------------------------------------

    def state(self) -> dict[str, Any]:
        """What the user set: search settings, and mode and text of every searched row."""
        settings = {name: self.setting(name) for name in EDITED_SEARCH_KEYS}
        rows = {
            name: (mode, self.value_input(name).value)
            for name, mode in self.modes.items()
            if mode != "fixed"
        }
        return {"settings": settings, "rows": rows, "extra": dict(self.extra_search)}

    def restore(self, state: dict[str, Any]) -> None:
        """Show a :meth:`state` again; the fixed rows keep the form's current values."""
        self.extra_search = dict(state.get("extra", {}))
        for name, value in state.get("settings", {}).items():
            widget = self.query_one(f"#sw-{name}")
            if isinstance(widget, (Input, Select, Switch)):
                widget.value = value
        for name, (mode, text) in state.get("rows", {}).items():
            if name in FIELD_INFO and mode in KIND_MODES[FIELD_INFO[name].kind]:
                self._apply_mode(name, mode)
                self.value_input(name).value = text
        self._update_trials()

    def mark_error(self, message: str) -> None:
        """Mark the row or setting a message of core's names (``[space].lr: ...``)."""
        rows = self.query_one("#sweep-rows", FieldGrid)
        for name in FIELD_INFO:
            bad = f"[space].{name}" in message or f"[space].{name.replace('_', '-')}" in message
            rows.label_for(name).set_class(bad, "-invalid")
        settings = self.query_one("#sweep-settings", FieldGrid)
        for name in EDITED_SEARCH_KEYS:
            settings.label_for(name).set_class(f"[search].{name}:" in message, "-invalid")
