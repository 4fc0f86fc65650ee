"""Imported by the forkserver before it forks any worker.

The forkserver imports this once; every worker forked from it then starts with
scikit-learn (about 1 s to import) already loaded, sharing those pages.
"""

from __future__ import annotations

import sklearn.model_selection
import sklearn.neural_network
import sklearn.preprocessing  # noqa: F401  (the scaler)

import core.worker  # noqa: F401  (datasets, diagnosis)
from core.training import _hooked_classifier_class

_hooked_classifier_class()
