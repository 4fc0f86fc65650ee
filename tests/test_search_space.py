"""Sweep files: the space forms, validation messages, the TOML writer, counts and ETA."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from core.datasets import DatasetSpec
from core.errors import InputError
from core.search.space import IntRange, RealRange, Shape, Values
from core.search.sweepfile import SweepSpec, dump_sweep, load_sweep, parse_sweep

REFERENCE = """
[dataset]
name = "digits"

[search]
strategy = "grid"
seed = 0
workers = 2

[fixed]
seed = 10

[space]
layers = [[6, 6], [32], [64, 64]]
lr = [0.001, 0.01, 0.1]
epochs = [50, 100]
activation = ["relu", "tanh"]
"""

RANGES = """
[dataset]
name = "moons"
n_samples = 200
noise = 0.3

[search]
strategy = "random"
trials = 7
seed = 3
prune = "halving"
prune_min_epochs = 2
prune_eta = 2
executor = "inline"

[fixed]
epochs = 20
batch-size = "auto"
early_stopping = true

[space]
lr = { log_uniform = [1e-4, 0.1] }
alpha = { uniform = [0, 0.01] }
n_iter_no_change = { int = [2, 50], log = true }
layers = { count = [1, 3], units = [4, 128], log = true }
activation = { choices = ["relu", "tanh"] }
solver = ["adam", "sgd"]
"""


def parse(text: str, source: str = "sweep.toml") -> SweepSpec:
    return parse_sweep(textwrap.dedent(text), source=source)


def test_reference_grid_parses_to_typed_dimensions() -> None:
    spec = parse(REFERENCE)
    assert spec.dataset == DatasetSpec(name="digits")
    assert (spec.strategy, spec.seed, spec.workers, spec.prune) == ("grid", 0, 2, "none")
    assert spec.fixed == {"seed": 10}
    assert spec.space["layers"] == Values("layers", ((6, 6), (32,), (64, 64)))
    assert spec.space["lr"].values == (0.001, 0.01, 0.1)
    assert spec.n_points() == 36
    # Epochs come free: 18 configs trained to 100 epochs each.
    assert spec.total_epochs() == 18 * 100
    assert spec.eta_seconds(0.01, workers=2) == pytest.approx(9.0)


def test_every_range_form() -> None:
    spec = parse(RANGES)
    assert spec.space["lr"] == RealRange("lr", 1e-4, 0.1, log=True)
    assert spec.space["alpha"] == RealRange("alpha", 0.0, 0.01)
    assert spec.space["n_iter_no_change"] == IntRange("n_iter_no_change", 2, 50, log=True)
    assert spec.space["layers"] == Shape("layers", (1, 3), (4, 128), log=True)
    assert spec.space["activation"] == Values("activation", ("relu", "tanh"), form="choices")
    assert spec.fixed == {"epochs": 20, "batch_size": None, "early_stopping": True}
    assert (spec.prune, spec.prune_min_epochs, spec.prune_eta) == ("halving", 2, 2)
    assert spec.executor == "inline"
    points = spec.points()
    assert len(points) == spec.n_points() == 7
    for point in points:
        assert 1e-4 <= point["lr"] <= 0.1
        assert 0 <= point["alpha"] <= 0.01
        assert 2 <= point["n_iter_no_change"] <= 50
        assert 1 <= len(point["layers"]) <= 3
        assert all(4 <= units <= 128 for units in point["layers"])
        spec.config(point)  # a valid run config


def test_dump_reads_back_to_an_equal_spec(tmp_path: Path) -> None:
    for text in (REFERENCE, RANGES):
        spec = parse(text)
        dumped = dump_sweep(spec)
        tomllib.loads(dumped)  # valid TOML for any reader
        assert parse(dumped) == spec
        path = tmp_path / "saved.toml"
        path.write_text(dumped)
        assert load_sweep(path).space == spec.space


def test_builder_edits_validate_like_the_file() -> None:
    spec = parse(REFERENCE)
    spec.space["lr"] = RealRange("lr", 0.1, 0.001)
    spec.strategy = "random"
    with pytest.raises(InputError, match=r"\[space\]\.lr: range min 0.1 > max 0.001"):
        spec.validated()


def test_relative_data_paths_are_relative_to_the_sweep_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    sweep = tmp_path / "sweep.toml"
    sweep.write_text('[dataset]\ntrain = "data/x.csv"\n[space]\nlr = [0.01]\n')
    spec = load_sweep(sweep)
    assert spec.dataset.train == str(tmp_path / "data" / "x.csv")
    assert spec.name == "sweep"


def test_random_and_dashes_and_counts() -> None:
    spec = parse(
        """
        [search]
        strategy = "random"
        trials = 50
        [space]
        lr = [0.1, 0.01]
        batch-size = [16, "auto"]
        """
    )
    # A space of lists is drawn without replacement: never more points than it has.
    assert spec.n_points() == 4
    assert {p["batch_size"] for p in spec.points()} == {16, None}


BAD_FILES = [
    (
        "[search]\nstrategy = 'grid'\nfoo = 1\n[space]\nlr = [0.1]\n",
        r"\[search\]\.foo: unknown key",
    ),
    ("[space]\nlearning_rate = [0.1]\n", r"\[space\]\.learning_rate: unknown hyperparameter"),
    ("[fixed]\nwarp = 9\n[space]\nlr = [0.1]\n", r"\[fixed\]\.warp: unknown hyperparameter"),
    ("[space]\nlr = [0.1]\n[extra]\nx = 1\n", r"\[extra\]: unknown table"),
    ("[search]\ntrials = 'ten'\n[space]\nlr = [0.1]\n", r"\[search\]\.trials: expected a whole"),
    ("[search]\nworkers = 0\n[space]\nlr = [0.1]\n", r"\[search\]\.workers: must be at least 1"),
    ("[space]\nlr = 'fast'\n", r"\[space\]\.lr: expected a list of values"),
    ("[space]\nlr = ['abc']\n", r"\[space\]\.lr\[0\]: expected a positive number"),
    ("[space]\nlayers = [[6, 0]]\n", r"\[space\]\.layers\[0\]: each layer needs at least 1"),
    ("[space]\nlayers = [6, 6]\n", r"\[space\]\.layers: value 6 appears twice"),
    ("[space]\nactivation = ['relu', 'sigmoid']\n", r"\[space\]\.activation\[1\]: unknown value"),
    ("[fixed]\nlr = -1\n[space]\nepochs = [5]\n", r"\[fixed\]\.lr: must be greater than 0"),
    ("[space]\n", r"\[space\]: empty"),
    ("[dataset]\nname = 'iris'\n", r"\[space\]: missing"),
    ("[space]\nlr = []\n", r"\[space\]\.lr: no values"),
    (
        "[search]\nstrategy = 'bayes'\n[space]\nlr = [0.1]\n",
        r"\[search\]\.strategy: unknown strategy",
    ),
    ("[search]\nprune = 'early'\n[space]\nlr = [0.1]\n", r"\[search\]\.prune: unknown prune"),
    (
        "[search]\nstrategy = 'random'\n[space]\nlr = { log_uniform = [0.1, 0.001] }\n",
        r"\[space\]\.lr: range min 0.1 > max 0.001",
    ),
    (
        "[search]\nstrategy = 'tpe'\n[space]\nepochs = { int = [50, 10] }\n",
        r"\[space\]\.epochs: range min 50 > max 10",
    ),
    (
        "[search]\nstrategy = 'random'\n[space]\nlayers = { count = [3, 1], units = [4, 8] }\n",
        r"\[space\]\.layers\.count: range min 3 > max 1",
    ),
    (
        "[search]\nstrategy = 'random'\n[space]\nalpha = { log_uniform = [0, 1] }\n",
        r"\[space\]\.alpha: log_uniform needs min > 0",
    ),
    (
        "[search]\nstrategy = 'random'\n[space]\nepochs = { uniform = [1, 9] }\n",
        r"\[space\]\.epochs: uniform is for real-valued fields",
    ),
    ("[space]\nlr = { log_uniform = [1e-4, 0.1] }\n", r"\[space\]\.lr: a grid takes a list"),
    ("[fixed]\nlr = 0.1\n[space]\nlr = [0.1]\n", r"\[space\]\.lr: also in \[fixed\]"),
    ("[dataset]\nname = 'mnist'\n[space]\nlr = [0.1]\n", r"\[dataset\]\.name: unknown dataset"),
    ("[dataset]\ntest_size = 2\n[space]\nlr = [0.1]\n", r"\[dataset\]\.test_size: must be"),
    ("[space]\nlr = [0.1\n", r"not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_sweep_files_name_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(InputError, match=r"^sweep\.toml: " + message) as caught:
        parse(text)
    assert "\n" not in str(caught.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.toml: no such sweep file"):
        load_sweep(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="is a directory"):
        load_sweep(tmp_path)
