"""Which data a run trains on: a spec, its loading, the train/test split and scaling.

A :class:`DatasetSpec` names either a built-in set (four bundled with scikit-learn, five
synthetic 2-D ones) or a CSV file, optionally with a separate test file.
:func:`load_dataset` turns it into a :class:`Dataset` ready for ``fit``; every problem
with user input is a :class:`DataError` (or :class:`ConfigError` for a bad field).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from core import synthetic
from core.errors import ConfigError, DataError
from core.lazy import lazy_module
from core.scaling import check_scalable
from core.values import as_bool, as_float, as_int, shown, shown_key

np = lazy_module("numpy")  # numpy on first use: start-up stays light

BUNDLED_NAMES = ("iris", "wine", "breast_cancer", "digits")
BUILTIN_NAMES: tuple[str, ...] = BUNDLED_NAMES + synthetic.SYNTHETIC_NAMES
DEFAULT_DATASET = "moons"

MIN_SAMPLES = 10
MAX_SAMPLES = 1_000_000
MAX_NOISE = 10.0
#: Most folds of a cross-validation (``cv``); 0 means no cross-validation.
MAX_CV = 50
#: Fields stored only for a cross-validated spec (``cv`` > 0): a spec without
#: cross-validation keeps the JSON it always had.
CV_FIELDS = ("cv", "refit", "fold")

_BUNDLED_DESCRIPTIONS = {
    "iris": "iris flowers: 4 measurements in cm, 3 species (0=setosa, 1=versicolor, 2=virginica)",
    "wine": "wines from 3 cultivars (0, 1, 2): 13 chemical measurements",
    "breast_cancer": "breast tumour cell nuclei: 30 features, 0=malignant, 1=benign",
    "digits": "8x8 images of handwritten digits 0-9: 64 pixel intensities (0-16)",
}

_FIELD_ALIASES = {"dataset": "name"}


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """What to load and how to split and scale it (everything a run needs to repeat)."""

    name: str | None = DEFAULT_DATASET  # built-in name, or None when train is given
    train: str | None = None  # CSV path: the train file, or all data when test is None
    test: str | None = None  # optional separate test CSV (then nothing is split)
    target: str | None = None  # CSV target column name; default: the last column
    test_size: float = 0.25  # share of rows held out for testing when test is None
    split_seed: int = 0  # seeds the split and the synthetic generator
    scale: bool = True  # standardise features with a scaler fit on the train part only
    noise: float = 0.2  # synthetic sets only: how much the classes blur
    n_samples: int = 400  # synthetic sets only: number of rows
    # CSV reading (None = sniffed from the file / the defaults of core.tabular):
    sep: str | None = None  # field separator: "," ";" "\t" "|" or " " (runs of spaces)
    decimal: str | None = None  # decimal mark: "." or ","
    na_values: str | None = None  # comma-separated cells read as missing
    header: bool = True  # False: the first row is data; columns are "column 1", ...
    drop: str | None = None  # comma-separated columns never used as features
    keep: str | None = None  # comma-separated columns used even if ignored by the rules
    # Cross-validation (core.folds): ``cv`` stratified folds of the train part (0: none);
    # ``refit``: also train on the whole train part and score on the test part;
    # ``fold``: this spec is fold ``fold`` (0-based) only: its train part is the fold's
    # train rows and its test part the fold's validation rows, scaled on the former.
    cv: int = 0
    refit: bool = True
    fold: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict with every field (the cross-validation ones only when
        ``cv`` is set, ``fold`` only when set)."""
        data = asdict(self)
        if not self.cv:
            for name in CV_FIELDS:
                data.pop(name)
        elif self.fold is None:
            data.pop("fold")
        return data

    def base(self) -> DatasetSpec:
        """The same data without cross-validation: its whole train/test split."""
        if not self.cv and self.fold is None:
            return self
        return replace(self, cv=0, refit=True, fold=None)

    def fold_spec(self, fold: int) -> DatasetSpec:
        """Fold ``fold`` (0-based) of this cross-validated spec."""
        return replace(self, fold=fold)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], base: DatasetSpec | None = None
    ) -> DatasetSpec:
        """Validate ``values`` (flags, form text, JSON: strings or typed) over ``base``.

        Giving ``train`` without ``name`` clears the default built-in name (and giving
        ``name`` clears a ``train`` of ``base``), so ``{"train": "x.csv"}`` just works.
        Unknown keys raise :class:`ConfigError` naming the key and the known ones.
        """
        base = base or cls()
        changes: dict[str, Any] = {}
        for key, raw in values.items():
            name = key.replace("-", "_")
            name = _FIELD_ALIASES.get(name, name)
            if name not in _FIELD_NAMES:
                raise ConfigError(
                    shown_key(key), f"unknown dataset setting; known: {', '.join(_FIELD_NAMES)}"
                )
            changes[name] = parse_spec_field(name, raw)
        if changes.get("train") is not None and "name" not in changes:
            changes["name"] = None
        if changes.get("name") is not None and "train" not in changes:
            for stale in ("train", "test", "target", *_CSV_ONLY):
                changes.setdefault(stale, None)
            changes.setdefault("header", True)
        spec = replace(base, **changes)
        spec._check_consistency()
        return spec

    def validate(self) -> DatasetSpec:
        """Check every field and their combination; return the spec with values
        normalised (``" Iris"`` -> ``"iris"``, ``"0.5"`` -> ``0.5``), or raise."""
        parsed = {f.name: parse_spec_field(f.name, getattr(self, f.name)) for f in fields(self)}
        spec = self if parsed == self.to_dict() else replace(self, **parsed)
        spec._check_consistency()
        return spec

    def _check_consistency(self) -> None:
        if self.name is not None and self.train is not None:
            raise DataError(
                f"give a built-in dataset or a train CSV, not both (got {shown(self.name)} "
                f"and {shown(self.train)})"
            )
        if self.name is None and self.train is None:
            raise DataError(
                f"no dataset: give a built-in name ({', '.join(BUILTIN_NAMES)}) or a train CSV"
            )
        if self.train is None and self.test is not None:
            raise ConfigError("test", "a test CSV needs a train CSV too")
        if self.train is None and self.target is not None:
            raise ConfigError(
                "target", "only applies to CSV data; built-in datasets have their own target"
            )
        if self.fold is not None and not 0 <= self.fold < max(self.cv, 1):
            raise ConfigError("fold", f"must be from 0 to {self.cv - 1} with cv={self.cv}")
        if self.train is None:
            for name in _CSV_ONLY:
                if getattr(self, name) is not None:
                    raise ConfigError(name, "only applies to CSV data")
            if not self.header:
                raise ConfigError("header", "only applies to CSV data")

    def label(self) -> str:
        """Short text for lists: ``digits``, ``moons(noise=0.2,n=400)``,
        ``data.csv[target=label]``."""
        if self.name is not None:
            if self.is_synthetic():
                return f"{self.name}(noise={self.noise:g},n={self.n_samples})"
            return self.name
        text = os.path.basename(self.train or "")
        if self.test is not None:
            text += "+" + os.path.basename(self.test)
        if self.target is not None:
            text += f"[target={self.target}]"
        return text

    def is_synthetic(self) -> bool:
        """True for the generated 2-D sets (noise and n_samples apply)."""
        return self.name in synthetic.SYNTHETIC_NAMES


