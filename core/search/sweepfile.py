"""Sweep files: a TOML description of a search, its validation and its writer.

```toml
[dataset]            # as the CLI flags: name, or train/test/target, test_size, ...
name = "digits"

[search]
strategy = "grid"    # grid | random | tpe
trials = 30          # random and tpe
seed = 0
workers = 2
prune = "none"       # none | median | halving (prune_min_epochs, prune_eta)

[fixed]
seed = 10

[space]
layers = [[6, 6], [32], [64, 64]]
lr = [0.001, 0.01, 0.1]
```

Every problem is an :class:`~core.errors.InputError` whose message names the file
and the key: ``sweep.toml: [space].lr: range min 0.1 > max 0.001``. A
:class:`SweepSpec` is also what the TUI's sweep builder edits; :func:`dump_sweep`
writes it back as TOML that :func:`parse_sweep` reads to an equal spec.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import ConfigError, DataError, InputError
from core.search.epochs import group_points
from core.search.pruning import DEFAULT_ETA, PRUNERS, default_min_epochs
from core.search.space import (
    Dimension,
    SpecError,
    Values,
    parse_fixed,
    parse_space,
    space_size,
    toml_value,
)
from core.search.strategies import STRATEGIES, grid_points, random_points
from core.search.tomlwrite import dump_tables
from core.splits import check_builtin_split
from core.values import MAX_DIGITS, printable, shown

EXECUTORS = ("process", "inline", "dask")
TABLES = ("dataset", "search", "fixed", "space")
DEFAULT_TRIALS = 20
#: Larger files are refused unread: a sweep file is a few hundred bytes.
MAX_FILE_BYTES = 1_000_000
#: A grid or random sweep larger than this is refused: every point is stored up front.
MAX_POINTS = 100_000

_SEARCH_KEYS = (
    "strategy",
    "trials",
    "seed",
    "workers",
    "prune",
    "prune_min_epochs",
    "prune_eta",
    "executor",
    "scheduler",
    "name",
    "cv",
    "refit",
)


@dataclass(slots=True)
class SweepSpec:
    """Everything a sweep file says, validated. The TUI builder edits one of these.

    Parameters
    ----------
    dataset : DatasetSpec
        The data every run trains on.
    strategy : str
        ``grid`` tries every combination of ``space``; ``random`` draws ``trials``
        points; ``tpe`` lets Optuna's TPE pick ``trials`` points from the results so far.
    trials : int
        Points to try (random and tpe; a grid tries them all).
    seed : int
        Seeds the random draw and the TPE sampler (not the runs: that is ``[fixed]
        seed``, the config's ``random_state``).
    workers : int or None
        Runs trained at once; None means one per CPU core.
    prune : str
        ``none``, ``median`` or ``halving`` (asynchronous successive halving).
    prune_min_epochs : int or None
        First rung of the pruner (rungs are ``prune_min_epochs * prune_eta**k``);
        None picks about ``max epochs / prune_eta**3``.
    prune_eta : int
        Rung spacing, and halving keeps the top ``1/prune_eta`` at each rung.
    executor : str
        Where runs execute: ``process`` (local worker processes) or ``inline``.
    scheduler : str or None
        Address of a cluster scheduler, for executors that use one (passed through).
    name : str
        A name for the sweep in lists.
    cv : int
        Cross-validate every point over ``cv`` stratified folds of the train part
        (:mod:`core.folds`); 0: score on the test part. Points then rank by
        ``cv_accuracy``.
    refit : bool
        With ``cv``: also train every point on the whole train part, for its test
        accuracy (``GridSearchCV`` refits only its best; off by default).
    fixed : dict
        Field -> value for every run (validated values, e.g. layers as a tuple).
    space : dict
        Field -> :data:`~core.search.space.Dimension` searched.
    """

    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    strategy: str = "grid"
    trials: int = DEFAULT_TRIALS
    seed: int = 0
    workers: int | None = None
    prune: str = "none"
    prune_min_epochs: int | None = None
    prune_eta: int = DEFAULT_ETA
    executor: str = "process"
    scheduler: str | None = None
    name: str = ""
    cv: int = 0
    refit: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)
    space: dict[str, Dimension] = field(default_factory=dict)

    # -- the points --------------------------------------------------------------------

    def run_dataset(self) -> DatasetSpec:
        """The dataset spec of every run: the sweep's, with its cross-validation."""
        if not self.cv:
            return self.dataset
        return replace(self.dataset, cv=self.cv, refit=self.refit)

    def base_config(self) -> RunConfig:
        """The config with the ``[fixed]`` values (defaults elsewhere)."""
        return RunConfig.from_mapping(self.fixed)

    def points(self) -> list[dict[str, Any]]:
        """The searched values of each point (grid and random; TPE asks as it goes)."""
        if self.strategy == "grid":
            return grid_points(self.space)
        if self.strategy == "random":
            return random_points(self.space, self.trials, self.seed)
        raise ValueError("tpe points are asked for one by one; see core.search.engine")

    def config(self, point: Mapping[str, Any]) -> RunConfig:
        """The run config of one point: ``[fixed]``, then the point's values."""
        return RunConfig.from_mapping(point, base=self.base_config())

    def n_points(self) -> int:
        """How many points the sweep stores (TPE: at most ``trials``)."""
        if self.strategy == "grid":
            return space_size(self.space) or 0
        if self.strategy == "random":
            return len(self.points())
        return self.trials

    def total_epochs(self) -> float:
        """Epochs the sweep trains (points that share a curve count once; TPE and
        ranges of epochs: the expected number)."""
        # A cross-validated point trains each fold, and the refit when asked for.
        tasks = self.cv + int(self.refit) if self.cv else 1
        if self.strategy in ("grid", "random"):
            configs = [self.config(point) for point in self.points()]
            return tasks * float(sum(configs[g.trained].epochs for g in group_points(configs)))
        epochs = self.space.get("epochs")
        mean = epochs.expected() if epochs is not None else self.base_config().epochs
        return tasks * self.trials * mean

    def max_epochs(self) -> int:
        """The most epochs any point trains (for the pruners' rungs)."""
        epochs = self.space.get("epochs")
        if epochs is None:
            return self.base_config().epochs
        if isinstance(epochs, Values):
            return max(epochs.values)
        return int(epochs.high)

    def pruner_min_epochs(self) -> int:
        """The pruners' first rung."""
        return self.prune_min_epochs or default_min_epochs(self.max_epochs(), self.prune_eta)

    def eta_seconds(self, seconds_per_epoch: float, workers: int | None = None) -> float:
        """Expected wall time from a measured time per epoch (on this data, a
        typical network), with ``workers`` runs at once (default: the sweep's)."""
        from core.executors import default_workers

        parallel = max(1, min(workers or self.workers or default_workers(), self.n_points() or 1))
        return self.total_epochs() * seconds_per_epoch / parallel

    # -- conversion --------------------------------------------------------------------

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The four tables as plain data (what is stored with the sweep and written
        to TOML)."""
        search: dict[str, Any] = {"strategy": self.strategy}
        if self.strategy != "grid":
            search["trials"] = self.trials
        search["seed"] = self.seed
        if self.workers is not None:
            search["workers"] = self.workers
        search["prune"] = self.prune
        if self.prune != "none":
            if self.prune_min_epochs is not None:
                search["prune_min_epochs"] = self.prune_min_epochs
            search["prune_eta"] = self.prune_eta
        search["executor"] = self.executor
        if self.scheduler is not None:
            search["scheduler"] = self.scheduler
        if self.name:
            search["name"] = self.name
        if self.cv:
            search["cv"] = self.cv
            search["refit"] = self.refit
        return {
            "dataset": _dataset_table(self.dataset),
            "search": search,
            "fixed": {name: toml_value(name, value) for name, value in self.fixed.items()},
            "space": {name: dim.to_toml() for name, dim in self.space.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "sweep") -> SweepSpec:
        """Validate the tables of a sweep (a parsed TOML file, or :meth:`to_dict`).

        ``source`` starts every error message (the file name).
        """
        try:
            return _from_dict(data)
        except SpecError as error:
            raise InputError(f"{source}: {error.key}: {error.message}") from None
        except InputError as error:
            raise InputError(f"{source}: {error}") from None

    def validated(self) -> SweepSpec:
        """A checked copy (after edits in the builder); raises InputError."""
        return SweepSpec.from_dict(self.to_dict(), source=self.name or "sweep")


def _dataset_table(spec: DatasetSpec) -> dict[str, Any]:
    default = DatasetSpec()
    table: dict[str, Any] = {}
    for f in fields(spec):
        value = getattr(spec, f.name)
        if value is None:
            continue  # TOML has no null: a missing key is the default
        if f.name in ("name", "train") or value != getattr(default, f.name):
            table[f.name] = value
    return table


def _from_dict(data: Mapping[str, Any]) -> SweepSpec:
    for table in data:
        if table not in TABLES:
            raise SpecError(f"[{table}]", f"unknown table; expected {', '.join(TABLES)}")
    for table in TABLES:
        if table in data and not isinstance(data[table], Mapping):
            raise SpecError(f"[{table}]", f"expected a table, got {shown(data[table])}")
    spec = _search(data.get("search", {}))
    spec.dataset = _dataset(data.get("dataset", {}))
    _check_cv(spec)
    if "space" not in data:
        raise SpecError("[space]", "missing: a sweep needs the hyperparameters it searches")
    spec.fixed = parse_fixed(data.get("fixed", {}))
    spec.space = parse_space(data["space"], spec.strategy)
    for name in spec.space:
        if name in spec.fixed:
            raise SpecError(f"[space].{name}", "also in [fixed]; give it in one of them")
    _check_points(spec)
    return spec


def _search(table: Mapping[str, Any]) -> SweepSpec:
    for key in table:
        if key not in _SEARCH_KEYS:
            raise SpecError(f"[search].{key}", f"unknown key; known: {', '.join(_SEARCH_KEYS)}")
    spec = SweepSpec()
    choices = {"strategy": STRATEGIES, "prune": PRUNERS, "executor": EXECUTORS}
    for key, allowed in choices.items():
        if key in table:
            value = table[key]
            if not isinstance(value, str):
                raise SpecError(f"[search].{key}", f"expected a string, got {shown(value)}")
            if value.strip().lower() not in allowed:
                raise SpecError(
                    f"[search].{key}",
                    f"unknown {key} {shown(value)}; choose one of {', '.join(allowed)}",
                )
            setattr(spec, key, value.strip().lower())
    limits = {"trials": 1, "workers": 1, "prune_min_epochs": 1, "prune_eta": 2, "seed": 0}
    for key, minimum in limits.items():
        if key in table:
            setattr(spec, key, _int(table[key], f"[search].{key}", minimum))
    if spec.seed > 2**32 - 1:
        raise SpecError("[search].seed", f"must be from 0 to 4294967295, got {spec.seed}")
    for key in ("scheduler", "name"):
        if key in table:
            if not isinstance(table[key], str):
                raise SpecError(f"[search].{key}", f"expected a string, got {shown(table[key])}")
            setattr(spec, key, table[key])
    _cv(spec, table)
    if spec.workers is not None:  # a fork bomb otherwise (core.executors.max_workers)
        from core.executors import workers_problem

        problem = workers_problem(spec.workers, spec.executor == "dask" and bool(spec.scheduler))
        if problem is not None:
            raise SpecError("[search].workers", problem)
    return spec


def _cv(spec: SweepSpec, table: Mapping[str, Any]) -> None:
    """``cv`` (0, or 2 to MAX_CV folds) and ``refit`` (true or false) of ``[search]``."""
    from core.datasets import MAX_CV

    if "cv" in table:
        value = _int(table["cv"], "[search].cv", 0)
        if value == 1 or value > MAX_CV:
            raise SpecError(
                "[search].cv",
                f"must be 0 (no cross-validation) or a number of folds from 2 to {MAX_CV}, "
                f"got {value}",
            )
        spec.cv = value
    if "refit" in table:
        if not isinstance(table["refit"], bool):
            raise SpecError(
                "[search].refit", f"expected true or false, got {shown(table['refit'])}"
            )
        if not spec.cv:
            raise SpecError("[search].refit", "only applies with cv = K (cross-validation)")
        spec.refit = table["refit"]
    if spec.cv and spec.prune != "none":
        raise SpecError(
            "[search].prune",
            f'{spec.prune!r} pruning reads one test curve; with cv use prune = "none"',
        )


def _check_cv(spec: SweepSpec) -> None:
    """Every class needs ``cv`` train rows (built-in data: checked from its counts)."""
    if not spec.cv or spec.dataset.name is None:
        return
    from core.folds import check_folds
    from core.splits import builtin_class_counts

    try:
        check_folds(builtin_class_counts(spec.dataset), spec.dataset.test_size, spec.cv)
    except ConfigError as error:
        raise SpecError("[search].cv", error.message) from None


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(where, f"expected a whole number, got {shown(value)}")
    if abs(value) >= 10**MAX_DIGITS:  # no setting takes such a number; keep it printable
        raise SpecError(where, f"expected a whole number, got {shown(value)}")
    if value < minimum:
        raise SpecError(where, f"must be at least {minimum}, got {value}")
    return value


def _dataset(table: Mapping[str, Any]) -> DatasetSpec:
    from core.datasets import CV_FIELDS

    for key in table:
        if str(key).replace("-", "_") in CV_FIELDS:
            raise SpecError(f"[dataset].{key}", "cross-validation is set in [search]: cv = K")
    try:
        spec = DatasetSpec.from_mapping(table).validate()
        check_builtin_split(spec)
        return spec
    except ConfigError as error:
        raise SpecError(f"[dataset].{error.field}", error.message) from None
    except DataError as error:
        key = "[dataset].name" if str(error).startswith("unknown dataset") else "[dataset]"
        raise SpecError(key, str(error)) from None


def _check_points(spec: SweepSpec) -> None:
    """Every point must make a valid config (checks that span fields)."""
    base = spec.base_config()
    if spec.strategy in ("random", "tpe") and spec.trials > MAX_POINTS:
        raise SpecError("[search].trials", f"at most {MAX_POINTS:,}, got {spec.trials:,}")
    if spec.strategy == "tpe":
        # Points are asked one by one; each passes parse_field as it is made. A fixed
        # early stopping split can be checked now.
        if base.early_stopping and not {"early_stopping", "validation_fraction"} & set(spec.space):
            _check_split(spec, base)
        return
    size = space_size(spec.space)
    if spec.strategy == "grid" and size is not None and size > MAX_POINTS:
        raise SpecError("[space]", f"{size:,} grid points; at most {MAX_POINTS:,}")
    for point in spec.points():
        try:
            config = RunConfig.from_mapping(point, base=base)
        except ConfigError as error:
            raise SpecError(f"[space].{error.field}", error.message) from None
        if config.early_stopping:
            _check_split(spec, config)


def _check_split(spec: SweepSpec, config: RunConfig) -> None:
    """Early stopping's validation split of built-in data must hold every class."""
    try:
        check_builtin_split(spec.dataset, config)
    except ConfigError as error:
        table = "[space]" if error.field in spec.space else "[fixed]"
        raise SpecError(f"{table}.{error.field}", error.message) from None


# --- files --------------------------------------------------------------------------


def parse_sweep(
    text: str, source: str = "sweep", base_dir: str | os.PathLike | None = None
) -> SweepSpec:
    """Read a sweep from TOML ``text``. ``source`` names it in errors; relative data
    paths are taken from ``base_dir`` (the file's directory) when given."""
    import tomllib  # stdlib; imported here to keep start-up light

    text = text.removeprefix("\ufeff")  # a byte order mark some editors write
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{source}: not valid TOML: {error}") from None
    except ValueError:  # tomllib's int() of a number past Python's 4,300 digits
        raise InputError(f"{source}: not valid TOML: a number too long to read") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise InputError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    if base_dir is not None:
        data = _resolve_paths(data, Path(base_dir))
    return SweepSpec.from_dict(data, source=source)


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    """Read and validate the sweep file at ``path``; a relative data file path in it
    is relative to the sweep file's directory."""
    path = Path(path)
    where = printable(path)  # a name with a newline still makes one line
    try:
        text = _read_text(path)
    except FileNotFoundError:
        raise InputError(f"{where}: no such sweep file") from None
    except IsADirectoryError:
        raise InputError(f"{where}: is a directory, not a sweep file") from None
    except UnicodeDecodeError:
        raise InputError(f"{where}: not a text (UTF-8) file") from None
    except OSError as error:
        raise InputError(f"{where}: cannot read: {error.strerror}") from None
    spec = parse_sweep(text, source=where, base_dir=path.parent)
    if not spec.name:
        spec.name = path.stem
    return spec


def _read_text(path: Path) -> str:
    """The file's text (a leading BOM dropped); refuses what is not a regular file
    (``/dev/zero`` would be read forever) or is larger than any sweep file."""
    import stat

    # Non-blocking, so that opening a FIFO nobody writes to returns (regular files
    # read as usual).
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise InputError(f"{printable(path)}: not a regular file")
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"{printable(path)}: too large for a sweep file (at most {MAX_FILE_BYTES:,} bytes)"
        )
    return data.decode("utf-8-sig")  # -sig: a leading BOM is dropped


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    dataset = data.get("dataset")
    if not isinstance(dataset, dict):
        return data
    resolved = dict(dataset)
    for key in ("train", "test"):
        value = resolved.get(key)
        if isinstance(value, str) and value.strip() and not Path(value).is_absolute():
            resolved[key] = str((base / value).resolve())
    return {**data, "dataset": resolved}


def dump_sweep(spec: SweepSpec) -> str:
    """The sweep as TOML text that :func:`parse_sweep` reads back to an equal spec."""
    comments = {
        "search": "grid | random | tpe; prune: none | median | halving",
        "fixed": "the same for every run",
        "space": "searched: lists, or ranges like { log_uniform = [1e-4, 0.1] }",
    }
    return dump_tables(spec.to_dict(), comments)
