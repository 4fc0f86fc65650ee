"""User text is data: a CSV path, a target column, class labels, a run label, a sweep
name and an error message full of markup (``[/b]``, ``[red]x[/red]``), newlines and
control characters show literally (escaped, on one line) everywhere they appear, and
never crash the app. Pasted control characters and 5,000-digit numbers in number
fields are field errors, never exceptions."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast
from tui_helpers import settle, wait_for

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.executors import InlineExecutor
from core.runner import Runner
from core.search.sweepfile import parse_sweep
from core.store import RunStore
from tui.usertext import one_line

#: Markup that does not parse, markup that does, a newline, an escape sequence, a bell.
HOSTILE = "[/b]\n[red]x[/red]\x1b[31m\x07"
#: How it must show: brackets as brackets, control characters as visible escapes.
SHOWN = "[/b]\\n[red]x[/red]\\x1b[31m\\x07"
#: A CSV header name cannot hold a line break (the reader refuses it): the same
#: markup and control characters on one line, for the target column.
TARGET = HOSTILE.replace("\n", " ")
TARGET_SHOWN = SHOWN.replace("\\n", " ")
CLASS_LABELS = ("[/b]", "[red]x[/red]\nz")
RAW = ("\n", "\x1b", "\x07", "\x1f")


def test_one_line_shows_control_characters_and_cuts_long_text() -> None:
    assert one_line(HOSTILE) == SHOWN
    assert one_line("tab\there\u2028é ok") == "tab\\there\\u2028é ok"
    assert one_line("x" * 1000, 10) == "x" * 9 + "…"


def hostile_csv(root: Path) -> Path:
    """A 2-D CSV in a folder whose path holds markup and control characters, with a
    hostile target column and hostile class labels."""
    from sklearn.datasets import make_moons

    folder = root / "a[" / "b]\nc[red]x["
    folder.mkdir(parents=True)
    path = folder / "red]\x1f.csv"
    X, y = make_moons(120, noise=0.2, random_state=0)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x1", "x2", TARGET])
        for (a, b), label in zip(X, y):
            writer.writerow([a, b, CLASS_LABELS[label]])
    return path


def hostile_spec(path: Path) -> DatasetSpec:
    return DatasetSpec.from_mapping({"name": None, "train": str(path), "target": TARGET})


def shown(widget: Widget) -> str:
    """What ``widget`` draws now, row by row: the real rendering path (markup, cells)."""
    width, height = widget.outer_size
    strips = widget.render_lines(Region(0, 0, width, height))
    return "\n".join(strip.text.rstrip() for strip in strips)


def assert_literal(text: str, *wanted: str) -> None:
    """Every ``wanted`` shows in ``text`` (wrapped rows joined), and nothing raw."""
    joined = text.replace("\n", "")
    for piece in wanted:
        assert piece in joined, f"{piece!r} not shown in:\n{text}"
    assert not any(char in joined for char in RAW[1:]), text


def toasts(app: Any) -> str:
    """The toasts' text; rows without the border mark, so a wrapped path joins up."""
    rows = "\n".join(shown(toast) for toast in app.screen.query(Toast)).splitlines()
    return "\n".join(row.removeprefix("▌").removeprefix(" ") for row in rows)


def assert_notifications_plain(app: Any) -> None:
    for notification in app._notifications:
        assert notification.markup is False
        assert not any(char in notification.message + notification.title for char in RAW)


@pytest.fixture
def hostile_store(store_path: Path, tmp_path: Path) -> Path:
    """A store with a done run, an interrupted run, a failed run and an interrupted
    sweep, all named with :data:`HOSTILE`, on a CSV at a hostile path."""
    spec = hostile_spec(hostile_csv(tmp_path))
    config = RunConfig(epochs=5)
    executor = InlineExecutor(1)
    with RunStore(store_path) as store:
        runner = Runner(store, executor)
        done = runner.enqueue(config, spec, label=HOSTILE)
        runner.start(done)
        runner.wait_recorded(done, timeout=60)
        assert store.get_run(done).status == "done"
        store.set_status(runner.enqueue(config, spec, label=HOSTILE), "interrupted")
        failed = runner.enqueue(config, spec, label="plain")
        store.mark_running(failed)
        store.finish_run(failed, "failed", error=f"boom {HOSTILE}")
        sweep = parse_sweep(
            "[dataset]\nname = 'moons'\nn_samples = 200\n[space]\nlr = [0.01]\nepochs = [3]\n"
        )
        sweep.name = HOSTILE  # as a sweep file's name = "..." can say (TOML escapes)
        store.set_sweep_status(store.create_sweep(sweep.to_dict(), name=HOSTILE), "interrupted")
        runner.close()
    executor.shutdown()
    return tmp_path / "a[" / "b]\nc[red]x["