_FIELD_NAMES = tuple(f.name for f in fields(DatasetSpec))
_CSV_ONLY = ("sep", "decimal", "na_values", "drop", "keep")


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """What the dataset pane shows about a dataset, before any split."""

    name: str  # built-in name or the train file's name
    n_rows: int  # all rows (train and test)
    n_features: int
    n_classes: int
    class_counts: dict[str, int]  # label text -> rows, over the whole data, sorted labels
    feature_names: list[str]
    description: str  # one line
    # CSV files only: every column with its kind and action (core.tabular.ColumnInfo
    # dicts), rows dropped for a missing target, the target's name, notes and warnings.
    columns: list[dict[str, Any]] = field(default_factory=list)
    dropped_rows: int = 0
    target: str | None = None
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict with every field."""
        return asdict(self)


@dataclass
class Dataset:
    """Arrays ready for ``fit``/``score``, with what is needed to explain them."""

    spec: DatasetSpec
    X_train: np.ndarray  # float64, scaled when spec.scale
    X_test: np.ndarray
    y_train: np.ndarray  # class labels: ints, or strings as in the data
    y_test: np.ndarray
    feature_names: list[str]
    classes: list[Any]  # sorted unique labels (python str/int), the order of classes_
    info: DatasetInfo
    scaler_mean: np.ndarray | None = field(default=None)  # None when not scaled
    scaler_scale: np.ndarray | None = field(default=None)
    encoded: bool = False  # True when some inputs are one-hot columns (no 2-D plot then)

    def summary(self) -> dict[str, Any]:
        """What ``run --json`` reports as ``data``: rows used, rows dropped, network
        inputs and every column with its kind and action."""
        columns = self.info.columns or [
            {"name": name, "kind": "numeric", "action": "feature"} for name in self.feature_names
        ]
        return {
            "rows": int(self.y_train.size + self.y_test.size),
            "dropped_rows": self.info.dropped_rows,
            "inputs": int(self.X_train.shape[1]),
            "columns": [
                {"name": c["name"], "kind": c["kind"], "action": c["action"]} for c in columns
            ],
        }

    @property
    def baseline_accuracy(self) -> float:
        """Test accuracy of always guessing the most common train class."""
        if self.y_test.size == 0:
            return 0.0
        labels, counts = np.unique(self.y_train, return_counts=True)
        majority = labels[int(np.argmax(counts))]
        return float(np.mean(self.y_test == majority))

    @property
    def is_2d(self) -> bool:
        """Two numeric features: decision regions can be drawn."""
        return len(self.feature_names) == 2 and not self.encoded

    def to_model_space(self, points: np.ndarray) -> np.ndarray:
        """Map raw feature values (e.g. a plot grid) to what the model sees."""
        points = np.asarray(points, dtype=np.float64)
        if self.scaler_mean is None or self.scaler_scale is None:
            return points
        return (points - self.scaler_mean) / self.scaler_scale

    def to_raw_space(self, points: np.ndarray) -> np.ndarray:
        """Undo the scaling: model inputs back to the data's own units."""
        points = np.asarray(points, dtype=np.float64)
        if self.scaler_mean is None or self.scaler_scale is None:
            return points
        return points * self.scaler_scale + self.scaler_mean


