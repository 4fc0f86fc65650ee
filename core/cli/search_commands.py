"""The search subcommands: ``sweep FILE``, ``resume``, ``leaderboard SWEEP_ID``, ``sweeps``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from core.cli.commands import fmt, open_store, parse_id
from core.cli.output import printable
from core.cli.parser import _add_store, add_executor_flags, tls_files
from core.errors import InputError

#: Leaderboard rows the human output shows.
TOP_ROWS = 10


def register(sub: argparse._SubParsersAction) -> None:
    """Add the search subcommands to the ``perceptune`` parser."""
    sweep = sub.add_parser(
        "sweep",
        help="run a sweep file (grid, random or tpe search) with a progress bar",
        description="Run the sweep a TOML file describes; every point is a stored run.",
    )
    sweep.add_argument("file", metavar="FILE", help="sweep file (TOML)")
    _add_store(sweep)
    _add_workers(sweep)
    add_executor_flags(sweep)
    sweep.set_defaults(executor=None)  # None: the file's [search] executor
    sweep.add_argument("--json", action="store_true", help="print one JSON object per point")
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    sweep.add_argument(
        "--detach",
        action="store_true",
        help="train it in the background runner instead (see `perceptune queue`)",
    )
    sweep.set_defaults(handler=cmd_sweep)

    resume = sub.add_parser(
        "resume", help="finish every unfinished sweep and interrupted run in the store"
    )
    _add_store(resume)
    _add_workers(resume)
    add_executor_flags(resume)
    resume.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    resume.set_defaults(handler=cmd_resume)

    board = sub.add_parser(
        "leaderboard",
        help="a sweep's points by test accuracy (cv accuracy when cross-validated), and its "
        "best configuration",
    )
    board.add_argument("sweep_id", metavar="SWEEP_ID")
    _add_store(board)
    kind = board.add_mutually_exclusive_group()
    kind.add_argument(
        "--csv", action="store_true", help="every point as CSV (perceptune_sweep_<id>.csv)"
    )
    kind.add_argument("--json", action="store_true", help="every point as a JSON list (printed)")
    kind.add_argument(
        "--python",
        action="store_true",
        help="the best run as a standalone Python script (perceptune_sweep_<id>_best.py)",
    )
    board.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="with --csv/--json/--python: write to FILE, '-' for stdout (default: --csv and "
        "--python write the file named above, --json prints); never the store, an "
        "existing FILE only with --force",
    )
    board.add_argument("--force", action="store_true", help="replace FILE if it exists")
    board.add_argument(
        "--limit", type=_positive_int, default=TOP_ROWS, help=f"rows shown (default {TOP_ROWS})"
    )
    board.set_defaults(handler=cmd_leaderboard)

    sweeps = sub.add_parser("sweeps", help="list the stored sweeps")
    _add_store(sweeps)
    sweeps.add_argument("--json", action="store_true", help="print a JSON list")
    sweeps.set_defaults(handler=cmd_sweeps)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_workers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        metavar="N",
        type=_positive_int,
        default=None,
        help="runs trained at once (default: the file's, else one per CPU core)",
    )


# --- sweep ------------------------------------------------------------------------


def cmd_sweep(args: argparse.Namespace) -> int:
    from core.cli.signals import describe, exit_code, say
    from core.errors import StoreError
    from core.search.sweepfile import load_sweep

    started = time.monotonic()
    spec = load_sweep(args.file)
    kind = args.executor or spec.executor
    scheduler = getattr(args, "scheduler", None) or spec.scheduler
    _check_workers(args.workers, kind, scheduler)  # before the store is even created
    _check_data(spec, args.file)
    if args.detach:
        from core.cli.queue_commands import queue_sweep

        return queue_sweep(args, spec, kind, scheduler)
    store = open_store(args.store)
    executor = _executor(kind, args.workers or spec.workers, scheduler, tls_files(args))
    # Imported once the forkserver is importing scikit-learn: the engine brings numpy
    # and most of core, which this process then loads meanwhile, not before.
    from core.runner import StoreWriteError
    from core.search.engine import run_sweep

    bar = _SweepBar(spec.n_points(), quiet=args.quiet)
    resume_hint = f"`perceptune resume --store {args.store}` finishes it"
    try:
        sweep_id = store.create_sweep(spec.to_dict(), name=spec.name)
        try:
            run_sweep(store, spec, executor, on_progress=bar.update, sweep_id=sweep_id)
        except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP
            bar.close()
            executor.shutdown()  # the runs in flight end interrupted first
            say(f"perceptune: sweep {sweep_id} {describe(interrupt)}; {resume_hint}")
            return exit_code(interrupt)
        except StoreError as error:
            # A refused write stopped a run: the sweep stops with it, resumable.
            where = f" at run {error.run_id}" if isinstance(error, StoreWriteError) else ""
            cause = getattr(error, "cause", error)
            raise StoreError(f"sweep {sweep_id} stopped{where}: {cause}; {resume_hint}") from None
    finally:
        bar.close()
        executor.shutdown()
    elapsed = time.monotonic() - started
    records = store.list_runs(sweep_id=sweep_id)
    failed = [r for r in records if r.status == "failed"]
    if args.json:
        print(json.dumps([_point_json(r) for r in records]))
    else:
        _print_summary(store, sweep_id, spec, elapsed, args.store)
    store.close()
    if failed:
        print(
            f"perceptune: {len(failed)} of {len(records)} points failed "
            f"(first: run {failed[0].id}: {failed[0].error})",
            file=sys.stderr,
        )
        return 1
    return 0


def _check_workers(workers: int | None, kind: str | None, scheduler: str | None) -> None:
    """``--workers N`` within :func:`core.executors.max_workers` (exit 2 otherwise)."""
    from core.executors import check_workers

    check_workers(workers, "--workers", remote=kind == "dask" and bool(scheduler))


def _check_data(spec: Any, source: str) -> None:
    """Bad data, or a network the sweep may train that is too large for it, fails now,
    before anything is stored: every listed ``layers`` value and the largest network
    a ``layers`` range allows (random and TPE draw their points as they go)."""
    from core.cli.commands import _BUILTIN_MAX_SHAPE
    from core.search.checks import check_sweep_networks

    shape = _BUILTIN_MAX_SHAPE
    if spec.dataset.train is not None:
        from core.datasets import describe

        info = describe(spec.dataset)
        shape = (info.n_features, info.n_classes)
    check_sweep_networks(spec, *shape, source=source)


def _executor(
    kind: str, workers: int | None, scheduler: str | None, tls: dict[str, str] | None = None
) -> Any:
    from core.executors import make_executor

    extra = {"scheduler": scheduler} if scheduler else {}
    executor = make_executor(kind, workers, tls=tls, **extra)
    start = getattr(executor, "start", None)
    if start is not None:
        # Workers import scikit-learn while this process stores the sweep's points.
        start(warm=True)
    return executor


def _point_json(record: Any) -> dict[str, Any]:
    return {
        "run_id": record.id,
        "params": record.params,
        "train_accuracy": record.train_accuracy,
        "test_accuracy": record.test_accuracy,
        "status": record.status,
        "verdict": record.verdict,
        "n_epochs": record.n_epochs,
        "stop_reason": record.stop_reason,
        "sweep_id": record.sweep_id,
        **record.cv_dict(),
    }


def _print_summary(store: Any, sweep_id: int, spec: Any, elapsed: float, path: str) -> None:
    from core.search.results import leaderboard

    rows = leaderboard(store, sweep_id)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    states = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(
        f"{title(sweep_id, spec.name)}: {spec.strategy}, {len(rows)} points ({states}) "
        f"in {elapsed:.1f} s"
    )
    _print_rows(rows[:TOP_ROWS])
    print(best_line(store, sweep_id))
    print(f"Stored in {path}: perceptune leaderboard {sweep_id} --store {path}")


def title(sweep_id: int, name: str | None) -> str:
    """``Sweep 3 "moons grid"``: :func:`core.search.results.sweep_title` capitalised to
    start a line, made safe for the terminal."""
    from core.search.results import sweep_title

    text = printable(sweep_title(sweep_id, name))
    return text[0].upper() + text[1:]


def best_line(store: Any, sweep_id: int) -> str:
    """The sweep's ``Best:`` line, the same in ``sweep``, ``leaderboard`` and ``resume``:
    the best run (:func:`core.search.results.best_run`), its score (``cv 0.873 ±
    0.021`` for a cross-validated sweep, else its test and train accuracy) and the
    ``perceptune run`` flags that train it again, data and ``--cv K`` included;
    ``No point finished.`` while there is none."""
    from core.search.results import best_run, searched_names

    best = best_run(store, sweep_id)
    if best is None:
        return "No point finished."
    names = searched_names(store, sweep_id, store.list_runs(sweep_id=sweep_id))
    return f"Best: run {best.id}, {_best_score(best)}: {_best_flags(best, names)}"


def _best_score(record: Any) -> str:
    """``cv 0.873 ± 0.021`` (and the refit's test and train accuracy, when refit) for a
    cross-validated run, ``test 0.880, train 0.910`` for any other."""
    if not record.dataset.get("cv"):
        return f"test {fmt(record.test_accuracy)}, train {fmt(record.train_accuracy)}"
    text = f"cv {fmt(record.cv_accuracy)} ± {fmt(record.cv_std)}"
    if record.test_accuracy is None:
        return text
    return f"{text}, refit test {fmt(record.test_accuracy)}, train {fmt(record.train_accuracy)}"


def _print_rows(rows: list[Any]) -> None:
    cv = any(row.cv_accuracy is not None for row in rows)
    extra = f" {'cv':>6} {'±':>6}" if cv else ""
    print(
        f"{'rank':>4} {'run':>5}  {'status':<8}{extra} {'train':>6} {'test':>6} {'gap':>6}  "
        f"{'verdict':<12} params"
    )
    for row in rows:
        gap = fmt(row.gap) if row.gap is not None else "-"
        scores = f" {fmt(row.cv_accuracy):>6} {fmt(row.cv_std):>6}" if cv else ""
        print(
            f"{row.rank:>4} {row.run_id:>5}  {row.status:<8}{scores} "
            f"{fmt(row.train_accuracy):>6} {fmt(row.test_accuracy):>6} {gap:>6}  "
            f"{row.verdict:<12} {printable(row.point_text())}"
        )


def _flags(params: dict[str, Any], names: list[str]) -> str:
    """The best config as ``perceptune run`` flags: ``names`` (the searched ones), then
    every other value that differs from the defaults."""
    from core.config import RunConfig, field_text

    config = RunConfig.from_mapping(params)
    shown = [*names, *(n for n in config.changed_fields() if n not in names)]
    parts = []
    for name in shown:
        text = field_text(config, name)
        flag = "--" + name.replace("_", "-")
        if isinstance(getattr(config, name), bool):
            parts.append(flag if getattr(config, name) else f"--no-{flag[2:]}")
        else:
            parts.append(f"{flag} {text or 'none'}")
    return " ".join(parts) or "(the defaults)"


def _best_flags(best: Any, names: list[str]) -> str:
    """``perceptune run`` flags that train ``best`` again: its settings and its data."""
    return printable(f"{_flags(best.params, names)} {_data_flags(best.dataset)}")


def _data_flags(dataset: dict[str, Any]) -> str:
    """The run's data as ``perceptune run`` flags (``--dataset moons --samples 200``):
    the source always, then every setting that differs from the defaults, each value
    quoted for a shell so the line can be pasted as it is."""
    import shlex

    from core.datasets import DatasetSpec

    spec = DatasetSpec.from_mapping(dataset)
    default = DatasetSpec(name=spec.name)  # train None: a CSV's file is always named
    parts = [f"--dataset {shlex.quote(spec.name)}" if spec.name else ""]
    for name, flag in (("train", "--train"), ("test", "--test"), ("target", "--target"),
                       ("test_size", "--test-size"), ("split_seed", "--split-seed"),
                       ("noise", "--noise"), ("n_samples", "--samples"), ("sep", "--sep"),
                       ("decimal", "--decimal"), ("na_values", "--na-values"),
                       ("drop", "--drop"), ("keep", "--keep")):  # fmt: skip
        value = getattr(spec, name)
        if value is not None and value != getattr(default, name):
            text = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{flag} {shlex.quote(text)}")
    if not spec.scale:
        parts.append("--no-scale")
    if not spec.header:
        parts.append("--no-header")
    if spec.cv:  # pasted without it, the line would train one plain run
        parts.append(f"--cv {spec.cv}")
        if not spec.refit:
            parts.append("--no-refit")
    return " ".join(part for part in parts if part)


class _SweepBar:
    """Progress on stderr: points done / total, best so far, ETA."""

    def __init__(self, total: int, quiet: bool) -> None:
        from core.cli.progress import ProgressBar

        self.bar = None if quiet else ProgressBar(max(1, total))

    def update(self, progress: Any) -> None:
        if self.bar is None:
            return
        self.bar.total = max(1, progress.total)
        text = f"best {fmt(progress.best_test_accuracy)}"
        if progress.eta_s is not None:
            text += f"  ETA {_duration(progress.eta_s)}"
        self.bar.update(progress.done, text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# --- resume -----------------------------------------------------------------------


def cmd_resume(args: argparse.Namespace) -> int:
    from core.cli.signals import describe, exit_code, say
    from core.errors import StoreError
    from core.search.engine import pending_work, resume, running_elsewhere

    _check_workers(args.workers, args.executor, getattr(args, "scheduler", None))
    store = open_store(args.store, must_exist=True)
    sweeps, interrupted = pending_work(store)
    for sweep_id, owner in running_elsewhere(store):
        print(f"Skipped: sweep {sweep_id} is running in {owner}; left to it", file=sys.stderr)
    if not sweeps and not interrupted:
        print(f"Nothing to resume in {args.store}.")
        return 0
    executor = _executor(
        args.executor, args.workers, getattr(args, "scheduler", None), tls_files(args)
    )
    bar = _SweepBar(1, quiet=args.quiet)
    again = f"`perceptune resume --store {args.store}` goes on from there"

    def on_sweep(sweep_id: int, spec: Any) -> None:
        bar.close()
        from core.search.results import sweep_title

        print(
            f"Resuming {printable(sweep_title(sweep_id, spec.name))} ({spec.strategy})",
            file=sys.stderr,
        )

    try:
        report = resume(
            store,
            executor,
            on_progress=bar.update,
            on_sweep=on_sweep,
            sweep_ids={sweep["id"] for sweep in sweeps},  # the others were just named
        )
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP
        bar.close()
        executor.shutdown()  # the runs in flight end interrupted first
        say(f"perceptune: resume {describe(interrupt)}; {again}")
        return exit_code(interrupt)
    except StoreError as error:
        raise StoreError(f"resume stopped: {error}; {again}") from None
    finally:
        bar.close()
        executor.shutdown()
    for sweep_id in report.sweeps:
        records = store.list_runs(sweep_id=sweep_id)
        name = store.get_sweep(sweep_id)["name"]
        print(f"{title(sweep_id, name)}: done, {len(records)} points")
        print(best_line(store, sweep_id))
    if report.runs:
        ids = ", ".join(str(i) for i in report.runs)
        print(f"Reran {len(report.runs)} interrupted run(s): {ids}")
    for reason in report.skipped:
        print(f"Skipped: {reason}", file=sys.stderr)
    for reason in report.failed:
        print(f"perceptune: {reason}", file=sys.stderr)
    store.close()
    return 1 if report.failed else 0


# --- leaderboard, sweeps ----------------------------------------------------------------


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from core.cli.commands import write_output
    from core.export import export_name
    from core.search.results import best_script, leaderboard, leaderboard_csv

    sweep_id = parse_id(args.sweep_id, "SWEEP_ID")
    if not (args.csv or args.json or args.python) and (args.output is not None or args.force):
        raise InputError("-o/--force: only with --csv, --json or --python (an export)")
    store = open_store(args.store, must_exist=True)
    # Named and written as `export` does (core.export.export_name); -o - prints.
    where = {"store": args.store, "force": args.force}
    if args.python:
        store.get_sweep(sweep_id)  # an unknown sweep fails before any file is looked at
        write_output(
            lambda name: best_script(store, sweep_id, script_name=name),
            args.output,
            export_name("sweep_best", sweep_id),
            **where,
        )
        return 0
    rows = leaderboard(store, sweep_id)
    if args.csv:
        write_output(
            leaderboard_csv(rows), args.output, export_name("sweep_csv", sweep_id), **where
        )
        return 0
    if args.json:
        write_output(json.dumps([row.to_dict() for row in rows]) + "\n", args.output, None, **where)
        return 0
    sweep = store.get_sweep(sweep_id)
    print(f"{title(sweep_id, sweep['name'])}: {sweep['status']}, {len(rows)} points")
    _print_rows(rows[: args.limit])
    print(best_line(store, sweep_id))
    return 0


def _is_cv(spec: Any) -> bool:
    """Whether a stored sweep spec cross-validates its points (``[search] cv = K``)."""
    search = spec.get("search") if isinstance(spec, dict) else None
    return isinstance(search, dict) and bool(search.get("cv"))


def _best_cell(item: dict[str, Any]) -> str:
    """The ``best`` column of ``sweeps``: ``cv 0.873`` for a cross-validated sweep (what
    it ranks by), ``test 0.880`` otherwise, ``-`` while no point is done."""
    if "best_cv_accuracy" in item:
        score, what = item["best_cv_accuracy"], "cv"
    else:
        score, what = item["best_test_accuracy"], "test"
    return "-" if score is None else f"{what} {fmt(score)}"


def cmd_sweeps(args: argparse.Namespace) -> int:
    from core.search.results import best_run

    store = open_store(args.store, must_exist=True)
    items = []
    for sweep in store.list_sweeps():
        records = store.list_runs(sweep_id=sweep["id"])
        best = best_run(store, sweep["id"])
        finished = sum(r.status in ("done", "pruned", "diverged", "failed") for r in records)
        cv = _is_cv(sweep["spec"])
        items.append(
            {
                "id": sweep["id"],
                "name": sweep["name"],
                "status": sweep["status"],
                "strategy": sweep["spec"].get("search", {}).get("strategy", "?"),
                "points": len(records),
                "finished": finished,
                "best_run_id": None if best is None else best.id,
                "best_test_accuracy": None if best is None else best.test_accuracy,
                # A cross-validated sweep ranks by cv_accuracy (its test accuracy is
                # the refit's, None without one).
                **({"best_cv_accuracy": None if best is None else best.cv_accuracy} if cv else {}),
                "reason": sweep["reason"],
            }
        )
    if args.json:
        print(json.dumps(items))
        return 0
    if not items:
        print(f"no sweeps in {args.store}")
        return 0
    print(f"{'id':>4}  {'status':<11} {'strategy':<8} {'points':>11}  {'best':>10}  name")
    for item in items:
        points = f"{item['finished']}/{item['points']}"
        reason = f" ({item['reason']})" if item["reason"] and item["status"] != "done" else ""
        print(
            f"{item['id']:>4}  {item['status']:<11} {item['strategy']:<8} {points:>11}  "
            f"{_best_cell(item):>10}  {printable(item['name'])}{reason}"
        )
    return 0
