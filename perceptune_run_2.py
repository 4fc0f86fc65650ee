"""Reproduces perceptune run 2: 6,6 lr=0.01 ep=100 relu adam
Data: moons(noise=0.2,n=200)
Stored result: train accuracy 0.953, test accuracy 0.940.
Needs only numpy and scikit-learn. Run: python perceptune_run_2.py
"""
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


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

def load_data():
    X, y = generate('moons', n_samples=200, noise=0.2, seed=0)
    return X, y, None, None


def main():
    X, y, X_test, y_test = load_data()
    if X_test is None:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=y
        )
    else:
        X_train, y_train = X, y
    if True:
        scaler = StandardScaler().fit(X_train)  # fit on the train part only
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    model = MLPClassifier(
        hidden_layer_sizes=(6, 6),
        learning_rate_init=0.01,
        max_iter=100,
        activation='relu',
        solver='adam',
        alpha=0.0001,
        batch_size='auto',
        learning_rate='constant',
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        tol=0.0001,
        n_iter_no_change=10,
        random_state=10,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    print(f"Train accuracy: {model.score(X_train, y_train):.3f}")
    print(f"Test accuracy: {model.score(X_test, y_test):.3f}")


if __name__ == "__main__":
    main()
