"""The Next step tab: two or three variants of the selected run derived from its
verdict (``core.suggest``); one key puts one in the queue. Another key (l) queues the
lesson's runs (``core.lesson``) and overlays them on the charts once all have ended."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.format import verdict_color, verdict_name, verdict_numbers
from tui.messages import QueueChanged, SuggestionsReady
from tui.usertext import one_line
from tui.widgets.nextstep.lesson import LESSON_VERDICTS, LessonBatches, lesson_jobs

if TYPE_CHECKING:
    from core.datasets import DatasetSpec
    from core.store import RunRecord

ENDED_WITH_VERDICT = ("done", "diverged", "pruned")


class SuggestionList(OptionList):
    BINDINGS = [
        Binding("enter", "enqueue_highlighted", "Enqueue", tooltip="Queue this variant"),
    ]

    def action_enqueue_highlighted(self) -> None:
        if self.highlighted is not None:
            self.post_message(NextStepPane.Chosen(self.highlighted, load=False))


class NextStepPane(Vertical):
    """Suggestions for the selected finished run."""

    BINDINGS = [
        Binding("1", "choose(0)", "Enqueue 1", show=False),
        Binding("2", "choose(1)", "Enqueue 2", show=False),
        Binding("3", "choose(2)", "Enqueue 3", show=False),
        Binding("a", "choose_all", "Enqueue all", tooltip="Queue every suggestion"),
        Binding("e", "load", "Edit in form", tooltip="Load the variant into the form"),
        Binding(
            "l",
            "lesson",
            "Lesson",
            tooltip=f"Queue the lesson's runs ({LESSON_VERDICTS}) and overlay them",
        ),
    ]

    class Chosen(Message):
        """The user picked suggestion ``index`` (to enqueue, or to load into the form)."""

        def __init__(self, index: int, load: bool = False) -> None:
            super().__init__()
            self.index = index
            self.load = load

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_id: int | None = None
        self.suggestions: list[Any] = []
        self.dataset: dict[str, Any] = {}
        #: Lessons queued with l, overlaid on the charts once all their runs ended.
        self.lessons = LessonBatches()

    def compose(self) -> ComposeResult:
        yield Static(
            "Select a finished run (Charts, Queue or History), or press l to queue the "
            "lesson's runs.",
            id="next-title",
        )
        yield SuggestionList(id="suggestions")
        yield Static(
            "1 2 3 or enter: queue that variant · a: all · e: edit in form · l: the lesson",
            id="next-help",
            classes="help-line",
        )

    def on_mount(self) -> None:
        # Mounted after the first frame (Lazy): catch up with a run selected meanwhile.
        self.show_record(getattr(self.app, "selected_record", None))

    def show_record(self, record: RunRecord | None) -> None:
        """Ask core for variants of ``record`` (or explain why there are none)."""
        title = self.query_one("#next-title", Static)
        options = self.query_one(SuggestionList)
        if record is None:
            return
        if record.id == self.run_id and self.suggestions:
            return
        self.run_id = record.id
        self.suggestions = []
        options.clear_options()
        if record.status not in ENDED_WITH_VERDICT or not record.verdict:
            title.update(
                Text(
                    f"Run #{record.id} is {record.status}: suggestions appear once it has "
                    "a verdict."
                )
            )
            return
        verdict = verdict_name(record.verdict)
        text = Text()
        text.append(f"Run #{record.id} ", style="bold")
        text.append(f"{one_line(record.label)}: ")
        text.append(verdict, style=f"bold {verdict_color(verdict)}")
        numbers = verdict_numbers(record.verdict)
        if numbers:
            text.append(f"\n{numbers}", style="dim")
        text.append("\nTry next:")
        title.update(text)
        self._suggest(record.id, record.params, record.verdict, record.dataset)

    @work(thread=True, exclusive=True, group="suggest", exit_on_error=False)
    def _suggest(
        self,
        run_id: int,
        params: dict[str, Any],
        verdict: dict[str, Any] | None,
        dataset: dict[str, Any],
    ) -> None:
        from core.config import RunConfig
        from core.suggest import suggest_next

        suggestions = suggest_next(RunConfig.from_mapping(params), verdict)
        self.post_message(SuggestionsReady(run_id, list(suggestions), dict(dataset)))

    def on_suggestions_ready(self, message: SuggestionsReady) -> None:
        if message.run_id != self.run_id:
            return
        self.suggestions = message.suggestions
        self.dataset = message.dataset
        options = self.query_one(SuggestionList)
        options.clear_options()
        for index, suggestion in enumerate(message.suggestions):
            prompt = Text()
            prompt.append(f"{index + 1}  ", style="bold")
            prompt.append(suggestion.label, style="bold")
            prompt.append(f"  {suggestion.why}\n   ", style="")
            prompt.append(suggestion.config.short_label(), style="dim")
            options.add_option(Option(prompt, id=str(index)))
        if message.suggestions:
            options.highlighted = 0
        else:
            options.add_option(Option(Text("no suggestion for this run", style="dim")))

    def action_choose(self, index: int) -> None:
        if 0 <= index < len(self.suggestions):
            self.post_message(self.Chosen(index))

    def action_choose_all(self) -> None:
        for index in range(len(self.suggestions)):
            self.post_message(self.Chosen(index))

    def action_load(self) -> None:
        highlighted = self.query_one(SuggestionList).highlighted
        if highlighted is not None and highlighted < len(self.suggestions):
            self.post_message(self.Chosen(highlighted, load=True))

    # -- the lesson ------------------------------------------------------------------------

    def action_lesson(self) -> None:
        """Queue the lesson's runs (:mod:`core.lesson`) on the dataset pane's data."""
        app: Any = self.app
        if app._quitting:
            return
        spec = app.dataset_pane.read_spec()
        if spec is None:
            self.notify(
                "Fix the dataset fields marked in red first: the lesson runs on that data.",
                severity="warning",
                markup=False,
            )
            return
        self._enqueue_lesson(spec)

    @work(thread=True, group="queue", exit_on_error=False, name="Queueing the lesson")
    def _enqueue_lesson(self, current: DatasetSpec) -> None:
        app: Any = self.app
        jobs = lesson_jobs(current)
        run_ids = [app.queue.add(config, spec, label=label) for config, spec, label in jobs]
        # Watched before any of them can start, so no ending is missed.
        app.call_from_thread(self._lesson_queued, run_ids, jobs[0][1])
        app.queue.schedule()
        self.post_message(QueueChanged())

    def _lesson_queued(self, run_ids: list[int], spec: DatasetSpec) -> None:
        self.lessons.add(run_ids)
        app: Any = self.app
        app.reload_history()
        self.notify(
            f"Queued the lesson on {spec.label()}: runs #{run_ids[0]}-#{run_ids[-1]} "
            f"({LESSON_VERDICTS}). The charts overlay them when all have ended.",
            markup=False,
            timeout=6,
        )

    def check_lessons(self) -> None:
        """The queue changed or a run ended (the app routes both here): overlay each
        lesson whose runs have now all ended, through the app's overlay (as History's
        o does)."""
        app: Any = self.app

        def ended(run_id: int) -> bool:
            item = app.queue.get(run_id)
            return item is None or item.ended  # None: taken off the queue

        for run_ids in self.lessons.take_ended(ended):
            self._overlay_lesson(run_ids)

    @work(thread=True, group="lesson", exit_on_error=False, name="Overlaying the lesson")
    def _overlay_lesson(self, run_ids: list[int]) -> None:
        from core.errors import NotFoundError

        app: Any = self.app
        existing: list[int] = []
        for run_id in run_ids:  # a waiting run taken off the queue (x) was deleted
            try:
                app.store.get_run(run_id)
            except NotFoundError:
                continue
            existing.append(run_id)
        curves = app.store.curves(existing)
        trained = [run_id for run_id in existing if curves.get(run_id)]  # not cancelled unrun
        if trained:
            app.call_from_thread(app._load_overlay, trained)
