"""The scorer's decision from logits (core.scoring._decide) against a plain reading:
the argmax, and the rows whose top two logits are within the margin."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.scoring import FLOAT32_MARGIN, _decide

# Few distinct values: exact ties between the top two (and between others) are common.
VALUES = st.sampled_from([-3.0, -1.0, 0.0, 0.25, 0.2500001, 1.0, 7.5, 1e6])


@settings(max_examples=150, deadline=None)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    logits=st.integers(2, 12).flatmap(
        lambda k: arrays(np.float64, st.tuples(st.integers(1, 40), st.just(k)), elements=VALUES)
    ),
)
def test_decide_is_argmax_and_the_top_two_margin(dtype, logits) -> None:
    out = logits.astype(dtype)
    before = out.copy()
    predicted, unsure = _decide(out, FLOAT32_MARGIN)
    ordered = np.sort(before, axis=1)
    top, second = ordered[:, -1], ordered[:, -2]
    assert (predicted == before.argmax(axis=1)).all()  # ties: the first class, as predict
    assert (unsure == ((top - second) < FLOAT32_MARGIN * (1.0 + np.abs(top)))).all()
    assert (out == before).all()  # the logits are given back as they came


def test_decide_binary_is_the_sign_of_the_logit() -> None:
    out = np.array([[-2.0], [0.0], [1e-5], [3.0]])
    predicted, unsure = _decide(out, FLOAT32_MARGIN)
    assert predicted.tolist() == [0, 0, 1, 1]
    assert unsure.tolist() == [False, True, True, False]
