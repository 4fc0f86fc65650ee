"""The subcommands that work on single runs and the store: run, runs, show, export,
datasets."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli.output import printable
from core.config import FIELD_INFO, RunConfig, check_network_size
from core.errors import InputError

if TYPE_CHECKING:  # core.datasets imports numpy lazily; keep start-up light
    from core.datasets import DatasetSpec


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """The run config the hyperparameter flags describe (validated by core.config)."""
    values = {
        name: getattr(args, f"hp_{name}")
        for name in FIELD_INFO
        if getattr(args, f"hp_{name}", None) is not None
    }
    return RunConfig.from_mapping(values, base=base)


#: Flags naming a file or column: an empty value or "none" would silently mean "not
#: given" to DatasetSpec (as an empty form field does), so the CLI refuses them.
_NAMED_FLAGS = {"train": "a CSV file path", "test": "a CSV file path", "target": "a column name"}
_CSV_FLAGS = ("sep", "decimal", "na_values", "drop", "keep")


def csv_values(args: argparse.Namespace) -> dict[str, Any]:
    """The CSV reading flags given (``--sep``, ``--no-header``, ...) as spec values."""
    values = {flag: getattr(args, flag) for flag in _CSV_FLAGS if getattr(args, flag) is not None}
    if args.no_header:
        values["header"] = False
    return values


def check_named(flag: str, value: str | None) -> None:
    """Refuse ``--train ''`` or ``--target none``: they would mean "not given"."""
    if value is not None and value.strip().lower() in ("", "none"):
        raise InputError(
            f"--{flag}: {value!r} is not {_NAMED_FLAGS[flag]}; give {_NAMED_FLAGS[flag]}, or "
            f"leave --{flag} out" + (" (a file named none: ./none)" if value.strip() else "")
        )


def dataset_from_args(args: argparse.Namespace, base: DatasetSpec | None = None):
    """The DatasetSpec the data flags describe (validated by core.datasets), over
    ``base`` (default: the default dataset), with the cheap checks of its files done
    (exist, regular, readable, not too big)."""
    from core.csvfile import check_file
    from core.datasets import DatasetSpec

    values: dict[str, Any] = {}
    if args.dataset is not None:
        values["name"] = args.dataset
    for flag in ("train", "test", "target", "test_size", "split_seed", "noise"):
        if getattr(args, flag) is not None:
            if flag in _NAMED_FLAGS:
                check_named(flag, getattr(args, flag))
            values[flag] = getattr(args, flag)
    if args.samples is not None:
        values["n_samples"] = args.samples
    if args.no_scale:
        values["scale"] = False
    if getattr(args, "cv", None) is not None:
        values["cv"] = args.cv
    if getattr(args, "no_refit", False):
        if getattr(args, "cv", None) is None:
            raise InputError("--no-refit: only applies with --cv K (cross-validation)")
        values["refit"] = False
    values.update(csv_values(args))
    spec = DatasetSpec.from_mapping(values, base=base).validate()
    for path in (spec.train, spec.test):
        if path is not None:
            check_file(path)
    return spec


#: Widest built-in dataset (digits: 64 features, 10 classes): enough to size-check a
#: network without loading the data in this process.
_BUILTIN_MAX_SHAPE = (64, 10)


def check_before_storing(config: RunConfig, spec):
    """Fail on bad data or a network too large for it before a run is stored.

    A CSV is loaded here (read, split, encoded: the network-size check needs the
    encoded width); the loaded :class:`~core.datasets.Dataset` is returned so the run
    does not parse the file again. Built-in sets return None (the worker loads them)."""
    if spec.train is not None:
        from core.datasets import load_dataset

        data = load_dataset(spec)
        check_network_size(config.layers, data.X_train.shape[1], len(data.classes))
        return data
    from core.splits import check_builtin_split

    check_network_size(config.layers, *_BUILTIN_MAX_SHAPE)
    check_builtin_split(spec, config)
    return None


def check_cv(spec, data=None) -> None:
    """Refuse ``cv`` folds the data cannot give: a class with fewer train rows than
    folds (``data``: a CSV already loaded; built-in sets are checked by their counts)."""
    if not spec.cv:
        return
    if data is not None:
        from core.folds import fold_indices

        fold_indices(data.y_train, spec.cv)
        return
    from core.folds import check_folds
    from core.splits import builtin_class_counts

    check_folds(builtin_class_counts(spec), spec.test_size, spec.cv)


def data_notes(info, spec) -> list[str]:
    """What a run says about a CSV before training: its target, dropped rows,
    ignored columns and warnings (one line each)."""
    if info.target is None:
        return []
    where = "" if spec.target is not None else "last column; "
    lines = [f"target: {info.target!r} ({where}{info.n_classes} classes), {info.n_rows} rows"]
    lines += [f"note: {note}" for note in info.notices]
    lines += [f"warning: {warning}" for warning in info.warnings]
    return lines


def with_absolute_paths(spec):
    """``spec`` with its CSV paths made absolute (checked first as the user gave them,
    so messages name the file the way the user wrote it)."""
    import os
    from dataclasses import replace

    def absolute(path: str | None) -> str | None:
        return None if path is None else os.path.abspath(os.path.expanduser(path))

    return replace(spec, train=absolute(spec.train), test=absolute(spec.test))


def open_store(path: str, must_exist: bool = False):
    from core.store import RunStore

    if must_exist and not Path(path).exists():
        raise InputError(f"no store at {path} (run something first, or pass --store PATH)")
    return RunStore(path)


#: SQLite's largest integer: no id is larger, and a larger one cannot even be looked up.
MAX_ID = 2**63 - 1


def parse_id(text: str, what: str = "RUN_ID") -> int:
    """A run or sweep id from the command line (``what`` names it in the message)."""
    from core.errors import ConfigError
    from core.values import as_int, shown

    try:
        value = as_int(what, text, "a whole number")
    except ConfigError:
        raise InputError(f"{what} must be a whole number, got {shown(text)}") from None
    if not 1 <= value <= MAX_ID:
        raise InputError(f"{what} must be from 1 to {MAX_ID}, got {value}")
    return value


def fmt(value: float | None) -> str:
    """Accuracies as the lesson prints them: 3 decimals."""
    return "-" if value is None else f"{value:.3f}"


def record_json(record, curve=None, metrics=None, store=None) -> dict[str, Any]:
    """The JSON object scripts rely on for a run; ``metrics`` (``RunStore.metrics``)
    adds ``data``, ``per_class``, ``balanced_accuracy`` and ``confusion_matrix``; with
    the ``store``, a cross-validated run adds its folds (:func:`core.cv.cv_json`)."""
    data = {
        "id": record.id,
        "status": record.status,
        "params": record.params,
        "dataset": record.dataset,
        "train_accuracy": record.train_accuracy,
        "test_accuracy": record.test_accuracy,
        "n_epochs": record.n_epochs,
        "verdict": (record.verdict or {}).get("verdict"),
        "diagnosis": record.verdict,  # the verdict's summary and the numbers behind it
        "stop_reason": record.stop_reason,
        "error": record.error,
        "duration_s": record.duration_s,
        "sweep_id": record.sweep_id,
    }
    if curve is not None:
        data["curve"] = [point.to_dict() for point in curve]
    metrics = metrics or {}
    for key in ("data", "per_class", "balanced_accuracy", "confusion_matrix"):
        data[key] = metrics.get(key)
    if store is not None and record.dataset.get("cv"):
        from core.cv import cv_json

        data.update(cv_json(store, record))
    return data


def print_cv_line(record) -> None:
    """``CV accuracy: 0.962 ± 0.021 (5 folds: 0.95 ...)`` for a cross-validated run; the
    train and test lines that follow are then the refit's."""
    cv = record.dataset.get("cv")
    if not cv:
        return
    folds = " ".join(fmt(a) for a in record.fold_accuracies or [])
    spread = f" ± {fmt(record.cv_std)}" if record.cv_std is not None else ""
    print(f"CV accuracy: {fmt(record.cv_accuracy)}{spread} ({cv} folds: {folds or '-'})")
    if not record.dataset.get("refit", True):
        print("No refit: nothing trained on the whole train part or scored on the test part")