# --- field parsing --------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "none"))


def _as_text(name: str, value: Any, what: str) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ConfigError(name, f"expected {what}, got {shown(value)}")
    return value.strip()


def _parse_csv_option(name: str, value: Any) -> str | None:
    """``sep``, ``decimal``, ``na_values``, ``drop``, ``keep`` as stored in a spec."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(name, f"expected text, got {str(value)[:40]!r}")
    if name == "sep":
        from core.csvfile import SEP_NAMES

        sep = SEP_NAMES.get(value.strip().lower(), value) if value.strip() else " "
        if sep not in (",", ";", "\t", "|", " "):
            raise ConfigError(name, f"must be , ; tab space or |, got {value[:20]!r}")
        return sep
    if name == "decimal":
        if value.strip() not in (".", ","):
            raise ConfigError(name, f"must be . or , got {value[:20]!r}")
        return value.strip()
    if any(ord(char) < 32 for char in value):
        raise ConfigError(name, "must not contain control characters")
    if name == "na_values":
        return value
    from core.tabular import parse_names

    names = parse_names(value)
    return ",".join(names) or None


def parse_spec_field(name: str, value: Any) -> Any:
    """Validate and convert one :class:`DatasetSpec` field (text or typed value).

    Raises :class:`ConfigError` naming the field, or :class:`DataError` for an unknown
    built-in name.
    """
    if name == "name":
        if _blank(value):
            return None
        if not isinstance(value, str):
            raise ConfigError(name, f"expected a dataset name, got {shown(value)}")
        text = value.strip().lower().replace("-", "_")
        if text not in BUILTIN_NAMES:
            hint = ""
            if "." in text or "/" in text or os.sep in text:
                hint = " (to load a CSV file, give it as the train file: --train PATH)"
            raise DataError(
                f"unknown dataset {shown(value.strip())}; "
                f"built-in: {', '.join(BUILTIN_NAMES)}{hint}"
            )
        return text
    if name in ("train", "test"):
        return _as_text(name, value, "a CSV file path")
    if name == "target":
        return _as_text(name, value, "a column name")
    if name == "test_size":
        number = as_float(name, value, "a fraction between 0 and 1 like 0.25")
        if not 0 < number < 1:
            raise ConfigError(name, f"must be between 0 and 1 (exclusive), got {number:g}")
        return number
    if name == "split_seed":
        number = as_int(name, value, "a whole number from 0 to 4294967295")
        if not 0 <= number <= 2**32 - 1:
            raise ConfigError(name, f"must be from 0 to 4294967295, got {number}")
        return number
    if name in ("scale", "header"):
        return as_bool(name, value)
    if name in _CSV_ONLY:
        return _parse_csv_option(name, value)
    if name == "cv":
        allowed = f"0 (no cross-validation) or a number of folds from 2 to {MAX_CV}"
        number = as_int(name, value, allowed)
        if number != 0 and not 2 <= number <= MAX_CV:
            raise ConfigError(name, f"must be {allowed}, got {shown(number)}")
        return number
    if name == "refit":
        return as_bool(name, value)
    if name == "fold":
        if value is None:
            return None
        number = as_int(name, value, "a fold number from 0")
        if number < 0:
            raise ConfigError(name, f"must be a fold number from 0, got {shown(number)}")
        return number
    if name == "noise":
        number = as_float(name, value, f"a number from 0 to {MAX_NOISE:g} like 0.2")
        if not 0 <= number <= MAX_NOISE:
            raise ConfigError(name, f"must be from 0 to {MAX_NOISE:g}, got {number:g}")
        return number
    if name == "n_samples":
        number = as_int(name, value, f"a whole number of rows from {MIN_SAMPLES}")
        if not MIN_SAMPLES <= number <= MAX_SAMPLES:
            raise ConfigError(
                name, f"must be from {MIN_SAMPLES} to {MAX_SAMPLES:,}, got {number:,}"
            )
        return number
    raise ConfigError(name, f"unknown dataset setting; known: {', '.join(_FIELD_NAMES)}")


# --- loading --------------------------------------------------------------------------


@dataclass(slots=True)
class _Raw:
    """Unsplit data as read: all rows, or a train and a test part from two files."""

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    description: str
    path: str | None = None  # the train CSV, for messages
    X_test: np.ndarray | None = None  # set when a separate test file was given
    y_test: np.ndarray | None = None
    pair: Any = None  # CSV: the core.csvdata.CsvPair (X and X_test are feature frames)


@lru_cache(maxsize=len(BUNDLED_NAMES))
def _bundled(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    # The loaders read CSVs shipped inside scikit-learn (no network); cached because
    # builtin_infos() and repeated runs ask again. Read-only so no caller can alter it.
    from sklearn import datasets as sk

    loader = {
        "iris": sk.load_iris,
        "wine": sk.load_wine,
        "breast_cancer": sk.load_breast_cancer,
        "digits": sk.load_digits,
    }[name]
    bunch = loader()
    X = np.ascontiguousarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y, tuple(str(n) for n in bunch.feature_names)


def _load_raw(spec: DatasetSpec) -> _Raw:
    if spec.name in BUNDLED_NAMES:
        X, y, names = _bundled(spec.name)
        return _Raw(spec.name, X, y, list(names), _BUNDLED_DESCRIPTIONS[spec.name])
    if spec.name is not None:
        X, y = synthetic.generate(spec.name, spec.n_samples, spec.noise, spec.split_seed)
        description = (
            f"{synthetic.DESCRIPTIONS[spec.name]} (noise={spec.noise:g}, "
            f"n={spec.n_samples}, seed={spec.split_seed})"
        )
        return _Raw(spec.name, X, y, list(synthetic.FEATURE_NAMES), description)
    return _load_csv(spec)


def _load_csv(spec: DatasetSpec) -> _Raw:
    from core.csvdata import describe_text, read_csv_pair

    assert spec.train is not None  # guaranteed by validate()
    try:
        pair = read_csv_pair(spec, keep_scratch=True)  # handed back once encoded
    except BaseException:
        from core.tabular import release_free_memory

        release_free_memory()
        raise
    return _Raw(
        name=os.path.basename(spec.train),
        X=pair.table.features,
        y=pair.y,
        feature_names=pair.table.numeric + pair.table.categorical,
        description=describe_text(pair, spec),
        path=spec.train,
        X_test=pair.test_features,
        y_test=pair.y_test,
        pair=pair,
    )


def _join_labels(labels: np.ndarray, limit: int = 10) -> str:
    shown = [str(label) for label in labels.tolist()[:limit]]
    return ", ".join(shown) + (", ..." if labels.size > limit else "")


def _class_counts(raw: _Raw, with_test: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The sorted classes of ``raw.y`` (and ``raw.y_test`` with ``with_test``) and their
    row counts; a CSV's from its few label codes instead of sorting every row."""
    if raw.pair is not None and (raw.y_test is None or not with_test):
        codes = raw.pair.table.label_codes
        per_code = np.empty(int(codes.max()) + 1, dtype=raw.y.dtype)
        per_code[codes] = raw.y
        labels, rank = np.unique(per_code, return_inverse=True)
        counts = np.bincount(rank[codes], minlength=labels.size)
        return labels, counts
    y_all = raw.y if raw.y_test is None or not with_test else np.concatenate([raw.y, raw.y_test])
    return np.unique(y_all, return_counts=True)


