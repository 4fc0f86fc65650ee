"""F6: the sweep builder. Edits what a sweep file holds, shows the number of points and
an ETA while you type, saves and loads TOML, and launches the sweep.

Fixed hyperparameters and the dataset come from the app's form and dataset pane;
every check is core's (``SweepSpec.from_dict`` in a thread worker), its one-line
message shown under the fields and the guilty row marked. The screen dismisses with
the checked :class:`~core.search.sweepfile.SweepSpec` to launch, or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, Select, Static, Switch

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import InputError
from core.search.sweepfile import SweepSpec
from tui.errors import show_error
from tui.format import duration
from tui.usertext import one_line
from tui.widgets.keybar import KeyBar
from tui.widgets.sweep.builder import SweepBuilder
from tui.widgets.sweep.wording import plain_message

#: Seconds per epoch when no finished run on the dataset says better.
DEFAULT_SECONDS_PER_EPOCH = 0.02
CHECK_DELAY_S = 0.15
DEFAULT_PATH = "sweep.toml"


@dataclass
class SweepChecked(Message, bubble=False):
    """Core's verdict on the builder's tables: the spec, or its error."""

    tables: dict[str, Any]
    spec: SweepSpec | None
    error: str = ""
    points: int = 0
    epochs: float = 0.0
    eta_s: float = 0.0
    then: str = ""  # "launch" or "save" after a good check
    path: str = ""


@dataclass
class SweepFileLoaded(Message, bubble=False):
    spec: SweepSpec | None
    path: str
    error: str = ""


@dataclass
class EpochTimeMeasured(Message, bubble=False):
    """Measured seconds per epoch on ``dataset`` (None: no finished run on it)."""

    dataset: dict[str, Any]
    seconds: float | None = None


class SweepBuilderScreen(ModalScreen[SweepSpec | None]):
    """Build, check, save, load and launch a sweep."""

    BINDINGS = [
        Binding("ctrl+l", "launch", "Launch", tooltip="Put the sweep into the run queue"),
        Binding("ctrl+s", "save", "Save", tooltip="Write the sweep to the TOML file"),
        Binding("ctrl+o", "load", "Load", tooltip="Read the sweep from the TOML file"),
        Binding("escape", "close", "Close", tooltip="Close without launching"),
    ]

    def __init__(
        self,
        base: RunConfig,
        dataset: DatasetSpec,
        pool: int,
        path: str = DEFAULT_PATH,
        memory: dict[str, Any] | None = None,
    ) -> None:
        """``base`` and ``dataset``: the form's fixed values and data; ``pool``: the
        most runs that can train at once; ``memory``: a dict the screen keeps its
        settings in when it closes and shows again when opened with the same dict."""
        super().__init__()
        self.base = base
        self.dataset = dataset
        self.pool = pool
        self.memory = memory if memory is not None else {}
        self.path = str(self.memory.get("path", path))
        self.spec: SweepSpec | None = None  # the last good check
        self.error = ""
        self.points = 0
        self.seconds_per_epoch: float | None = None
        self.checking = False  # a check is scheduled or running (tests wait on it)
        self._timer: Timer | None = None
        self._wanted: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="sweep-dialog"):
            yield Static("Sweep builder", classes="sweep-title")
            yield Static("", id="sweep-data", markup=False)
            yield SweepBuilder(self.base, self.pool, id="sweep-builder")
            yield Static("", id="sweep-points")
            yield Static("", id="sweep-error", markup=False)
            with Horizontal(id="sweep-file"):
                yield Label("TOML file", classes="field-label")
                yield Input(self.path, compact=True, id="sweep-path")
        yield KeyBar()

    def on_mount(self) -> None:
        if getattr(self.app, "snapshot_mode", False):
            for field_input in self.query(Input):
                field_input.cursor_blink = False
        self._show_dataset()
        if "builder" in self.memory:  # as it was left, over the form's current values
            self.builder.restore(self.memory["builder"])
        elif self.dataset.cv:  # the dataset pane's folds: in a sweep, a search setting
            self.query_one("#sw-cv", Input).value = str(self.dataset.cv)
        self._measure(self.dataset.to_dict())
        self.query_one("#sw-strategy", Select).focus()
        self.schedule_check()

    @property
    def builder(self) -> SweepBuilder:
        return self.query_one(SweepBuilder)

    def tables(self) -> dict[str, Any]:
        return self.builder.tables(self.dataset)

    def _show_dataset(self) -> None:
        self.query_one("#sweep-data", Static).update(
            f"Data: {one_line(self.dataset.label())} (the dataset pane) · fixed values: the form"
        )

    # -- live check ---------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    @on(SweepBuilder.Edited)
    def _edited(self, event: Message) -> None:
        if isinstance(event, Input.Changed) and event.input.id == "sweep-path":
            return
        self.schedule_check()

    def schedule_check(self) -> None:
        self.checking = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(CHECK_DELAY_S, self._start_check)

    def _start_check(self) -> None:
        self._timer = None
        self._wanted = self.tables()
        self.checking = True
        if problem := self.builder.problem():
            self.post_message(SweepChecked(self._wanted, None, problem))
            return
        self._check(self._wanted, self.seconds_per_epoch)

    @work(thread=True, exclusive=True, group="sweep-check", exit_on_error=False, name="Sweep check")
    def _check(self, tables: dict[str, Any], seconds: float | None) -> None:
        self._verify(tables, seconds, "", "")

    @work(thread=True, group="sweep-act", exit_on_error=False, name="Sweep")
    def _check_then(
        self, tables: dict[str, Any], seconds: float | None, then: str, path: str
    ) -> None:
        self._verify(tables, seconds, then, path)

    def _verify(self, tables: dict[str, Any], seconds: float | None, then: str, path: str) -> None:
        """Core's check of ``tables`` (thread); for ``then="save"`` also write the file."""
        try:
            spec = SweepSpec.from_dict(tables, source="sweep")
            points = spec.n_points()
            epochs = spec.total_epochs()
            workers = min(spec.workers or self.pool, self.pool)
            eta = spec.eta_seconds(seconds or DEFAULT_SECONDS_PER_EPOCH, workers)
        except InputError as error:
            self.post_message(SweepChecked(tables, None, str(error), then=then, path=path))
            return
        except Exception as error:  # a bug: reported by the app's one error handler
            self.post_message(SweepChecked(tables, None, f"{type(error).__name__}: {error}"))
            raise
        if then == "save":
            from core.search.sweepfile import dump_sweep

            target = Path(path.strip() or DEFAULT_PATH).expanduser()
            try:
                target.write_text(dump_sweep(spec), encoding="utf-8")
            except OSError as error:
                # The sweep itself is fine: show the check, report the file.
                self.post_message(SweepChecked(tables, spec, "", points, epochs, eta))
                self.app.call_from_thread(
                    show_error,
                    self,
                    f"{target}: cannot write: {error.strerror or error}",
                    "Cannot save the sweep",
                )
                return
            path = str(target)
        self.post_message(SweepChecked(tables, spec, "", points, epochs, eta, then, path))

    def on_sweep_checked(self, message: SweepChecked) -> None:
        current = message.tables == self._wanted
        if current:
            self.checking = self._timer is not None
            self.spec, self.error = message.spec, message.error
            self.points = message.points if message.spec is not None else 0
            self._show_check(message)
        if message.error:
            if message.then:
                what = "launch" if message.then == "launch" else "save"
                show_error(self, plain_message(message.error), f"Cannot {what} the sweep")
            return
        if message.then == "save":
            self.notify(f"Wrote {message.path}", title="Saved sweep", markup=False, timeout=4)
        elif message.then == "launch" and message.spec is not None:
            self._remember()
            self.dismiss(message.spec)

    def _show_check(self, message: SweepChecked) -> None:
        points = self.query_one("#sweep-points", Static)
        error = self.query_one("#sweep-error", Static)
        self.builder.mark_error(message.error)
        error.update(one_line(plain_message(message.error)))
        error.set_class(bool(message.error), "-shown")
        spec = message.spec
        if spec is None:
            points.update(Text("no points: fix the message below", style="dim"))
            return
        text = Text()
        count = "at most " if spec.strategy == "tpe" else ""
        text.append(f"{count}{message.points} point{'s' if message.points != 1 else ''}",
                    style="bold")  # fmt: skip
        text.append(f" · {message.epochs:,.0f} epochs to train")
        workers = min(spec.workers or self.pool, self.pool)
        text.append(" · ETA ")
        text.append(f"~{duration(message.eta_s)}", style="bold")
        text.append(f" ({workers} at once, ")
        if self.seconds_per_epoch is None:
            text.append(f"guessing {DEFAULT_SECONDS_PER_EPOCH:g} s/epoch: no run on this data yet)")
        else:
            text.append(f"{self.seconds_per_epoch:.2g} s/epoch measured on this data)")
        points.update(text)

    # -- seconds per epoch --------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sweep-measure", exit_on_error=False, name="Timing")
    def _measure(self, dataset: dict[str, Any]) -> None:
        from core.search.results import seconds_per_epoch

        store = self.app.store  # type: ignore[attr-defined]
        self.post_message(EpochTimeMeasured(dataset, seconds_per_epoch(store, dataset)))

    def on_epoch_time_measured(self, message: EpochTimeMeasured) -> None:
        if message.dataset == self.dataset.to_dict():
            self.seconds_per_epoch = message.seconds
            self.schedule_check()

    # -- actions ---------------------------------------------------------------------------

    def action_launch(self) -> None:
        self._now("launch")

    def action_save(self) -> None:
        self._now("save")

    def _now(self, then: str) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._wanted = self.tables()
        self.checking = True
        path = self.query_one("#sweep-path", Input).value
        if problem := self.builder.problem():
            self.post_message(SweepChecked(self._wanted, None, problem, then=then, path=path))
            return
        self._check_then(self._wanted, self.seconds_per_epoch, then, path)

    def action_close(self) -> None:
        self._remember()
        self.dismiss(None)

    def _remember(self) -> None:
        """Keep the builder's settings for its next opening."""
        self.memory["builder"] = self.builder.state()
        self.memory["path"] = self.query_one("#sweep-path", Input).value

    def action_load(self) -> None:
        self._load(self.query_one("#sweep-path", Input).value.strip() or DEFAULT_PATH)

    @work(thread=True, exclusive=True, group="sweep-load", exit_on_error=False, name="Load sweep")
    def _load(self, path: str) -> None:
        from core.search.sweepfile import load_sweep

        try:
            spec = load_sweep(Path(path).expanduser())
        except InputError as error:
            self.post_message(SweepFileLoaded(None, path, str(error)))
            return
        self.post_message(SweepFileLoaded(spec, path))

    def on_sweep_file_loaded(self, message: SweepFileLoaded) -> None:
        spec = message.spec
        if spec is None:
            error = self.query_one("#sweep-error", Static)
            error.update(one_line(message.error))
            error.add_class("-shown")
            show_error(self, message.error, "Cannot load the sweep")
            return
        self.base, self.dataset = spec.base_config(), spec.dataset
        self.builder.load(spec.to_dict(), spec.space, self.base)
        loader = getattr(self.app, "load_sweep_settings", None)
        if loader is not None:  # the form and dataset pane show the file's values
            loader(self.base, self.dataset)
        self._show_dataset()
        self.seconds_per_epoch = None
        self._measure(self.dataset.to_dict())
        self.schedule_check()
        self.notify(f"Loaded {message.path}", title="Sweep", markup=False, timeout=3)
