"""The lesson's trio: core.lesson's runs and ``perceptune lesson`` as a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from core.datasets import DatasetSpec
from core.lesson import LESSON_DATASET, lesson_configs, lesson_dataset
from core.store import RunStore


def test_lesson_configs_are_small_good_big_and_too_fast() -> None:
    runs = lesson_configs()
    assert [run.expect for run in runs] == ["underfitting", "good fit", "overfitting", "unstable"]
    small, good, big, fast = (run.config for run in runs)
    assert sum(small.layers) < sum(good.layers) < sum(big.layers)
    assert big.epochs > good.epochs and big.n_iter_no_change >= big.epochs  # patience off
    assert fast.layers == good.layers and fast.lr > 100 * good.lr
    assert all(run.dataset == LESSON_DATASET for run in runs)
    other = DatasetSpec(name="wine")
    assert [run.dataset for run in lesson_configs(other, unstable=False)] == [other] * 3
    # The untouched app default gives way to the lesson's data; a user's choice does not.
    assert lesson_dataset(DatasetSpec()) == LESSON_DATASET == lesson_dataset(None)
    assert lesson_dataset(other) == other


def test_lesson_command_trains_the_trio_and_each_gets_its_verdict(
    run_cli, store_path: Path
) -> None:
    done = run_cli("lesson", "--store", str(store_path), "--quiet")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Lesson on circles(noise=0.3,n=300): 150 test rows")
    rows = lines[2:6]
    for row, verdict in zip(
        rows, ["underfitting", "good fit", "overfitting", "unstable"], strict=True
    ):
        assert f"{verdict} " in row and row.endswith(" yes"), row
    with RunStore(store_path) as store:
        records = store.list_runs()
    assert [r.verdict["verdict"] for r in records] == [
        "underfitting",
        "good fit",
        "overfitting",
        "unstable",
    ]
    assert all(r.status == "done" for r in records)
    assert records[0].label == "lesson: too small: 1 neuron"


def test_lesson_json_without_the_unstable_run(run_cli, store_path: Path) -> None:
    done = run_cli(
        "lesson", "--no-unstable", "--json", "--workers", "1", "--store", str(store_path)
    )
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    assert [run["expected"] for run in runs] == ["underfitting", "good fit", "overfitting"]
    assert [run["verdict"] for run in runs] == [run["expected"] for run in runs]
    assert runs[2]["params"]["layers"] == [64, 64] and runs[2]["params"]["alpha"] == 0.0
    assert runs[0]["diagnosis"]["reference_accuracy"] > 0.7
    assert {"lesson", "curve", "train_accuracy", "test_accuracy"} <= set(runs[0])


def test_lesson_bad_input_is_one_line_and_stores_nothing(run_cli, store_path: Path) -> None:
    done = run_cli("lesson", "--dataset", "nope", "--store", str(store_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unknown dataset 'nope'" in done.stderr
    assert not store_path.exists()