def _info(raw: _Raw) -> DatasetInfo:
    labels, counts = _class_counts(raw)
    n_rows = len(raw.y) + (0 if raw.y_test is None else len(raw.y_test))
    extra: dict[str, Any] = {}
    if raw.pair is not None:
        table = raw.pair.table
        extra = {
            "columns": [c.to_dict() for c in table.columns],
            "dropped_rows": table.dropped_rows + raw.pair.test_dropped,
            "target": table.target,
            "notices": list(raw.pair.notices) + list(table.notices),
            "warnings": list(table.warnings),
        }
    return DatasetInfo(
        name=raw.name,
        n_rows=n_rows,
        n_features=raw.pair.table.encoded_width() if raw.pair is not None else raw.X.shape[1],
        n_classes=int(labels.size),
        class_counts={
            str(k): int(c) for k, c in zip(labels.tolist(), counts.tolist(), strict=True)
        },
        feature_names=list(raw.feature_names),
        description=raw.description,
        **extra,
    )


def _check_split(raw: _Raw, spec: DatasetSpec) -> None:
    """Refuse data too small for the stratified split, without scikit-learn."""
    labels, counts = _class_counts(raw, with_test=False)
    n_rows, n_classes = int(raw.y.size), int(labels.size)
    # Check what stratified train_test_split needs, to say it in the user's terms.
    n_test = math.ceil(spec.test_size * n_rows)
    n_train = n_rows - n_test
    problem = ""
    if counts.min() < 2:
        rare = labels[int(np.argmin(counts))].item()
        problem = f"need at least 2 rows of each class (class {rare!r} has {counts.min()})"
    elif n_test < n_classes or n_train < n_classes:
        problem = (
            f"need at least {n_classes} train and {n_classes} test rows (one per class), "
            f"test_size={spec.test_size:g} gives {n_train} and {n_test}; "
            "add rows or change test_size"
        )
    if problem:
        raise DataError(
            f"too few rows to split: {n_rows} rows, {n_classes} classes; {problem}",
            path=raw.path,
        )


