"""Argument parsing. Hyperparameter flags are built from ``core.config.FIELD_INFO``
and validated by ``core.config.parse_field``: one source of truth for every value."""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from core.config import FIELD_INFO

DESCRIPTION = (
    "perceptune: tune scikit-learn MLPClassifier hyperparameters. "
    "With no subcommand it opens the terminal workbench (TUI)."
)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line (and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        from core.cli.output import one_line

        # argparse quotes what the user typed: cut each long quoted value (so what is
        # allowed, after it, still shows), then escape the message onto one line.
        message = _LONG_QUOTED.sub(lambda m: f"{m[1]}{m[2]}…{m[1]}", message)
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")


#: A quoted value (argparse's %r) longer than core.values.SHOWN_CHARS characters.
_LONG_QUOTED = re.compile(r"""(['"])((?:(?!\1).){40})(?:(?!\1).)+\1""", re.DOTALL)


def positive_int(text: str) -> int:
    """Type of a count flag (``--limit N``): a whole number, 1 or more."""
    from core.errors import ConfigError
    from core.values import as_int, shown

    try:
        value = as_int("", text, "a whole number")
    except ConfigError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {shown(text)}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="PATH",
        default="perceptune.db",
        help="SQLite run store (default: ./perceptune.db)",
    )


def add_hyperparameter_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per config field; values stay text until ``parse_field`` checks them."""
    group = parser.add_argument_group("hyperparameters (defaults: the textbook example)")
    for name, info in FIELD_INFO.items():
        flag = "--" + name.replace("_", "-")
        if info.kind == "bool":
            group.add_argument(
                flag,
                dest=f"hp_{name}",
                action=argparse.BooleanOptionalAction,
                default=None,
                help=info.help,
            )
        else:
            metavar = {"layers": "N,N", "choice": "|".join(info.choices)}.get(info.kind, "VALUE")
            group.add_argument(
                flag, dest=f"hp_{name}", metavar=metavar, default=None, help=info.help
            )


def add_dataset_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        metavar="NAME",
        help="built-in dataset: iris, wine, breast_cancer, digits, moons, circles, xor, "
        "spiral, blobs (default: moons)",
    )
    source.add_argument("--train", metavar="FILE", help="CSV file with a header row")
    group.add_argument("--test", metavar="FILE", help="separate test CSV (no split then)")
    group.add_argument("--target", metavar="COL", help="target column (default: the last)")
    group.add_argument("--test-size", metavar="FRACTION", help="test share of the split (0.25)")
    group.add_argument("--split-seed", metavar="N", help="seed of the split and of synthetic data")
    group.add_argument("--no-scale", action="store_true", help="do not standardise features")
    group.add_argument("--noise", metavar="X", help="synthetic sets: noise level (0.2)")
    group.add_argument("--samples", metavar="N", help="synthetic sets: number of rows (400)")
    add_csv_flags(group)


def add_csv_flags(group) -> None:
    """How to read a CSV file (also for ``inspect``): every value is checked by
    ``core.datasets.parse_spec_field``."""
    group.add_argument(
        "--sep", metavar="SEP", help="CSV field separator: , ; tab space | (default: sniffed)"
    )
    group.add_argument("--decimal", metavar="MARK", help="CSV decimal mark: . or , (sniffed)")
    group.add_argument(
        "--na-values",
        metavar="A,B",
        help="CSV cells read as missing (default: empty, NA, N/A, NaN, nan, ?, null)",
    )
    group.add_argument(
        "--no-header", action="store_true", help="the CSV has no header row (columns 1..N)"
    )
    group.add_argument("--drop", metavar="COL,...", help="CSV columns never used as features")
    group.add_argument(
        "--keep", metavar="COL,...", help="CSV columns used even where the rules ignore them"
    )


def add_cv_flags(parser: argparse.ArgumentParser) -> None:
    """``--cv K`` and ``--no-refit``; their values are checked by
    ``core.cli.commands.dataset_from_args`` (and the folds by ``check_cv``)."""
    group = parser.add_argument_group("cross-validation")
    group.add_argument(
        "--cv",
        metavar="K",
        help="K-fold cross-validation over the train part (stratified, 2 to 50 folds)",
    )
    group.add_argument(
        "--no-refit",
        action="store_true",
        help="with --cv: skip the final fit on the whole train part (no test accuracy)",
    )


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """Every flag that describes a run (hyperparameters, data, cross-validation): the
    one definition ``run`` and ``queue add`` share."""
    add_hyperparameter_flags(parser)
    add_dataset_flags(parser)
    add_cv_flags(parser)


def add_executor_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor",
        choices=("process", "inline", "dask"),
        default="process",
        help="where runs execute: worker processes (default), in this process, or on a "
        "Dask cluster (a LocalCluster here unless --scheduler is given)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        default=None,
        help="address of a running Dask scheduler (with --executor dask); "
        "tls://HOST:PORT for one that requires TLS",
    )
    # Named like the TLS flags of `dask scheduler` and `dask worker`. What is not given
    # comes from Dask's config: distributed.comm.tls.*, e.g. the environment variable
    # DASK_DISTRIBUTED__COMM__TLS__CA_FILE.
    tls = parser.add_argument_group("Dask TLS (with --scheduler tls://HOST:PORT)")
    tls.add_argument(
        "--tls-ca-file",
        metavar="FILE",
        help="CA certificate (PEM) the cluster's certificates are signed by",
    )
    tls.add_argument("--tls-cert", metavar="FILE", help="this client's certificate (PEM)")
    tls.add_argument(
        "--tls-key", metavar="FILE", help="this client's private key (PEM), unless in --tls-cert"
    )


def tls_files(args: argparse.Namespace) -> dict[str, str] | None:
    """The TLS files given by ``--tls-*`` flags (``ca_file``, ``cert``, ``key``), or None."""
    files = {
        "ca_file": getattr(args, "tls_ca_file", None),
        "cert": getattr(args, "tls_cert", None),
        "key": getattr(args, "tls_key", None),
    }
    given = {name: path for name, path in files.items() if path is not None}
    return given or None


def build_parser() -> argparse.ArgumentParser:
    from core.cli import commands, lesson_command, queue_commands, search_commands

    parser = OneLineParser(prog="perceptune", description=DESCRIPTION)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=OneLineParser)

    run = sub.add_parser("run", help="train one run and print train/test accuracy and verdict")
    add_run_flags(run)
    _add_store(run)
    add_executor_flags(run)
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.add_argument(
        "--detach",
        action="store_true",
        help="train in the background instead (as `queue add`): prints the run id",
    )
    run.set_defaults(handler=commands.cmd_run)

    runs = sub.add_parser("runs", help="list the stored runs")
    _add_store(runs)
    runs.add_argument("--json", action="store_true", help="print a JSON list")
    runs.add_argument(
        "--limit", metavar="N", type=positive_int, default=None, help="at most N runs (newest)"
    )
    runs.set_defaults(handler=commands.cmd_runs)

    show = sub.add_parser("show", help="one run with its train/test curve drawn in the terminal")
    show.add_argument("run_id", metavar="RUN_ID")
    _add_store(show)
    show.add_argument("--json", action="store_true", help="print the run as JSON")
    show.set_defaults(handler=commands.cmd_show)

    export = sub.add_parser("export", help="a run as a Python script, or the runs table")
    export.add_argument("run_id", metavar="RUN_ID", nargs="?")
    kind = export.add_mutually_exclusive_group(required=True)
    kind.add_argument("--python", action="store_true", help="standalone script of RUN_ID")
    kind.add_argument("--csv", action="store_true", help="the runs table as CSV")
    kind.add_argument("--json", action="store_true", help="the runs table as JSON")
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE, '-' for stdout (default: --python writes perceptune_run_<id>.py, "
        "--csv/--json print); never the store, an existing FILE only with --force",
    )
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    _add_store(export)
    export.set_defaults(handler=commands.cmd_export)

    inspect = sub.add_parser(
        "inspect", help="a CSV file's columns, kinds and what training does with each"
    )
    inspect.add_argument("file", metavar="FILE")
    inspect.add_argument("--target", metavar="COL", help="target column (default: the last)")
    inspect.add_argument("--test-size", metavar="FRACTION", help="test share of the split (0.25)")
    add_csv_flags(inspect)
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(handler=commands.cmd_inspect)

    datasets = sub.add_parser("datasets", help="built-in datasets with shapes and classes")
    datasets.add_argument("--json", action="store_true", help="print a JSON list")
    datasets.set_defaults(handler=commands.cmd_datasets)

    search_commands.register(sub)
    lesson_command.register(sub)
    queue_commands.register(sub)
    return parser