def print_class_results(metrics: dict[str, Any] | None) -> None:
    """Balanced accuracy and one line per class (recall, precision, test rows)."""
    if not metrics or not metrics.get("per_class"):
        return
    print(f"Balanced accuracy: {fmt(metrics.get('balanced_accuracy'))}")
    width = max(len(str(c["class"])[:30]) for c in metrics["per_class"])
    for c in metrics["per_class"]:
        print(
            f"  {str(c['class'])[:30]:<{width}}  recall {fmt(c['recall'])}  precision "
            f"{fmt(c['precision'])}  ({c['support']} test rows)"
        )


def print_confusion(metrics: dict[str, Any] | None, limit: int = 10) -> None:
    """The confusion matrix (rows: true class, columns: predicted), up to ``limit``
    classes."""
    matrix = (metrics or {}).get("confusion_matrix")
    if not matrix or len(matrix["labels"]) > limit:
        return
    labels = [str(label)[:12] for label in matrix["labels"]]
    width = max(6, *(len(label) for label in labels))
    print("Confusion matrix (rows: true class, columns: predicted):")
    print(" " * (width + 2) + " ".join(f"{label:>{width}}" for label in labels))
    for label, row in zip(labels, matrix["matrix"], strict=True):
        print(f"  {label:<{width}}" + " ".join(f"{count:>{width}}" for count in row))