def _split(raw: _Raw, spec: DatasetSpec, X: Any = None) -> tuple[np.ndarray, ...]:
    """Stratified split of ``X`` (default: ``raw.X``) and ``raw.y``; a CSV splits its
    row numbers, so only the labels are copied (the same rows, in the same order, as
    splitting the feature frame itself)."""
    _check_split(raw, spec)
    n_rows, n_classes = int(raw.y.size), int(np.unique(raw.y).size)
    from sklearn.model_selection import train_test_split

    try:
        parts = train_test_split(
            raw.X if X is None else X,
            raw.y,
            test_size=spec.test_size,
            random_state=spec.split_seed,
            stratify=raw.y,
        )
    except ValueError as error:
        raise DataError(
            f"too few rows to split: {n_rows} rows, {n_classes} classes; {error}",
            path=raw.path,
        ) from None
    return tuple(parts)


def _train_classes(raw: _Raw, train_rows: Any) -> list[Any]:
    """The sorted classes of a CSV's train rows (python ints or str): ``train_rows``
    of ``raw.y``, or all of it (None)."""
    codes = raw.pair.table.label_codes
    per_code = np.empty(int(codes.max()) + 1, dtype=raw.y.dtype)
    per_code[codes] = raw.y
    chosen = codes if train_rows is None else codes[train_rows]
    present = np.bincount(chosen, minlength=per_code.size) > 0
    return np.unique(per_code[present]).tolist()


