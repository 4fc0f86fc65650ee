"""The overlay of a cross-validated run and an ordinary one: the CV run's cv mean ± std
band in a shade of its own colour, under its lines; nothing more for the other run."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import quiet, settle, wait_for

from core.config import RunConfig
from core.datasets import DatasetSpec
from tui.widgets.charts.band import OVERLAY_SHADES
from tui.widgets.charts.compare import differs_text
from tui.widgets.charts.plots import OVERLAY_COLORS

#: Small and quick: 3 folds of 200 moons rows, 15 epochs, then the same without CV.
CONFIG = RunConfig(epochs=15, lr=0.05)
DATASET = DatasetSpec(name="moons", n_samples=200, noise=0.3, cv=3)


async def overlay_cv_and_plain(pilot) -> tuple[int, int]:
    """Train a 3-fold run and the same run without CV, overlay both; their ids."""
    app = pilot.app
    await settle(pilot)
    await pilot.press("ctrl+r")
    await settle(pilot)
    app.query_one("#d-cv", Input).value = "0"
    await settle(pilot)
    await pilot.press("ctrl+r")
    await settle(pilot)
    await wait_for(pilot, lambda: [r.status for r in app.store.list_runs()] == ["done"] * 2)
    cv_run, plain = sorted(app.store.list_runs(), key=lambda r: r.id)
    assert cv_run.dataset["cv"] == 3 and not plain.dataset.get("cv")
    app.history.marked.update({cv_run.id, plain.id})
    await pilot.press("f4")
    await settle(pilot)
    app.action_overlay()
    await settle(pilot)
    await wait_for(pilot, lambda: len(app.charts.overlay_ids) == 2)
    await settle(pilot)
    return cv_run.id, plain.id


def assert_band_of_the_cv_run_only(app, cv_id: int, plain_id: int) -> None:
    """The band series exist for the CV run (in its shade, around its mean line) and
    for no other run."""
    assert app.charts.overlay_ids == [cv_id, plain_id]  # colours in this order
    dark = app.charts.accuracy.dark
    cv_color, plain_color = OVERLAY_COLORS[0], OVERLAY_COLORS[1]
    series = app.charts.accuracy.series
    shade = OVERLAY_SHADES[dark][cv_color]
    band = [s for s in series if s.color == shade]
    # Two dotted, unlabelled edges, drawn first (under every run's lines).
    assert len(band) == 2 and all(s.dotted and not s.label for s in band)
    assert series[:2] == band
    # Nothing in the other run's shade, and each run keeps its test line and train dots.
    assert not [s for s in series if s.color == OVERLAY_SHADES[dark][plain_color]]
    assert [(s.color, s.dotted) for s in series[2:]] == [
        (cv_color, False),
        (cv_color, True),
        (plain_color, False),
        (plain_color, True),
    ]
    # The band is mean ± std around the CV run's own (mean) test line, epoch by
    # epoch, and its width at the end is the stored cv_std.
    upper, lower = band
    mean_line = series[2]
    assert upper.xs == lower.xs == mean_line.xs
    for high, low, mean in zip(upper.ys, lower.ys, mean_line.ys, strict=True):
        assert low <= mean <= high
        if low > 0.0 and high < 1.0:  # not clipped to the axis' ends
            assert (high + low) / 2 == pytest.approx(mean, abs=1e-12)
    record = app.store.get_run(cv_id)
    assert (upper.ys[-1] - lower.ys[-1]) / 2 == pytest.approx(record.cv_std, abs=1e-12)
    assert mean_line.ys[-1] == pytest.approx(record.cv_accuracy, abs=1e-12)
    assert record.cv_std > 0  # a band with a width: the check above means something
    # The axis fits the band's edges too, and the header says what the dots are.
    low, high = app.charts.accuracy.ylim
    assert low <= min(lower.ys) and max(upper.ys) <= high
    assert "cv ± std" in app.charts.accuracy.header().plain
    # What sets the runs apart is their cross-validation, not "the dataset".
    title = str(app.charts.query_one("#chart-title").render())
    assert title.endswith("they differ in cv")
    records, _colors, names, _planned = app.charts._table_parts
    assert names == ["cv"]
    assert [differs_text(r, names) for r in records] == ["cv 3", "cv off"]


def test_overlay_draws_the_band_of_the_cv_run_only(snap_compare, make_app) -> None:
    """The overlay of a 3-fold run (green: its cv mean line in its darker dotted band)
    and the same run without CV (magenta), with the table's cv ± std column: the pilot
    checks the band's series, the snapshot the picture (120x40)."""

    async def run_before(pilot) -> None:
        cv_id, plain_id = await overlay_cv_and_plain(pilot)
        assert_band_of_the_cv_run_only(pilot.app, cv_id, plain_id)
        quiet(pilot.app)

    app = make_app(config=CONFIG, dataset=DATASET)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
