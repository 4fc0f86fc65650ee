"""The Dask executor's messages (core/dask_wire.py): plain JSON data both ways, read
back exactly, and anything perceptune does not send refused with a WireError,
never unpickled."""

from __future__ import annotations

import ast
import json
import math
import pickle
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import dask_wire as wire
from core.config import RunConfig
from core.datasets import DatasetSpec, load_dataset
from core.errors import ConfigError
from core.executors import InlineExecutor
from core.results import EpochPoint
from core.worker import RunOutcome, RunRequest

ROOT = Path(__file__).resolve().parent.parent
MOONS = DatasetSpec(name="moons", n_samples=200)


class Planted:
    """Unpickling this creates ``path``: the proof that someone unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def through_msgpack(message):
    """What the message looks like after Dask carried it (lists become tuples)."""
    return msgpack.unpackb(msgpack.packb(message, use_bin_type=True), use_list=False, raw=False)


def plain_json(message) -> str:
    """``message`` as strict JSON (fails on bytes, objects, NaN)."""
    return json.dumps(message, allow_nan=False)


def points(curve):
    return [p.to_dict() for p in curve]


@pytest.fixture(scope="module")
def real_outcome() -> RunOutcome:
    request = RunRequest(3, RunConfig(epochs=5), MOONS)
    return InlineExecutor().submit(request).result()


def test_outcomes_and_events_round_trip_as_plain_json(real_outcome):
    outcome = real_outcome
    outcome.notes.append("a note")
    outcome.curve.append(EpochPoint(6, 0.5, 0.25, math.inf))  # a loss JSON cannot hold
    sent = wire.outcome_to_wire(outcome)
    back, n_epochs = wire.outcome_from_wire(json.loads(plain_json(sent)))
    assert n_epochs == 6
    assert points(back.curve) == points(outcome.curve)
    assert math.isnan(back.curve[-1].loss)
    for name in ("run_id", "status", "stop_reason", "error", "verdict", "duration_s"):
        assert getattr(back, name) == getattr(outcome, name)
    assert (back.notes, back.baseline) == (outcome.notes, outcome.baseline)

    events = [
        wire.start_event("k", "a1", "tcp://10.0.0.7:4000"),
        wire.epochs_event("k", "a1", outcome.curve[:3]),
        wire.outcome_event("k", "a1", outcome),
    ]
    read = [wire.event_from_wire(through_msgpack(json.loads(plain_json(e)))) for e in events]
    assert [e.kind for e in read] == ["start", "epochs", "outcome"]
    assert read[0].worker == "tcp://10.0.0.7:4000"
    assert points(read[1].points) == points(outcome.curve[:3])
    # The outcome event leaves the curve to the epoch events and says how long it is.
    assert read[2].outcome.curve == [] and read[2].n_epochs == 6
    assert read[2].outcome.verdict == outcome.verdict


def test_requests_and_stops_round_trip_and_are_validated_like_user_input():
    request = RunRequest(12, RunConfig(layers=(8, 4), lr=0.05, seed=None), MOONS)
    message = wire.request_to_wire(request)
    assert wire.request_from_wire(through_msgpack(json.loads(plain_json(message)))) == request
    message["config"]["lr"] = -1
    with pytest.raises(ConfigError, match="lr"):
        wire.request_from_wire(message)

    stop = wire.stop_to_wire("k", "pruned", "below the median", 5)
    assert wire.stop_from_wire(json.loads(plain_json(stop))) == (
        "k",
        "pruned",
        "below the median",
        5,
    )
    with pytest.raises(wire.WireError, match=r"stop\.status"):
        wire.stop_from_wire({**stop, "status": "done"})


def test_datasets_round_trip_with_their_dtypes(tmp_path):
    csv = tmp_path / "labels.csv"
    rows = [f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}" for i in range(40)]
    csv.write_text("a,b,answer\n" + "\n".join(rows) + "\n")
    for spec in (DatasetSpec(name="digits"), DatasetSpec(name=None, train=str(csv))):
        data = load_dataset(spec)
        message = wire.dataset_to_wire(data, "t1")
        back = wire.dataset_from_wire(through_msgpack(json.loads(plain_json(message))))
        assert wire.dataset_token(message) == "t1"
        for name in ("X_train", "X_test", "y_train", "y_test", "scaler_mean", "scaler_scale"):
            ours, theirs = getattr(data, name), getattr(back, name)
            assert theirs.dtype == ours.dtype and (theirs == ours).all(), name
            assert theirs.flags.writeable
        assert (back.spec, back.classes, back.info) == (data.spec, data.classes, data.info)
        assert back.feature_names == data.feature_names
    # the same training on the copy the workers get
    request = RunRequest(1, RunConfig(epochs=3), back.spec)
    curves = [InlineExecutor().submit(request).result().curve]
    from core.worker import execute_run

    curves.append(execute_run(request, data=back).curve)
    assert points(curves[0]) == points(curves[1])


def test_an_object_array_is_not_sent():
    data = load_dataset(MOONS)
    data.y_train = data.y_train.astype(object)
    with pytest.raises(TypeError, match="object"):
        wire.dataset_to_wire(data, "t")


def good_event():
    return wire.outcome_event("k", "a", RunOutcome(1, "done", curve=[EpochPoint(1, 0.5, 0.5, 0.1)]))


def bad_messages(marker: Path) -> dict[str, object]:
    """Messages a peer on the scheduler could publish on perceptune's topic."""
    planted = pickle.dumps(Planted(marker))
    outcome = good_event()
    epochs = {"kind": "epochs", "key": "k", "attempt": "a"}
    return {
        "the old format: a pickled outcome": ["outcome", "k", "a", planted],
        "a pickled outcome in the new format": {**outcome, "outcome": planted},
        "pickled bytes as the verdict": {
            **outcome,
            "outcome": {**outcome["outcome"], "verdict": {"x": planted}},
        },
        "a pickled epoch list": {**epochs, "points": planted},
        "bytes as the whole event": planted,
        "an unknown kind": {"kind": "exec", "key": "k", "attempt": "a", "outcome": {}},
        "an extra key": {**outcome, "code": "print(1)"},
        "a status we never send": {**outcome, "outcome": {**outcome["outcome"], "status": "owned"}},
        "an accuracy above 1": {**epochs, "points": [[1, 2.0, 0.5, 0.1]]},
        "a NaN accuracy": {**epochs, "points": [[1, math.nan, 0.5, 0.1]]},
        "True as an epoch": {**epochs, "points": [[True, 0.5, 0.5, 0.1]]},
        "a key that is not text": {**outcome, "key": 7},
        "a huge text": {**outcome, "attempt": "x" * (wire.MAX_TEXT + 1)},
        "a verdict nested too deep": {
            **outcome,
            "outcome": {**outcome["outcome"], "verdict": {"a": [[[[[1]]]]]}},
        },
        "the start of a run without its worker": {"kind": "start", "key": "k", "attempt": "a"},
        "not a dict": ("outcome", "k"),
    }  # fmt: skip