def _csv_split(raw: _Raw, spec: DatasetSpec, codes: Any) -> tuple[np.ndarray, np.ndarray]:
    """The train and test row numbers of a CSV's stratified split: the rows
    ``train_test_split`` picks, from the labels' codes (core/stratify.py)."""
    from core.stratify import label_ranks, stratified_rows

    _check_split(raw, spec)
    ranks, n_classes = label_ranks(codes, raw.y)
    try:
        return stratified_rows(ranks, n_classes, spec.test_size, spec.split_seed)
    except ValueError as error:
        raise DataError(
            f"too few rows to split: {raw.y.size} rows, {n_classes} classes; {error}",
            path=raw.path,
        ) from None


def load_dataset(spec: DatasetSpec) -> Dataset:
    """Load, split and scale the data ``spec`` names; raises :class:`DataError` (or
    :class:`ConfigError` for an invalid spec field). A spec with a ``fold`` gives that
    fold of its cross-validation (:mod:`core.folds`); one with ``cv`` and no fold
    gives the whole split, as without ``cv``."""
    spec = spec.validate()
    if spec.fold is not None:
        from core.folds import load_fold

        return load_fold(spec)
    raw, parts = split_parts(spec)
    return prepared(spec, raw, *parts)


def split_parts(spec: DatasetSpec) -> tuple[_Raw, tuple[Any, Any, Any, Any]]:
    """The unscaled data of a validated ``spec`` and its ``(X_train, X_test, y_train,
    y_test)`` split (for a CSV, row numbers of its table: see :func:`prepared`)."""
    raw = _load_raw(spec)
    if raw.pair is not None:
        try:
            return raw, _csv_rows(spec, raw)
        except BaseException:
            from core.tabular import release_free_memory

            release_free_memory()  # no encoding follows to hand the parser's scratch back
            raise
    if raw.X_test is None or raw.y_test is None:
        X_train, X_test, y_train, y_test = _split(raw, spec)
    else:
        X_train, X_test, y_train, y_test = raw.X, raw.X_test, raw.y, raw.y_test
    return raw, (X_train, X_test, y_train, y_test)


def prepared(
    spec: DatasetSpec,
    raw: _Raw,
    X_train: Any,
    X_test: Any,
    y_train: Any,
    y_test: Any,
    release: bool = True,
) -> Dataset:
    """The :class:`Dataset` of unscaled parts: scaled (or, for a CSV, encoded) with a
    pipeline fit on ``X_train`` only. For a CSV the parts are row numbers of its table
    (``X_train`` None: every row; ``X_test`` None: the separate test file's rows).
    ``release`` lets a CSV's columns go as they are encoded (peak memory);
    cross-validation keeps them for the next fold."""
    if raw.pair is not None:  # the parts are row numbers (see split_parts)
        return _encoded_dataset(spec, raw, X_train, X_test, y_train, y_test, release)
    X_train = np.array(X_train, dtype=np.float64, order="C")  # own copies, writeable
    X_test = np.array(X_test, dtype=np.float64, order="C")
    mean = scale = None
    if spec.scale:
        from sklearn.preprocessing import StandardScaler

        check_scalable(X_train, raw.feature_names, raw.path)

        # Fit on the train part only, so nothing about the test rows leaks into training.
        scaler = StandardScaler().fit(X_train)
        X_train = scaler.transform(X_train)
        X_test = scaler.transform(X_test)
        mean, scale = scaler.mean_.copy(), scaler.scale_.copy()
    return Dataset(
        spec=spec,
        X_train=X_train,
        X_test=X_test,
        y_train=np.asarray(y_train).copy(),
        y_test=np.asarray(y_test).copy(),
        feature_names=list(raw.feature_names),
        classes=np.unique(y_train).tolist(),
        info=_info(raw),
        scaler_mean=mean,
        scaler_scale=scale,
    )


