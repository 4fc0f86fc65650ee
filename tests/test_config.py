"""Hyperparameter validation: the one place that says what a value may be."""

from __future__ import annotations

import dataclasses
import sys

import pytest
from sklearn.neural_network import MLPClassifier

from core.config import (
    ACTIVATIONS,
    FIELD_INFO,
    MAX_EPOCHS,
    MAX_PARAMETERS,
    RunConfig,
    check_network_size,
    field_text,
    parse_field,
    parse_layers,
)
from core.errors import ConfigError, InputError


def config_error(values: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_mapping(values)
    return caught.value


# --- defaults -------------------------------------------------------------------------


def test_defaults_are_the_textbook_example() -> None:
    config = RunConfig()
    assert config.layers == (6, 6)
    assert config.lr == 0.01
    assert config.epochs == 100
    assert config.seed == 10


def test_every_other_default_is_scikit_learns_own() -> None:
    ours = RunConfig().to_sklearn_params()
    theirs = MLPClassifier().get_params()
    chosen = {"hidden_layer_sizes", "learning_rate_init", "max_iter", "random_state"}
    for key, value in ours.items():
        if key not in chosen:
            assert value == theirs[key], key
    assert ours["hidden_layer_sizes"] == (6, 6)
    assert ours["learning_rate_init"] == 0.01
    assert ours["max_iter"] == 100
    assert ours["random_state"] == 10


def test_sklearn_params_are_accepted_by_mlpclassifier() -> None:
    config = RunConfig.from_mapping(
        {"solver": "sgd", "lr_schedule": "adaptive", "batch_size": "32", "nesterov": "false"}
    )
    model = MLPClassifier(**config.to_sklearn_params())
    assert model.get_params()["batch_size"] == 32
    assert model.get_params()["nesterovs_momentum"] is False
    assert model.get_params()["learning_rate"] == "adaptive"


def test_config_is_immutable() -> None:
    config = RunConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 0.1  # type: ignore[misc]


# --- layers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6,6", (6, 6)),
        ("6 6", (6, 6)),
        ("(6, 6)", (6, 6)),
        ("[6,6]", (6, 6)),
        ("(6,)", (6,)),
        ("32", (32,)),
        (" 64 , 32 ,16 ", (64, 32, 16)),
        ([10, 5], (10, 5)),
        (7, (7,)),
    ],
)
def test_layer_text_parses(text: object, expected: tuple[int, ...]) -> None:
    assert parse_layers(text) == expected
    assert RunConfig.from_mapping({"layers": text}).layers == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0", "at least 1 neuron"),
        ("6,0", "at least 1 neuron"),
        ("-3", "at least 1 neuron"),
        ("6,-6", "at least 1 neuron"),
        ("6,,6", "empty layer"),
        ("", "at least one hidden layer"),
        ("()", "at least one hidden layer"),
        ("6.5", "not a whole number"),
        ("six", "not a whole number"),
        ("__import__('os')", "not a whole number"),
        ("(6, 6) + (1,)", "not a whole number"),
    ],
)
def test_bad_layers_name_the_field_and_what_is_allowed(text: str, says: str) -> None:
    error = config_error({"layers": text})
    assert error.field == "layers"
    assert says in error.message
    assert str(error).startswith("layers: ")
    assert "\n" not in str(error)


def test_layer_text_is_never_evaluated() -> None:
    before = set(sys.modules)
    for text in ("__import__('antigravity')", "[__import__('this')]", "exec('x=1')"):
        with pytest.raises(ConfigError):
            parse_layers(text)
    assert "antigravity" not in sys.modules and "this" not in sys.modules
    assert set(sys.modules) - before == set()


def test_too_many_neurons_or_layers_are_refused() -> None:
    assert "too many" in config_error({"layers": "1000000"}).message
    assert "too many" in config_error({"layers": ",".join(["2"] * 51)}).message


