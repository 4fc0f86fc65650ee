"""Synthetic 2-D classification sets in the spirit of TensorFlow Playground.

Every generator takes the same three knobs: ``n_samples`` (rows), ``noise`` (how much the
classes blur into each other; 0 is perfectly clean) and ``seed`` (the same seed always
gives the same points). Labels are the integers ``0 .. k-1``; features are ``x1, x2``.
"""

from __future__ import annotations

from core.lazy import lazy_module

np = lazy_module("numpy")  # numpy on first use: start-up stays light


SYNTHETIC_NAMES = ("moons", "circles", "xor", "spiral", "blobs")
FEATURE_NAMES = ("x1", "x2")

#: One line per set for the dataset pane; the noise and size are appended by the caller.
DESCRIPTIONS = {
    "moons": "two interleaving half circles",
    "circles": "a small circle inside a ring",
    "xor": "four quadrants, opposite quadrants share a class",
    "spiral": "two interleaved spiral arms",
    "blobs": "three gaussian clusters whose spread grows with noise",
}

#: Spiral arms reach this radius. With 1.75 turns the arms are ~1.1 apart, so a given
#: ``noise`` blurs the spiral about as much as it blurs the moons.
_SPIRAL_RADIUS = 4.0
_SPIRAL_TURNS = 1.75
#: Blob centres sit on a circle of this radius (3.5 apart from each other).
_BLOB_RADIUS = 2.0


def generate(name: str, n_samples: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Build synthetic set ``name``; returns ``(X, y)`` with X float64 of shape (n, 2).

    ``n_samples`` is the number of rows, ``noise`` the standard deviation of the gaussian
    jitter (for blobs: it widens the clusters), ``seed`` fixes the random generator.
    """
    if name == "moons":
        from sklearn.datasets import make_moons

        X, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    elif name == "circles":
        from sklearn.datasets import make_circles

        X, y = make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=seed)
    elif name == "xor":
        X, y = _xor(n_samples, noise, np.random.default_rng(seed))
    elif name == "spiral":
        X, y = _spiral(n_samples, noise, np.random.default_rng(seed))
    elif name == "blobs":
        X, y = _blobs(n_samples, noise, np.random.default_rng(seed))
    else:
        raise ValueError(f"unknown synthetic set {name!r}; known: {', '.join(SYNTHETIC_NAMES)}")
    return np.ascontiguousarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def _balanced_labels(n_samples: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    # Equal class sizes (up to one row) so even 10 rows always hold every class.
    return rng.permutation(np.arange(n_samples) % n_classes)


def _xor(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n_samples, 2, rng)
    # Keep clean points a little off the axes (as the Playground does), so noise=0 is
    # perfectly separable; class 1 lives where x1 and x2 have the same sign.
    magnitude = rng.uniform(0.05, 1.0, size=(n_samples, 2))
    sign_x = rng.choice([-1.0, 1.0], size=n_samples)
    sign_y = np.where(y == 1, sign_x, -sign_x)
    X = magnitude * np.column_stack([sign_x, sign_y])
    return X + rng.normal(0.0, noise, size=X.shape), y


def _spiral(
    n_samples: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n_samples, 2, rng)
    # Points spread evenly along each arm: position t in [0, 1) from centre to tip.
    t = np.empty(n_samples)
    for label in (0, 1):
        members = np.flatnonzero(y == label)
        t[members] = np.arange(members.size) / members.size
    angle = _SPIRAL_TURNS * 2 * np.pi * t + np.pi * y  # the second arm is turned by 180°
    radius = _SPIRAL_RADIUS * t
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X + rng.normal(0.0, noise, size=X.shape), y


def _blobs(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = _balanced_labels(n_samples, 3, rng)
    angles = np.deg2rad([90.0, 210.0, 330.0])
    centres = _BLOB_RADIUS * np.column_stack([np.cos(angles), np.sin(angles)])
    # A base spread keeps noise=0 from collapsing each blob onto a single point.
    spread = 0.3 + 2.0 * noise
    return centres[y] + rng.normal(0.0, spread, size=(n_samples, 2)), y