def test_anything_perceptune_does_not_send_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    for name, message in bad_messages(marker).items():
        for form in (message, through_msgpack(message)):
            with pytest.raises(wire.WireError):
                wire.event_from_wire(form)
                pytest.fail(f"accepted: {name}")
    assert not marker.exists()
    assert wire.event_from_wire(through_msgpack(good_event())).kind == "outcome"


def bad_dataset(**changes):
    message = wire.dataset_to_wire(load_dataset(MOONS), "t")
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = message
        for part in path:
            target = target[part]
        target[last] = value
    return message


@pytest.mark.parametrize(
    "changes",
    [
        {"X_train__dtype": "|O8"},  # object pointers
        {"y_test__dtype": "|V8"},
        {"X_train__data": "not base64!"},
        {"X_train__shape": [3, 2]},  # bytes for another shape
        {"X_train__shape": [300]},
        {"scaler_mean__data": pickle.dumps(1)},
        {"feature_names": ["x1"]},  # 2 columns, 1 name
        {"classes": [[1]]},
        {"info__n_rows": "many"},
        {"spec__noise": [0.1]},
        {"spec__test_size": "0.5"},
        {"spec__scale": 1},
        {"spec__split_seed": 1.5},
    ],
    ids=str,
)
def test_a_dataset_that_does_not_check_out_is_refused(changes):
    with pytest.raises((wire.WireError, ConfigError)):
        wire.dataset_from_wire(bad_dataset(**changes))


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.sampled_from(["start", "epochs", "outcome", "k", "a", "done", "failed"]),
)
junk = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.sampled_from(
                ["kind", "key", "attempt", "worker", "points", "outcome", "status", "run_id",
                 "curve", "verdict", "notes", "n_epochs", "error", "x"]
            ),
            inner,
            max_size=10,
        ),
    ),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(message=junk)
def test_any_junk_is_an_event_or_a_wire_error(message):
    try:
        event = wire.event_from_wire(message)
    except wire.WireError:
        return
    assert event.kind in ("start", "epochs", "outcome")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_junk_in_a_real_outcome_event_is_caught(data):
    """Each field of a real outcome event replaced by junk: accepted only as plain data."""
    message = good_event()
    inner = message["outcome"]
    field = data.draw(st.sampled_from(sorted(inner)))
    inner[field] = data.draw(junk)
    try:
        event = wire.event_from_wire(message)
    except wire.WireError:
        return
    plain_json(wire.outcome_to_wire(event.outcome))  # what was accepted is plain data


def test_no_perceptune_module_imports_an_unpickler():
    """The guarantee by construction: nothing in core/ or tui/ can unpickle."""
    banned = {"pickle", "_pickle", "cloudpickle", "dill", "marshal", "shelve"}
    found = []
    for path in [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("tui").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
            found += [f"{path.name}: {n}" for n in names if n.endswith("protocol.pickle")]
    assert found == []


def test_the_verdicts_data_facts_and_reference_cross_the_wire(real_outcome):
    """A run on Dask is judged like a local one: the reference the client cached goes
    to the worker, and the facts and a newly computed reference come back."""
    outcome = real_outcome
    assert outcome.facts is not None and outcome.new_reference is not None
    sent = json.loads(plain_json(wire.outcome_event("k", "a1", outcome)))
    back = wire.event_from_wire(through_msgpack(sent)).outcome
    assert back.facts == outcome.facts
    assert back.new_reference == outcome.new_reference

    request = RunRequest(4, RunConfig(epochs=5), MOONS, outcome.new_reference)
    message = through_msgpack(json.loads(plain_json(wire.request_to_wire(request))))
    assert wire.request_from_wire(message) == request
    message = {**json.loads(plain_json(wire.request_to_wire(request))), "reference": [1, 2]}
    with pytest.raises(wire.WireError, match=r"request\.reference"):
        wire.request_from_wire(message)