def test_a_network_too_large_for_memory_is_refused() -> None:
    error = config_error({"layers": "20000,20000"})
    assert error.field == "layers"
    assert "too large for memory" in error.message
    assert f"{MAX_PARAMETERS:,}" in error.message
    # The data's width counts too: fine on 2 features, too large on a wide image set.
    check_network_size((4000, 4000), n_features=2, n_classes=2)
    with pytest.raises(ConfigError, match="too large for memory"):
        check_network_size((4000, 4000), n_features=5000, n_classes=10)


# --- numbers and choices --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("lr", "abc", "positive number"),
        ("lr", "0", "greater than 0"),
        ("lr", "-0.1", "greater than 0"),
        ("lr", "nan", "positive number"),
        ("lr", "inf", "positive number"),
        ("lr", "__import__('os')", "positive number"),
        ("lr", "", "positive number"),
        ("epochs", "0", "from 1 to"),
        ("epochs", "-5", "from 1 to"),
        ("epochs", "2.5", "whole number"),
        ("epochs", str(MAX_EPOCHS + 1), "from 1 to"),
        ("activation", "foo", "choose one of relu, tanh, logistic, identity"),
        ("activation", "softmax", "choose one of"),
        ("solver", "rmsprop", "choose one of adam, sgd, lbfgs"),
        ("lr_schedule", "cosine", "choose one of constant, invscaling, adaptive"),
        ("alpha", "-1", "0 or more"),
        ("alpha", "lots", "a number >= 0"),
        ("batch_size", "0", "at least 1"),
        ("batch_size", "big", "or auto"),
        ("momentum", "1.5", "from 0 to 1"),
        ("nesterov", "maybe", "true or false"),
        ("early_stopping", "2", "true or false"),
        ("validation_fraction", "0", "between 0 and 1"),
        ("validation_fraction", "1", "between 0 and 1"),
        ("tol", "-1e-4", "0 or more"),
        ("n_iter_no_change", "0", "at least 1"),
        ("seed", "-1", "from 0 to 4294967295"),
        ("seed", "1.5", "whole number"),
    ],
)
def test_every_bad_value_names_the_field_and_what_is_allowed(
    field: str, value: str, says: str
) -> None:
    error = config_error({field: value})
    assert isinstance(error, InputError)  # exit code 2 in the CLI
    assert error.field == field
    assert says in error.message, error.message
    assert str(error) == f"{field}: {error.message}"
    assert "\n" not in str(error)


def test_unknown_field_lists_the_known_ones() -> None:
    error = config_error({"learning_rate": "0.1"})
    assert error.field == "learning_rate"
    assert "known:" in error.message and "lr" in error.message


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("lr", " 0.5 ", 0.5),
        ("lr", "1e-3", 0.001),
        ("epochs", "250", 250),
        ("activation", " TANH ", "tanh"),
        ("batch_size", "auto", None),
        ("batch_size", "", None),
        ("nesterov", "no", False),
        ("early_stopping", "yes", True),
        ("seed", "none", None),
        ("lr-schedule", "invscaling", "invscaling"),
    ],
)
def test_good_text_converts(field: str, text: str, value: object) -> None:
    config = RunConfig.from_mapping({field: text})
    assert getattr(config, field.replace("-", "_")) == value


@pytest.mark.parametrize("name", list(FIELD_INFO))
def test_field_text_round_trips(name: str) -> None:
    config = RunConfig(layers=(8, 4), lr=0.003, batch_size=32, seed=None, activation=ACTIVATIONS[1])
    assert parse_field(name, field_text(config, name)) == getattr(config, name)


def test_validated_rechecks_a_directly_built_config() -> None:
    assert RunConfig(layers=(3,), lr=0.5).validated() == RunConfig(layers=(3,), lr=0.5)
    with pytest.raises(ConfigError, match="lr: must be greater than 0"):
        RunConfig(lr=-1.0).validated()
    with pytest.raises(ConfigError, match=r"^epochs: "):
        RunConfig(epochs=0).validated()


def test_to_dict_round_trips_through_from_mapping() -> None:
    config = RunConfig(layers=(16, 8), lr=0.2, solver="sgd", early_stopping=True, seed=None)
    assert RunConfig.from_mapping(config.to_dict()) == config