async def test_hostile_names_show_literally_everywhere(
    make_app: Any, hostile_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.screens.sweep_results import SweepResultsScreen
    from tui.screens.sweep_resume import ResumeWork

    monkeypatch.chdir(hostile_store)  # exports (and their notifications) go there
    app = make_app()
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        # The resume dialog names the sweep and the interrupted run.
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeWork))
        await wait_for(pilot, lambda: len(app.screen.query(Static)) > 3)
        await pilot.pause()
        dialog = "\n".join(shown(static) for static in app.screen.query(Static))
        assert_literal(dialog, f'sweep 1 "{SHOWN}"', f"#2  {SHOWN}  epoch 0/5")
        await pilot.press("r")  # resume both: the queue and the sweeps strip show them
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause(0.3)
        queue = shown(app.query_one("#queue-table", DataTable))
        assert_literal(queue, SHOWN, "red]\\x1f.csv")  # label, data (as History)
        assert_literal(shown(app.query_one("#sweep-table", DataTable)), f'sweep 1 "{SHOWN}" (grid)')

        await pilot.press("f4")
        await wait_for(pilot, lambda: app.history.loaded > 0 and app.history.total == 4)
        await pilot.pause(0.2)
        assert_literal(shown(app.history.table), SHOWN, "red]\\x1f.csv")

        # Charts: the title, the decision regions' legend (class labels).
        app.select_run(1, show_charts=True)
        await wait_for(pilot, lambda: 1 in app.records and not app.charts.regions_busy)
        await pilot.pause(0.3)
        title = shown(app.query_one("#chart-title", Static))
        # Too long for one line: the name and data on the first, "done" on the second.
        assert_literal(title, f"#1 {SHOWN} · red]\\x1f.csv[target={TARGET_SHOWN}]", "done · ")
        legend = "\n".join(shown(app.charts.regions).splitlines()[-3:])  # may wrap
        assert_literal(legend, "=[/b]", "=[red]x[/red]\\nz")

        await pilot.press("f5")
        await pilot.pause(0.3)
        assert_literal(shown(app.query_one("#next-title", Static)), f"Run #1 {SHOWN}:")

        # A failed run's error under the charts.
        app.select_run(3, show_charts=True)
        await wait_for(pilot, lambda: 3 in app.records)
        await pilot.pause(0.3)
        assert_literal(shown(app.query_one("#verdict", Static)), f"failed: boom {SHOWN}")

        # Into the form: the dataset pane describes the CSV (class labels, file name).
        app.select_run(1)
        await pilot.pause(0.2)
        app.action_edit_selected()
        await settle(pilot)
        info = shown(app.query_one("#d-info", Static))
        assert_literal(info, "[/b]: 60 (50%)", "[red]x[/red]\\nz: 60 (50%)", "red]\\x1f.csv")

        # An export's notification names the (hostile) working directory.
        app.action_export_script()
        await settle(pilot)
        assert (hostile_store / "perceptune_run_1.py").exists()
        assert_literal(toasts(app), "a[/b]\\nc[red]x[/perceptune_run_1.py")
        assert_notifications_plain(app)

        # F7: the stored sweeps, by name.
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, SweepResultsScreen))
        await wait_for(pilot, lambda: app.screen.loaded > 0)
        await pilot.pause(0.2)
        assert_literal(shown(app.screen.query_one("#sweep-list", DataTable)), SHOWN)
    assert app.return_code in (None, 0)


async def test_a_hostile_error_is_one_plain_line(make_app: Any, tmp_path: Path) -> None:
    """A run that fails in this session: its error (naming the hostile path) is a
    one-line notification and the line under the charts."""
    path = hostile_csv(tmp_path)
    app = make_app(dataset=hostile_spec(path))
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot)
        assert_literal(shown(app.query_one("#d-info", Static)), "[/b]: 60 (50%)")
        app.queue.set_parallel(0)  # queued, not started: the file goes first
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: len(app.queue.ids()) == 1)
        path.unlink()
        app.action_workers(1)
        await settle(pilot)
        (record,) = app.store.list_runs()
        assert record.status == "failed" and "red]\x1f.csv" in record.error
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "red]\\x1f.csv" in errors[0].message
        assert_literal(toasts(app), f"#{record.id} failed", "red]\\x1f.csv")
        assert_notifications_plain(app)
        app.select_run(record.id, show_charts=True)
        await wait_for(pilot, lambda: record.id in app.records)
        await pilot.pause(0.3)
        assert_literal(shown(app.query_one("#verdict", Static)), "failed: ", "red]\\x1f.csv")


#: Every field that takes a number, in the form and in the dataset pane.
NUMBER_FIELDS = ("layers", "lr", "epochs", "alpha", "batch_size", "momentum",
                 "validation_fraction", "tol", "n_iter_no_change", "seed")  # fmt: skip
DATA_NUMBER_FIELDS = ("n_samples", "noise", "test_size", "split_seed")


async def test_pasted_control_characters_and_huge_numbers_are_field_errors(
    make_app: Any,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        fields = [(app.form, "f", name) for name in NUMBER_FIELDS]
        fields += [(app.dataset_pane, "d", name) for name in DATA_NUMBER_FIELDS]
        for bad, said in (
            ("\x1f5", ("\\x1f5",)),
            ("9" * 5000, ("999", "5,000-digit", "5,000 digits")),
        ):
            for _, prefix, name in fields:
                field = app.query_one(f"#{prefix}-{name}", Input)
                field.focus()
                field.value = ""
                if bad.isdigit():
                    field.insert_text_at_cursor(bad)
                else:  # what a terminal's bracketed paste delivers
                    field.post_message(events.Paste(bad))
                await pilot.pause()
                assert field.value == bad
            assert app.form.read_config() is None
            assert app.dataset_pane.read_spec() is None
            await pilot.pause()  # the error lines, mounted now, get their size
            for pane, prefix, name in fields:
                assert pane.errors.get(name), f"{name} = {bad[:10]!r}: no error"
                line = shown(pane.query_one(f"#{prefix}err-{name}", Static))
                assert len(line.replace("\n", "")) <= 130, line  # cut, not 5,000 digits
                assert any(text in line.replace("\n", " ") for text in said), (name, line)
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
        assert app.store.list_runs() == []  # nothing stored or half-stored
    assert app.return_code in (None, 0)
