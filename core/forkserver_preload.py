"""Imported once by the forkserver (and only there) before it forks any worker.

It preloads scikit-learn (core/preload.py), so every forked worker starts with it
loaded. And it makes the forkserver skip the interpreter's teardown when it exits:
tearing down scikit-learn's modules takes ~0.15 s, during which the forkserver still
holds the terminal's stdout and stderr, so `perceptune run | jq` would wait for it.
The forkserver's children (the workers) leave through ``os._exit`` anyway.
"""

from __future__ import annotations

import atexit
import os

import core.preload  # noqa: F401

atexit.register(os._exit, 0)