def _csv_rows(spec: DatasetSpec, raw: _Raw) -> tuple[Any, Any, Any, Any]:
    """A CSV's split as row numbers: ``(train rows, test rows, y_train, y_test)``; the
    rows are None for a separate test file (all of the train file, all of the test's)."""
    if raw.pair.test_features is None:
        train_rows, test_rows = _csv_split(raw, spec, raw.pair.table.label_codes)
        return train_rows, test_rows, raw.y[train_rows], raw.y[test_rows]
    return None, None, raw.y, raw.y_test


def _encoded_dataset(
    spec: DatasetSpec,
    raw: _Raw,
    train_rows: Any,
    test_rows: Any,
    y_train: Any,
    y_test: Any,
    release: bool = True,
) -> Dataset:
    """A CSV's rows encoded straight into the final arrays by the pipeline fit on the
    train rows only. ``test_rows`` None: the separate test file's rows; else rows of
    the train file (a split, or a fold's validation rows)."""
    from core.csvdata import encode

    pair = raw.pair
    table = pair.table
    info = _info(raw)
    from_file = test_rows is None and pair.test_features is not None
    test = pair.test_features if from_file else table.features
    classes = _train_classes(raw, train_rows)
    features = table.features
    if release:  # only the arrays are kept: the columns go as they are copied (peak memory)
        raw.X = raw.X_test = raw.pair = pair.test_features = table.features = None
    test_path = spec.test if from_file else None
    from core.tabular import release_free_memory

    try:
        encoded = encode(
            table, features, train_rows, test, test_rows, spec.scale, test_path, release, True
        )
    finally:
        del features, test
        release_free_memory()  # the parser's scratch, reused until now (read_csv_pair)
    plain = not table.categorical
    info = replace(info, n_features=encoded.X_train.shape[1])  # the categories train saw
    return Dataset(
        spec=spec,
        X_train=encoded.X_train,
        X_test=encoded.X_test,
        y_train=y_train if train_rows is not None else np.array(y_train),  # own copies
        y_test=y_test if test_rows is not None else np.array(y_test),
        feature_names=encoded.names,
        # Every class has train rows (a split keeps each; a test file's are checked).
        classes=classes,
        info=info,
        scaler_mean=encoded.mean if plain else None,
        scaler_scale=encoded.scale if plain else None,
        encoded=not plain,
    )


def describe(spec: DatasetSpec, *, check_split: bool = False) -> DatasetInfo:
    """Rows, features, classes and their balance, without splitting; raises DataError.

    With ``check_split`` also refuse data too small for the split ``load_dataset``
    makes, as it would (the CLI checks before it stores a run)."""
    spec = spec.validate()
    raw = _load_raw(spec)
    if raw.pair is not None:
        from core.tabular import release_free_memory

        release_free_memory()  # the parser's scratch (core.tabular.read_frame)
    if check_split and raw.X_test is None:
        _check_split(raw, spec)
    if check_split and spec.scale:
        check_scalable(raw.X, raw.feature_names, raw.path)
    return _info(raw)


def builtin_infos() -> list[DatasetInfo]:
    """Every built-in dataset (synthetic ones with the default noise and size)."""
    return [describe(DatasetSpec(name=name)) for name in BUILTIN_NAMES]
