"""The perceptune workbench: a form and dataset pane on the left, Charts / Queue /
History / Next step tabs on the right; sweeps are built (F6) and read (F7) in screens
of their own, and run beside the queue through a :class:`SweepModel`.

The app is a thin layer that composes, routes and handles errors. Each area's actions
and message handlers live next to its widget and are mixed in: the form's, Queue's,
History's, sweeps' and Next step's in ``tui/widgets/*/actions.py``, run selection in
``tui/widgets/charts/actions.py``, where the queue trains and how its progress comes
back in ``tui/widgets/queue/wiring.py``, interrupted work in
``tui/screens/resume_actions.py``, quitting and signals in ``tui/lifecycle.py``. Run
progress waits for the redraw tick (``QueueWiring._redraw_tick``, every
REDRAW_INTERVAL_S; with the background runner the redraw follows the store look the
tick asks for) that takes the latest curve of each run and redraws what changed, so the
screen changes ~6 times a second however fast epochs arrive. Every worker error ends up in
:meth:`PerceptuneApp.on_worker_state_changed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.lazy import Lazy
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList
from textual.worker import Worker, WorkerState

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import PerceptuneError
from core.executors import Executor, InlineExecutor
from core.runner import Runner
from core.store import DEFAULT_STORE_PATH, RunRecord, RunStore
from tui.commands import PerceptuneCommands
from tui.errors import show_error
from tui.lifecycle import Lifecycle
from tui.screens.main_screen import MainScreen
from tui.screens.resume_actions import ResumeActions
from tui.session import load_session
from tui.usertext import one_line
from tui.widgets.charts.actions import ChartsActions
from tui.widgets.charts.pane import ChartsPane, RunView
from tui.widgets.dataset.hint import LeftColumn
from tui.widgets.dataset.pane import DatasetPane
from tui.widgets.form.actions import FormActions
from tui.widgets.form.form import HyperparamForm
from tui.widgets.history.actions import HistoryActions
from tui.widgets.history.pane import HistoryPane
from tui.widgets.keybar import KeyBar
from tui.widgets.nextstep.actions import NextStepActions
from tui.widgets.nextstep.pane import NextStepPane
from tui.widgets.queue.actions import QueueActions
from tui.widgets.queue.pane import QueuePane
from tui.widgets.queue.wiring import REDRAW_INTERVAL_S, QueueWiring
from tui.widgets.sweep.actions import SweepActions
from tui.widgets.tabs import Tab, TabBar, TabPanes

if TYPE_CHECKING:
    from core.queue_runner import RunnerOptions

PaneT = TypeVar("PaneT", bound=Widget)

#: Below this many columns only the tabs show (ctrl+b swaps the form in).
TINY_WIDTH = 60
TAB_LINE = [
    Tab("charts", "Charts", "F2", "Chart"),
    Tab("queue", "Queue", "F3", "Queue"),
    Tab("history", "History", "F4", "Hist"),
    Tab("nextstep", "Next step", "F5", "Next"),
]
TABS = tuple(tab.name for tab in TAB_LINE)
#: The pane (an id in TabPanes) each tab shows.
TAB_PANES = {
    "charts": "charts-pane",
    "queue": "queue-pane",
    "history": "history-pane",
    "nextstep": "next-pane",
}
#: Longest notification text; the rest becomes "…".
NOTIFY_LIMIT = 600


class PerceptuneApp(
    FormActions,
    QueueActions,
    HistoryActions,
    SweepActions,
    NextStepActions,
    QueueWiring,
    ChartsActions,
    ResumeActions,
    Lifecycle,
    App[int],
):
    """Tune MLPClassifier hyperparameters: define, train, evaluate, adjust, repeat."""

    TITLE = "perceptune"
    AUTO_FOCUS = "#f-layers"
    CSS_PATH = Path(__file__).with_name("perceptune.tcss")
    COMMANDS = App.COMMANDS | {PerceptuneCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run_now", "Run", tooltip="Run the form's config now", id="run"),
        Binding("ctrl+n", "enqueue", "Enqueue", tooltip="Queue the form's config", id="enqueue"),
        Binding("f1", "help", "Help", tooltip="Hyperparameters, curves, keys", id="help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "show_tab('charts')", "Charts", show=False, id="tab-charts"),
        Binding("f3", "show_tab('queue')", "Queue", show=False, id="tab-queue"),
        Binding("f4", "show_tab('history')", "History", show=False, id="tab-history"),
        Binding("f5", "show_tab('nextstep')", "Next step", show=False, id="tab-next"),
        Binding("f6", "sweep_builder", "Sweep", show=False, id="sweep"),
        Binding("f7", "sweep_results", "Sweeps", show=False, id="sweep-results"),
        Binding("ctrl+b", "toggle_form", "Form", tooltip="Show or hide the form", id="form"),
        Binding("ctrl+g", "jump_field", "Field", tooltip="Go to a field by name", id="jump"),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            tooltip="Quit; active runs are left interrupted",
            priority=True,
            id="quit",
        ),
    ]

    def __init__(
        self,
        store_path: str | Path = DEFAULT_STORE_PATH,
        executor: Executor | None = None,
        workers: int | None = None,
        *,
        config: RunConfig | None = None,
        dataset: DatasetSpec | None = None,
        snapshot_mode: bool = False,
        background: RunnerOptions | None = None,
    ) -> None:
        """``background``: train the queue in the store's background runner (started
        with these options), which goes on after the app quits; None: in this app."""
        super().__init__()
        self.store = RunStore(store_path)
        self._own_executor = executor is None
        self.executor: Executor = executor or InlineExecutor(workers or 1)
        self.runner = Runner(self.store, self.executor)
        self._wire_queue(store_path, workers, background)
        #: The sweep builder's settings between openings (F6 shows them as left).
        self.sweep_builder_memory: dict[str, Any] = {}
        # Not given (a plain launch): the form, data and tab as this store last had them.
        session = load_session(self.store, TABS) if config is None or dataset is None else None
        self.initial_config = config or (session and session.config) or RunConfig()
        self.initial_dataset = dataset or (session and session.dataset) or DatasetSpec()
        self._initial_tab = session.tab if session is not None else None
        #: Fixed text instead of durations, for deterministic screenshots.
        self.snapshot_mode = snapshot_mode
        self.selected_run: int | None = None
        self.views: dict[int, RunView] = {}
        self.records: dict[int, RunRecord] = {}
        self.overlay = False
        self._queue_dirty = True
        self._charts_dirty = False
        self._queue_pane: QueuePane | None = None  # see _queue_pane_mounted
        self._sweeps_dirty = False
        self._sweep_seen: dict[int, tuple[int, str]] = {}  # sweep id -> (done, status)
        self._history_dirty_at: float | None = None
        self._quitting = False
        #: The app's exit code once runs are stopped: 0, or 128 + a quit signal.
        self._exit_status = 0
        #: Signal -> the handler it had before the app caught it (put back on unmount).
        self._signal_handlers: dict[int, Any] = {}

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS one that survives
        the terminal hanging up (:mod:`tui.driver`)."""
        driver_class = super().get_driver_class()
        if driver_class.__module__ == "textual.drivers.linux_driver":
            from tui.driver import HangupSafeDriver

            return HangupSafeDriver
        return driver_class

    # -- layout --------------------------------------------------------------------------

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with LeftColumn(id="left"):
                yield HyperparamForm(self.initial_config, id="form")
                yield DatasetPane(self.initial_dataset, id="dataset")
            with Vertical(id="tabs"):
                yield TabBar(TAB_LINE, "charts", id="tab-bar")
                with TabPanes(current=TAB_PANES["charts"], id="tab-panes"):
                    yield ChartsPane(id="charts-pane")
                    # Hidden at start: mounted just after the first frame.
                    yield Lazy(_hidden(QueuePane(id="queue-pane")))
                    yield Lazy(_hidden(HistoryPane(id="history-pane")))
                    yield Lazy(_hidden(NextStepPane(id="next-pane")))
        yield KeyBar()

    def on_mount(self) -> None:
        self._catch_signals()
        if self.background:
            self.queue.start()  # type: ignore[attr-defined]  # follow the stored queue
        self.query_one("#form").border_title = "Hyperparameters"
        self.query_one("#dataset").border_title = "Dataset"
        if self.snapshot_mode:
            for field in self.query(Input):
                field.cursor_blink = False
        self.set_interval(REDRAW_INTERVAL_S, self._redraw_tick)
        if self._initial_tab is not None:
            self._switch_tab(self._initial_tab)  # shown; focus stays in the form
        # After AUTO_FOCUS has put focus in the form, which a tiny terminal hides.
        self.call_after_refresh(self._focus_what_shows)
        # After the first frame: reading the store (and importing the search engine)
        # must not delay the screen a user is waiting for.
        self.call_after_refresh(self._find_interrupted, offer=True)

    def _mounted_panes(self, kind: type[PaneT]) -> list[PaneT]:
        """The mounted panes of ``kind``. The hidden tabs mount after the first frame
        (Lazy), and a pane is in the DOM before its own children are: until
        ``is_mounted`` its parts cannot be queried."""
        return [pane for pane in self.query(kind) if pane.is_mounted]

    @property
    def form(self) -> HyperparamForm:
        return self.query_one(HyperparamForm)

    @property
    def dataset_pane(self) -> DatasetPane:
        return self.query_one(DatasetPane)

    @property
    def charts(self) -> ChartsPane:
        return self.query_one(ChartsPane)

    @property
    def queue_pane(self) -> QueuePane:
        return self.query_one(QueuePane)

    @property
    def history(self) -> HistoryPane:
        return self.query_one(HistoryPane)

    @property
    def next_step(self) -> NextStepPane:
        return self.query_one(NextStepPane)

    # -- the one place worker errors end up ----------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, PerceptuneError):
            text = str(error)
        else:
            text = f"{type(error).__name__}: {error}"
        what = event.worker.name or "background task"
        show_error(self, text, f"{what} failed")

    # -- notifications -----------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification of the app and its widgets (``Widget.notify`` comes here):
        markup off unless asked for, and the text on one line with control characters
        visible (:func:`~tui.usertext.one_line`), because messages carry paths, names
        and error text. Thread-safe, like ``App.notify``."""
        super().notify(
            one_line(message, NOTIFY_LIMIT),
            title=one_line(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # -- routing -----------------------------------------------------------------------

    # Here rather than in a mixin: Textual collects @on handlers only from the classes
    # it builds (its metaclass), not from plain mixins.
    @on(DataTable.RowHighlighted, "#queue-table")
    def _queue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.has_focus and event.row_key.value is not None:
            self.select_run(int(event.row_key.value))

    def _modal_open(self) -> bool:
        return isinstance(self.screen, ModalScreen)

    # -- navigation and help -----------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        if tab not in TABS:
            return
        try:
            target: Any = {
                "charts": lambda: self.charts,
                "queue": lambda: self.queue_pane.table,
                "history": lambda: self.history.table,
                "nextstep": lambda: self.next_step.query_one(OptionList),
            }[tab]()
        except NoMatches:  # a pane still mounting (Lazy) in the first moments
            self.call_after_refresh(self.action_show_tab, tab)
            return
        main = self.query_one("#main")
        if main.has_class("-tiny") and main.has_class("-form-toggled"):
            main.remove_class("-form-toggled")  # only one side fits: the tabs, then
        self._switch_tab(tab)
        target.focus()

    def _switch_tab(self, tab: str) -> None:
        self.query_one(TabPanes).show(TAB_PANES[tab])
        self.query_one(TabBar).active = tab

    @property
    def active_tab(self) -> str:
        """The name of the tab shown on the right: charts, queue, history or nextstep."""
        return self.query_one(TabBar).active

    def on_tab_bar_chosen(self, message: TabBar.Chosen) -> None:
        self.action_show_tab(message.tab)

    def action_toggle_form(self) -> None:
        self.query_one("#main").toggle_class("-form-toggled")
        self._focus_what_shows()

    def on_resize(self, event: events.Resize) -> None:
        # A class on #main rather than screen breakpoints: changing a screen class
        # restyles every widget, which costs the first frame ~70 ms.
        self.query_one("#main").set_class(event.size.width < TINY_WIDTH, "-tiny")
        self._focus_what_shows()

    def _focus_what_shows(self) -> None:
        """Keep focus on a side that shows: below TINY_WIDTH only the tabs or (ctrl+b)
        only the form fit, and ctrl+b hides the form on wider screens. Keys typed into
        a hidden field would be lost, and a hidden area's keys would fill the key line."""
        if not isinstance(self.screen, MainScreen):
            return  # a dialog has focus; the main screen's is sorted out when it closes
        main = self.query_one("#main")
        tiny, toggled = main.has_class("-tiny"), main.has_class("-form-toggled")
        form_shows, tabs_show = tiny == toggled, not (tiny and toggled)
        left = self.query_one("#left")
        focused = self.focused
        in_form = focused is not None and (focused is left or left in focused.ancestors)
        if in_form and not form_shows:
            self.action_show_tab(self.active_tab)
        elif not in_form and not tabs_show:
            self.form.widget_for("layers").focus()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen  # Markdown is slow to import: on demand

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def _hidden(widget: Widget) -> Widget:
    """``widget``, hidden: a tab pane mounted later (``Lazy``) must not show at once."""
    widget.display = False
    return widget
