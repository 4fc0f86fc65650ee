"""``perceptune lesson``: train the lesson's trio (and the unstable fourth) in parallel
and print their train/test accuracies and verdicts side by side."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.cli.commands import dataset_from_args, fmt, open_store, record_json, with_absolute_paths
from core.cli.parser import _add_store, add_dataset_flags, add_executor_flags


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``lesson`` to the ``perceptune`` parser."""
    from core.cli.search_commands import _add_workers

    lesson = sub.add_parser(
        "lesson",
        help="train the lesson's runs: underfitting, good fit, overfitting (and unstable)",
        description=(
            "Train three runs that show the lesson on one dataset: too small a network "
            "(underfitting), a good one, and too big a network trained too long with "
            "patience off (overfitting); plus, unless --no-unstable, a fourth with too "
            "high a learning rate (unstable). Default data: circles, noise 0.3, 300 "
            "rows, half of them for testing."
        ),
    )
    lesson.add_argument(
        "--unstable",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train the fourth run, with too high a learning rate (default: yes)",
    )
    lesson.add_argument("--seed", metavar="N", default=None, help="seed of every run (10)")
    add_dataset_flags(lesson)
    _add_store(lesson)
    _add_workers(lesson)
    add_executor_flags(lesson)
    lesson.add_argument("--json", action="store_true", help="print a JSON list of the runs")
    lesson.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    lesson.set_defaults(handler=cmd_lesson)


def cmd_lesson(args: argparse.Namespace) -> int:
    from core.config import parse_field
    from core.lesson import LESSON_DATASET, lesson_configs

    seed = parse_field("seed", args.seed) if args.seed is not None else 10
    spec = dataset_from_args(args, base=LESSON_DATASET)
    runs = lesson_configs(spec, unstable=args.unstable, seed=seed)
    _check_data(runs)
    spec = with_absolute_paths(spec)
    from core.cli.search_commands import _executor
    from core.executors import default_workers

    workers = args.workers or min(len(runs), default_workers())
    executor = _executor(args.executor, workers, args.scheduler)
    store = open_store(args.store)
    try:
        jobs = [(run.config, spec, f"lesson: {run.label}") for run in runs]
        run_ids = _train(store, executor, jobs, args.quiet)
    finally:
        executor.shutdown()
    records = [store.get_run(run_id) for run_id in run_ids]
    curves = [store.curve(run_id) for run_id in run_ids]
    store.close()
    if args.json:
        print(
            json.dumps(
                [
                    {"lesson": run.label, "expected": run.expect, **record_json(record, curve)}
                    for run, record, curve in zip(runs, records, curves, strict=True)
                ]
            )
        )
    else:
        _print_table(runs, records, spec, args.store)
    failed = [record for record in records if record.status == "failed"]
    if failed:
        print(
            f"perceptune: {len(failed)} lesson run(s) failed (first: run {failed[0].id}: "
            f"{failed[0].error})",
            file=sys.stderr,
        )
        return 1
    return 0


def _check_data(runs: list[Any]) -> None:
    """Bad data fails before anything is stored (as ``perceptune run`` does)."""
    from core.cli.commands import check_before_storing

    for run in runs:
        check_before_storing(run.config, run.dataset)


def _train(store: Any, executor: Any, jobs: list[tuple[Any, Any, str]], quiet: bool) -> list[int]:
    """Enqueue every job, train them (the executor's workers at once), wait for all."""
    from core.runner import Runner

    runner = Runner(store, executor)
    try:
        run_ids = [runner.enqueue(config, spec, label=label) for config, spec, label in jobs]

        def finished(outcome: Any) -> None:
            if not quiet:
                verdict = (outcome.verdict or {}).get("verdict", outcome.status)
                print(f"run {outcome.run_id}: {verdict}", file=sys.stderr, flush=True)

        handles = [runner.start(run_id, on_finish=finished) for run_id in run_ids]
        for handle in handles:
            handle.result()
            handle.recorded.wait()
    finally:
        runner.close()
    return run_ids


def _print_table(runs: list[Any], records: list[Any], spec: Any, path: str) -> None:
    first = next((r.verdict for r in records if r.verdict), None) or {}
    header = f"Lesson on {spec.label()}"
    if first.get("n_test"):
        header += f": {first['n_test']} test rows"
    if first.get("reference_accuracy") is not None:
        header += f", this data allows about {first['reference_accuracy']:.3f}"
    print(header)
    width = max(len(run.label) for run in runs)
    print(f"{'run':>5}  {'lesson':<{width}}  {'train':>6} {'test':>6}  {'verdict':<12} expected")
    for run, record in zip(runs, records, strict=True):
        verdict = (record.verdict or {}).get("verdict") or record.status
        mark = "yes" if verdict == run.expect else f"no: {run.expect}"
        print(
            f"{record.id:>5}  {run.label:<{width}}  {fmt(record.train_accuracy):>6} "
            f"{fmt(record.test_accuracy):>6}  {verdict:<12} {mark}"
        )
    for record in records:
        summary = (record.verdict or {}).get("summary") or record.error or record.status
        print(f"  run {record.id}: {summary}")
    ids = ",".join(str(record.id) for record in records)
    print(f"Stored in {path}: perceptune show ID --store {path}  (runs {ids})")
