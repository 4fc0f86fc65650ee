"""Jump to a field by name (ctrl+g): type a few letters of a field's label or name,
Enter focuses it. Patience is four keys away (ctrl+g p a Enter) instead of 13 Tabs.

The fields come from every :class:`~tui.widgets.fields.FieldGrid` on the main screen
(the hyperparameter form and the dataset pane), so a field added there is reachable
here without a list to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.fields import FieldGrid

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class FieldChoice:
    """One field the jump can land on."""

    widget_id: str  # the input widget's id, e.g. ``f-n_iter_no_change``
    label: str  # as the form shows it, e.g. ``Patience``
    name: str  # the field's name, e.g. ``n_iter_no_change``
    area: str  # ``form`` or ``dataset``


def field_choices(screen: Screen) -> list[FieldChoice]:
    """Every field shown on ``screen``'s field grids, in the order they appear. Fields
    hidden by the current settings (CSV-only fields for a built-in set) are left out."""
    choices: list[FieldChoice] = []
    for grid in screen.query(FieldGrid):
        area = "form" if grid.prefix == "f" else "dataset"
        marker = f"{grid.prefix}lbl-"
        for label in grid.query(Label):
            label_id = label.id or ""
            if not label_id.startswith(marker) or label.has_class("-off"):
                continue
            name = label_id[len(marker) :]
            choices.append(FieldChoice(f"{grid.prefix}-{name}", str(label.content), name, area))
    return choices


def match_fields(query: str, choices: list[FieldChoice]) -> list[FieldChoice]:
    """The choices ``query`` names, best first: the field's name exactly (``lr``), then
    a label or name that starts with it (``pat`` → Patience), then a word of the label
    that starts with it (``sched`` → LR schedule), then any label containing it. An
    empty query keeps every choice in form order."""
    text = query.strip().lower()
    if not text:
        return list(choices)
    ranked: list[tuple[int, int, FieldChoice]] = []
    for index, choice in enumerate(choices):
        label, name = choice.label.lower(), choice.name.lower()
        words = label.replace("(", " ").replace(".", " ").split() + name.split("_")
        if name == text or label == text:
            rank = 0
        elif label.startswith(text) or name.startswith(text):
            rank = 1
        elif any(word.startswith(text) for word in words):
            rank = 2
        elif text in label or text in name:
            rank = 3
        else:
            continue
        ranked.append((rank, index, choice))
    return [choice for _, _, choice in sorted(ranked, key=lambda item: item[:2])]


class FieldJump(ModalScreen[str | None]):
    """A name box over the list of fields; dismisses with the chosen widget's id."""

    AUTO_FOCUS = "#jump-query"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, choices: list[FieldChoice]) -> None:
        """``choices``: the fields to offer (see :func:`field_choices`)."""
        super().__init__()
        self.choices = choices
        self.shown: list[FieldChoice] = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog jump-dialog"):
            yield Static("Go to field: type part of its name, Enter", classes="dialog-title")
            yield Input(placeholder="e.g. pat for Patience", compact=True, id="jump-query")
            yield OptionList(compact=True, id="jump-list")

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(Text.assemble(choice.label, (f"  {choice.area}", "dim")), id=choice.widget_id)
            for choice in self.shown
        )
        if self.shown:
            options.highlighted = 0

    @on(Input.Changed, "#jump-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self.shown = match_fields(event.value, self.choices)
        self._fill()

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = (current + delta) % len(self.shown)

    @on(Input.Submitted, "#jump-query")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if not self.shown:
            self.app.bell()
            return
        self.dismiss(self.shown[options.highlighted or 0].widget_id)

    @on(OptionList.OptionSelected, "#jump-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