def verdict_line(record, metrics: dict[str, Any] | None) -> str:
    """The verdict's summary, plus the classes the model never predicts."""
    from core.metrics import never_predicted

    verdict = (record.verdict or {}).get("summary", record.status)
    missed = never_predicted(metrics)
    return f"{verdict}; {missed}" if missed else verdict


def cmd_run(args: argparse.Namespace) -> int:
    from core.cli.parser import tls_files
    from core.cli.signals import describe, exit_code, say
    from core.executors import make_executor
    from core.runner import StoreWriteError

    if args.detach:  # the background runner trains it: `queue add`
        from core.cli.queue_commands import cmd_queue_add

        return cmd_queue_add(args)
    config = config_from_args(args)
    spec = dataset_from_args(args)  # cheap checks (flags, file exists...) before any worker
    if spec.train is None:
        check_cv(spec)  # built-in data: its class counts are known without loading it
    # The executor first: its worker imports scikit-learn (~1 s) while this process
    # checks the data, and an unreachable scheduler must not leave an empty store.
    tls = tls_files(args)
    # One run trains on one worker; a cross-validated one has a task per fold (and
    # the refit) and spreads them over the cores.
    tasks = spec.cv + (1 if spec.refit else 0) if spec.cv else 1
    if args.executor == "process" and args.scheduler is None and tls is None:
        from core.executors import ProcessExecutor, default_workers

        # Fork the workers straight from this still single-threaded process.
        executor = ProcessExecutor(min(tasks, default_workers()), fork_now=True)
    else:
        workers = 1 if tasks == 1 or args.executor == "inline" else None
        executor = make_executor(args.executor, workers=workers, scheduler=args.scheduler, tls=tls)
    start = getattr(executor, "start", None)
    if start is not None:
        start(warm=True)
    store = None
    run_ids: list[int] = []  # the run once stored: Ctrl-C and store errors name it
    try:
        data = check_before_storing(config, spec)
        check_cv(spec, data)
        if data is not None and not args.quiet:
            for line in data_notes(data.info, spec):
                print(f"perceptune: {printable(line)}", file=sys.stderr)
        spec = with_absolute_paths(spec)  # an export or resume works from any directory
        store = open_store(args.store)
        if args.executor == "dask":
            data = None  # a Dask cluster gets the data scattered once, by its spec
        outcome = _train_one(args, config, spec, store, executor, run_ids, data)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP
        # Shutting the pool down stops the run after its epoch and records it
        # interrupted: say so only once that is true.
        executor.shutdown()
        if not run_ids:
            raise
        say(
            f"perceptune: {describe(interrupt)}; run {run_ids[0]} is left interrupted, "
            f"`perceptune resume --store {args.store}` runs it again"
        )
        return exit_code(interrupt)
    except StoreWriteError as error:
        raise StoreWriteError(
            error.run_id,
            error.cause,
            f"it is left interrupted with the epochs stored so far; once there is room, "
            f"`perceptune resume --store {args.store}` runs it again",
        ) from None
    finally:
        executor.shutdown()
    record = store.get_run(outcome.run_id)
    curve = store.curve(outcome.run_id)
    metrics = store.metrics(outcome.run_id)
    as_json = record_json(record, curve, metrics, store)
    store.close()
    if outcome.status == "failed":
        if args.json:
            print(json.dumps(as_json))
        print(f"perceptune: run {record.id} failed: {outcome.error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(as_json))
        return 0
    print_cv_line(record)
    print(f"Train accuracy: {fmt(record.train_accuracy)}")
    print(f"Test accuracy: {fmt(record.test_accuracy)}")
    print(f"Verdict: {verdict_line(record, metrics)}")
    reason = f" ({record.stop_reason})" if record.stop_reason else ""
    print(
        f"Run {record.id}: {record.status}, {record.n_epochs} epochs{reason}; "
        f"stored in {args.store}"
    )
    reference_line = _reference_line(record.verdict)
    if reference_line:
        print(reference_line)
    return 0


def _reference_line(diagnosis: dict[str, Any] | None) -> str:
    """``Reference: this data allows about 0.910 ...``: the number underfitting is
    judged against, and the noise every gap is judged against."""
    if not diagnosis or diagnosis.get("reference_accuracy") is None:
        return ""
    text = (
        f"Reference: this data allows about {diagnosis['reference_accuracy']:.3f} "
        "(simple models on the same split)"
    )
    n_test, noise = diagnosis.get("n_test"), diagnosis.get("noise")
    if diagnosis.get("fold_spread") is not None and noise is not None:
        spread = diagnosis["fold_spread"]
        text += f"; noise: the folds' spread ±{spread:.3f} ({n_test} validated rows)"
    elif n_test and noise is not None:
        text += f"; noise of {n_test} test rows ±{diagnosis.get('noise_z', 2) * noise:.3f}"
    return text


def _train_one(
    args: argparse.Namespace,
    config: RunConfig,
    spec,
    store,
    executor,
    run_ids: list[int],
    data=None,
):
    """Store the run (its id appended to ``run_ids``), train it with a progress bar
    and return its outcome; StoreWriteError if the store refused its epochs."""
    from core.cli.progress import ProgressBar
    from core.runner import Runner

    runner = Runner(store, executor)
    bar = None if args.quiet else ProgressBar(config.epochs)

    def on_epoch(_run_id: int, point) -> None:
        if bar is not None:
            bar.update(
                point.epoch,
                f"train {point.train_accuracy:.3f}  test {point.test_accuracy:.3f}",
            )

    try:
        run_ids.append(runner.enqueue(config, spec))
        handle = runner.start(run_ids[0], on_epoch=on_epoch, data=data)
        outcome = handle.result()
        handle.recorded.wait()
        runner.check_store(run_ids[0])
        return outcome
    finally:
        if bar is not None:
            bar.close()
        runner.close()


def cmd_runs(args: argparse.Namespace) -> int:
    store = open_store(args.store, must_exist=True)
    records = store.list_runs(order_by="id", descending=args.limit is not None, limit=args.limit)
    if args.limit is not None:
        records.reverse()
    if args.json:
        print(
            json.dumps(
                [record_json(r, store.curve(r.id), store.metrics(r.id), store) for r in records]
            )
        )
        return 0
    if not records:
        print(f"no runs in {args.store}")
        return 0
    from core.datasets import DatasetSpec

    print(
        f"{'id':>5}  {'status':<11} {'train':>6} {'test':>6} {'gap':>6}  {'verdict':<12} "
        f"{'ep':>5}  params / data"
    )
    for r in records:
        verdict = (r.verdict or {}).get("verdict", "")
        gap = fmt(r.gap) if r.gap is not None else "-"
        try:
            label = RunConfig.from_mapping(r.params).short_label()
            data = DatasetSpec.from_mapping(r.dataset).label()
        except InputError:
            label, data = r.label, "?"
        print(
            f"{r.id:>5}  {r.status:<11} {fmt(r.train_accuracy):>6} {fmt(r.test_accuracy):>6} "
            f"{gap:>6}  {verdict:<12} {r.n_epochs:>5}  {printable(label)} / {printable(data)}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from core.cli.chart import curve_chart

    run_id = parse_id(args.run_id)
    store = open_store(args.store, must_exist=True)
    record = store.get_run(run_id)
    curve = store.curve(run_id)
    metrics = store.metrics(run_id)
    if args.json:
        print(json.dumps(record_json(record, curve, metrics, store)))
        return 0
    config = RunConfig.from_mapping(record.params)
    print(f"Run {record.id}: {record.status}  {printable(config.short_label())}")
    print_cv_line(record)
    print(f"Train accuracy: {fmt(record.train_accuracy)}")
    print(f"Test accuracy: {fmt(record.test_accuracy)}")
    if record.verdict:
        print(f"Verdict: {printable(verdict_line(record, metrics))}")
    print_class_results(metrics)
    print_confusion(metrics)
    if metrics and metrics.get("data"):
        data = metrics["data"]
        print(
            f"Data: {data['rows']} rows used, {data['dropped_rows']} dropped, "
            f"{data['inputs']} network inputs"
        )
    if record.stop_reason:
        print(f"Stopped: {printable(record.stop_reason)}")
    if record.error:
        print(f"Error: {printable(record.error)}")
    if curve:
        title = f"run {record.id}: accuracy per epoch"
        print(curve_chart(curve, title=title, color=sys.stdout.isatty()))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core import export

    store = open_store(args.store, must_exist=True)
    if args.python:
        if args.run_id is None:
            raise InputError("export --python needs a RUN_ID")
        record = store.get_run(parse_id(args.run_id))
        store.close()
        # A script is a file: named like every export; "-o -" prints it. The script
        # says its own name.
        write_output(
            lambda name: export.python_script(record, script_name=name),
            args.output,
            export.export_name("run", record.id),
            store=args.store,
            force=args.force,
        )
        return 0
    if args.run_id is not None:
        raise InputError("export --csv/--json export the whole runs table; drop RUN_ID")
    records = store.list_runs()
    store.close()
    text = export.runs_csv(records) if args.csv else export.runs_json(records)
    write_output(text, args.output, None, store=args.store, force=args.force)
    return 0


def write_output(
    text: str | Callable[[str], str],
    output: str | None,
    default: str | None,
    *,
    store: str,
    force: bool,
) -> None:
    """Write an export where ``-o`` says, the one way every export command does it.

    ``text``: the content, or a function of the file's name that returns it (a script
    that names itself). ``output``: the ``-o`` value: a file, ``-`` for stdout, or None
    for the default. ``default``: the file written when ``-o`` is not given (an
    :func:`core.export.export_name`), or None to print then. ``store``: the run store's
    path, never written over. ``force``: replace an existing file; without it an
    existing file is refused (InputError, nothing written). Says where it wrote on
    stderr."""
    from core import export

    if output is None and default is not None:
        output = default
        if os.path.lexists(output) and not force:
            raise InputError(
                f"{output} exists; pass --force to replace it, -o FILE to write another "
                "file, or -o - to print it"
            )
    to_file = output is not None and output != "-"
    name = Path(output).name if to_file else (default or "")
    content = text(name) if callable(text) else text
    if to_file:
        # Never onto the store (nor its -wal/-shm), never over a file without --force.
        export.write_export(output, content, store=store, force=force)
        print(f"wrote {printable(os.path.abspath(output))}", file=sys.stderr)
    else:
        sys.stdout.write(content)


def cmd_inspect(args: argparse.Namespace) -> int:
    """``perceptune inspect FILE``: the column table, classes and warnings; stores nothing."""
    from core.datasets import DatasetSpec
    from core.inspection import inspect_spec, report_lines

    check_named("target", args.target)
    values: dict[str, Any] = {"train": args.file, **csv_values(args)}
    if args.target is not None:
        values["target"] = args.target
    if args.test_size is not None:
        values["test_size"] = args.test_size
    check_named("train", args.file)
    spec = DatasetSpec.from_mapping(values).validate()
    report = inspect_spec(spec)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print("\n".join(report_lines(report)))
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from core.datasets import builtin_infos

    infos = builtin_infos()
    if args.json:
        print(json.dumps([info.to_dict() for info in infos]))
        return 0
    print(f"{'name':<14} {'rows':>6} {'features':>8} {'classes':>7}  description")
    for info in infos:
        print(
            f"{info.name:<14} {info.n_rows:>6} {info.n_features:>8} {info.n_classes:>7}  "
            f"{info.description}"
        )
    return 0
