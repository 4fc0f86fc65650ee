"""Property suites: no flag value and no sweep file can end in anything but a valid
config or a one-line InputError (never another exception, never a long message).

Runs in process on the parsing and validation functions the CLI calls before it
stores or trains anything; derandomized and without a database, so CI is repeatable.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli.commands import check_before_storing, config_from_args, dataset_from_args
from core.cli.parser import build_parser
from core.config import FIELD_INFO
from core.errors import InputError
from core.search.sweepfile import SweepSpec, parse_sweep

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

HYPERPARAMETER_FLAGS = [
    "--" + name.replace("_", "-") for name, info in FIELD_INFO.items() if info.kind != "bool"
]
DATA_FLAGS = ["--dataset", "--test-size", "--split-seed", "--noise", "--samples", "--target"]

#: Text a user could type, with the edges that broke things: huge and signed numbers,
#: control characters, exotic digits and whitespace, special floats.
VALUES = st.one_of(
    st.text(max_size=30),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(4290, 5100).map(lambda n: "9" * n),
    st.sampled_from(
        [
            "\x1f5",
            "5\x1c",
            "-0",
            "+7",
            "0x10",
            "1_0",
            "٣",
            "1e308",
            "1e999",
            "nan",
            "-inf",
            " 12 ",
            "\u20035",
            "none",
            "auto",
            "6,,6",
            "(6,)",
            "[]",
            "1" * 4301,
            "x" * 10_000,
        ]
    ),
)


def assert_one_line(error: InputError) -> None:
    message = str(error)
    assert message and "\n" not in message and "\r" not in message, message
    assert len(message) < 600, message


@PROPERTY
@given(
    flag=st.sampled_from(HYPERPARAMETER_FLAGS + DATA_FLAGS),
    value=VALUES,
    dataset=st.sampled_from([[], ["--dataset", "iris"], ["--dataset", "blobs"]]),
    early=st.booleans(),
)
def test_any_flag_value_is_a_valid_run_or_one_input_error(
    flag: str, value: str, dataset: list[str], early: bool
) -> None:
    argv = ["run", *dataset, f"{flag}={value}"] + (["--early-stopping"] if early else [])
    if flag == "--dataset" and dataset:
        argv = ["run", f"{flag}={value}"]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: one line from OneLineParser, exit 2
        assert exit_.code == 2
        return
    try:
        config = config_from_args(args)
        spec = dataset_from_args(args)
        check_before_storing(config, spec)
    except InputError as error:
        assert_one_line(error)


# --- sweep files -----------------------------------------------------------------------

SCALARS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
    VALUES,
)
TOML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                ["choices", "uniform", "log_uniform", "int", "log", "count", "units", "x"]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
#: Table keys: the field names, and any text (TOML quoted keys can hold anything).
FIELDS = st.one_of(
    st.sampled_from([*FIELD_INFO, "batch-size", "bogus"]),
    st.text(max_size=10),
    st.just("k\n" * 200),
)
SEARCH = st.fixed_dictionaries(
    {},
    optional={
        "strategy": st.one_of(st.sampled_from(["grid", "random", "tpe"]), SCALARS),
        "trials": st.one_of(st.integers(-3, 30), SCALARS.filter(lambda v: not isinstance(v, int))),
        "seed": SCALARS,
        "workers": SCALARS,
        "prune": st.one_of(st.sampled_from(["none", "median", "halving"]), SCALARS),
        "prune_min_epochs": SCALARS,
        "prune_eta": SCALARS,
        "name": SCALARS,
    },
)
DATASET = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["iris", "moons", "blobs", "digits"]), SCALARS),
        "test_size": SCALARS,
        "split_seed": SCALARS,
        "noise": SCALARS,
        "n_samples": st.one_of(st.integers(-5, 2000), SCALARS),
        "target": SCALARS,
        "scale": SCALARS,
        "bad\nkey": SCALARS,
    },
)
SWEEPS = st.fixed_dictionaries(
    {"space": st.dictionaries(FIELDS, TOML_VALUES, max_size=3)},
    optional={
        "search": SEARCH,
        "dataset": DATASET,
        "fixed": st.dictionaries(FIELDS, TOML_VALUES, max_size=3),
        "extra": TOML_VALUES,
        "k\x1b[2J": TOML_VALUES,
    },
)

#: Per field, values near the valid ones (a few out of range), so that many sweeps
#: pass and the deeper checks (every point's config, the split of the data with
#: early stopping) run too.
NEAR = {
    "layers": st.lists(st.integers(0, 20), min_size=1, max_size=3).map(tuple),
    "lr": st.floats(0, 1),
    "epochs": st.integers(0, 50),
    "activation": st.sampled_from(["relu", "tanh", "logistic", "identity", "x"]),
    "solver": st.sampled_from(["adam", "sgd", "lbfgs"]),
    "alpha": st.floats(-0.1, 1),
    "batch_size": st.one_of(st.integers(0, 64), st.just("auto")),
    "lr_schedule": st.sampled_from(["constant", "invscaling", "adaptive"]),
    "momentum": st.floats(0, 1.1),
    "nesterov": st.booleans(),
    "early_stopping": st.booleans(),
    "validation_fraction": st.floats(0.001, 0.999),
    "tol": st.floats(0, 1),
    "n_iter_no_change": st.integers(0, 20),
    "seed": st.integers(-1, 100),
}


def _as_toml(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@st.composite
def near_sweeps(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(list(NEAR)), min_size=1, max_size=4, unique=True))
    cut = draw(st.integers(1, len(names)))
    space = {
        name: [_as_toml(v) for v in draw(st.lists(NEAR[name], min_size=1, max_size=3, unique=True))]
        for name in names[:cut]
    }
    fixed = {name: _as_toml(draw(NEAR[name])) for name in names[cut:]}
    dataset = {"name": draw(st.sampled_from(["iris", "moons", "blobs", "wine"]))}
    if draw(st.booleans()):
        dataset["test_size"] = draw(st.floats(0.001, 0.999))
    if draw(st.booleans()) and dataset["name"] in ("moons", "blobs"):
        dataset["n_samples"] = draw(st.integers(8, 40))
    search = {"strategy": draw(st.sampled_from(["grid", "random"])), "trials": 5}
    return {"space": space, "fixed": fixed, "dataset": dataset, "search": search}


@PROPERTY
@given(data=st.one_of(SWEEPS, near_sweeps()))
def test_any_values_in_a_sweep_give_a_spec_or_one_input_error(data: dict[str, Any]) -> None:
    try:
        spec = SweepSpec.from_dict(data, source="s.toml")
    except InputError as error:
        assert_one_line(error)
        assert str(error).startswith("s.toml: ")
        return
    assert spec.space  # a valid sweep searches something
    spec.validated()  # and its own tables read back


TOML_PIECES = st.sampled_from(
    [
        "[space]\n",
        "[search]\n",
        "[fixed]\n",
        "[dataset]\n",
        "lr = ",
        "layers = ",
        "epochs = ",
        "[",
        "]",
        "{",
        "}",
        "=",
        ",",
        '"',
        "'''",
        "\n",
        "# c\n",
        "\ufeff",
        "0.1",
        "1e999",
        "nan",
        "9" * 4400,
        "[[",
        "a.b = 1\n",
        "\x1f",
        "\\u0000",
        "true",
        "int = [1, 5]",
        "count = [1,3]",
    ]
)


@PROPERTY
@given(pieces=st.lists(st.one_of(TOML_PIECES, st.text(max_size=8)), max_size=25))
def test_any_toml_ish_text_gives_a_spec_or_one_input_error(pieces: list[str]) -> None:
    try:
        parse_sweep("".join(pieces), source="s.toml")
    except InputError as error:
        assert_one_line(error)


# --- the split check -------------------------------------------------------------------


@PROPERTY
@given(
    counts=st.lists(st.integers(1, 60), min_size=2, max_size=5),
    fraction=st.floats(0.001, 0.999),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_split_the_check_allows_puts_every_class_on_both_sides(
    counts: list[int], fraction: float, seed: int
) -> None:
    import re

    import numpy as np
    from sklearn.model_selection import train_test_split

    from core.errors import ConfigError
    from core.splits import check_split

    y = np.repeat(np.arange(len(counts)), counts)
    try:
        check_split(counts, fraction, "test_size", ("train", "test"))
    except ConfigError as error:
        assert_one_line(error)
        allowed = re.search(r"allowed for this data: (\S+) to (\S+)$", error.message)
        if allowed is None:
            assert "no test_size" in error.message
            return
        fraction = float(allowed.group(1 + seed % 2))  # an end of the range it offers
        check_split(counts, fraction, "test_size", ("train", "test"))
    parts = train_test_split(y, test_size=fraction, stratify=y, random_state=seed)
    for part in parts:
        assert set(part.tolist()) == set(range(len(counts)))
