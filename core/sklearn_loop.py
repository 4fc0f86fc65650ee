"""scikit-learn's own stochastic epoch loop, without its per-batch input checks.

``MLPClassifier._fit_stochastic`` takes each batch's rows with ``_safe_indexing`` and
draws each epoch's order with ``sklearn.utils.shuffle``. Both work out on every call
what their input is (pandas, narwhals, the array API, sparse): on small data, where
a batch's arithmetic is quick (digits: 7 batches an epoch), those checks are about a
fifth of the fit.

:func:`fast_fit_stochastic` gives that very method (its code, whatever the installed
scikit-learn's is) run with those two names pointing at fast paths for the plain
numpy arrays a fit has at that point: the same rows taken, the same random draws from
the same generator, so the same weights bit for bit (``tests/test_sklearn_loop.py``
and ``tests/test_faithful.py`` check it against a plain ``MLPClassifier``). Anything
else (a sparse matrix, a generator that is not a ``RandomState``) goes to
scikit-learn's own functions.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np

#: The module globals of ``_fit_stochastic`` replaced here.
REPLACED = ("_safe_indexing", "shuffle")


def fast_fit_stochastic(mlp_class: type) -> Callable[..., Any]:
    """``mlp_class._fit_stochastic`` with the fast paths; the method itself when its
    code does not use both names (a scikit-learn that changed its loop)."""
    method = mlp_class._fit_stochastic
    code = method.__code__
    if not set(REPLACED) <= set(code.co_names) or method.__closure__:
        return method
    from sklearn.utils import shuffle
    from sklearn.utils._indexing import _safe_indexing

    def take_rows(X: Any, indices: Any, *, axis: int = 0) -> Any:
        # _safe_indexing(X, indices) ends in X[indices, ...] for an ndarray.
        if axis == 0 and type(X) is np.ndarray and type(indices) is np.ndarray:
            return X[indices]
        return _safe_indexing(X, indices, axis=axis)

    def shuffle_rows(*arrays: Any, random_state: Any = None, n_samples: Any = None) -> Any:
        # shuffle -> resample(replace=False): arange, one RandomState.shuffle, take.
        if (
            len(arrays) == 1
            and n_samples is None
            and type(arrays[0]) is np.ndarray
            and isinstance(random_state, np.random.RandomState)
        ):
            order = np.arange(arrays[0].shape[0])
            random_state.shuffle(order)
            return arrays[0][order]
        return shuffle(*arrays, random_state=random_state, n_samples=n_samples)

    namespace = dict(method.__globals__)
    namespace.update(_safe_indexing=take_rows, shuffle=shuffle_rows)
    fast = types.FunctionType(code, namespace, method.__name__, method.__defaults__)
    fast.__kwdefaults__ = method.__kwdefaults__
    fast.__doc__ = method.__doc__
    fast.__qualname__ = method.__qualname__
    return fast
