"""Command palette (ctrl+p): every action of the app by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

#: (title, help, action string run on the app)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Run now", "Run the form's config now (ctrl+r)", "run_now"),
    ("Enqueue", "Put the form's config in the queue (ctrl+n)", "enqueue"),
    ("Show charts", "Curves, verdict and decision regions (F2)", "show_tab('charts')"),
    ("Show queue", "Queued, running and finished runs (F3)", "show_tab('queue')"),
    ("Show history", "Every stored run (F4)", "show_tab('history')"),
    ("Show next step", "Variants suggested by the verdict (F5)", "show_tab('nextstep')"),
    ("Lesson", "Queue the lesson's runs: underfitting, good fit, overfitting, unstable;"
     " overlay them when they end (Next step: l)", "lesson"),
    ("Toggle form", "Show or hide the form column (ctrl+b)", "toggle_form"),
    ("Help", "Hyperparameters, reading the curves, keys (F1)", "help"),
    ("Cancel run", "Stop the highlighted queue run (Queue: c)", "queue_cancel"),
    ("Retry run", "Queue the highlighted run again (Queue: r)", "queue_retry"),
    ("Remove from queue", "Take the highlighted run off the queue (Queue: x)", "queue_remove"),
    ("Move up", "Move the highlighted queued run up (Queue: u)", "queue_move(-1)"),
    ("Move down", "Move the highlighted queued run down (Queue: d)", "queue_move(1)"),
    ("Run next", "Start the highlighted queued run next (Queue: enter)", "queue_run_now"),
    ("Clear finished", "Drop ended runs from the queue (Queue: f)", "queue_clear"),
    ("More workers", "Train one more run at once (Queue: +)", "workers(1)"),
    ("Fewer workers", "Train one run fewer at once; 0 pauses (Queue: -)", "workers(-1)"),
    ("Overlay marked runs", "Test curves of the marked History runs (History: o)", "overlay"),
    ("Edit run in form", "Load the selected run's settings into the form (e)", "edit_selected"),
    ("Rerun selected", "Queue the selected run again; resume if interrupted (History: r)",
     "rerun_selected"),
    ("Export run as Python", "Write the selected run as a standalone script (p)",
     "export_script"),
    ("Export history as CSV", "Write every run to a CSV file (History: v)", "export_csv"),
    ("Sweep builder", "Search hyperparameters: grid, random or TPE; save, load, launch (F6)",
     "sweep_builder"),
    ("Sweep results", "Leaderboard, best configuration and charts of a sweep (F7)",
     "sweep_results"),
    ("Cancel sweep", "Stop the highlighted sweep on the Queue tab (sweeps: c)", "sweep_cancel"),
    ("Resume interrupted runs", "Resume the runs and sweeps an earlier session left unfinished",
     "offer_resume"),
    ("Quit", "Quit; active runs are left interrupted (ctrl+q)", "quit"),
)  # fmt: skip


class PerceptuneCommands(Provider):
    """Lists :data:`COMMANDS`; choosing one runs its action on the app."""

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action),
                    text=title,
                    help=help_text,
                )
