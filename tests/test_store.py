"""The run store on real SQLite files, with real second processes for WAL and crashes."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from core import store_schema
from core.errors import NotFoundError, StoreError
from core.results import EpochPoint
from core.store import DEFAULT_STORE_PATH, HEARTBEAT_STALE_S, RunRecord, RunStore

ROOT = Path(__file__).resolve().parents[1]
DATASET = {"kind": "builtin", "name": "moons", "n_samples": 200}


def params(**changes: object) -> dict:
    return {"layers": [6, 6], "lr": 0.01, "epochs": 100, **changes}


def point(epoch: int, train: float = 0.5, test: float = 0.4, loss: float = 1.0) -> EpochPoint:
    return EpochPoint(epoch=epoch, train_accuracy=train, test_accuracy=test, loss=loss)


def run_python(code: str, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that can import this project."""
    prelude = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_RAW: list[sqlite3.Connection] = []


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection, to look at or tamper with the file behind the store's back."""
    conn = sqlite3.connect(path, isolation_level=None)
    _RAW.append(conn)
    return conn


@pytest.fixture(autouse=True)
def _close_raw_connections():
    yield
    while _RAW:
        _RAW.pop().close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def store(db: Path):
    with RunStore(db) as opened:
        yield opened


# -- runs ------------------------------------------------------------------------------


def test_default_path() -> None:
    assert DEFAULT_STORE_PATH == "perceptune.db"


def test_run_roundtrip(store: RunStore) -> None:
    run_id = store.create_run(params(lr=0.1), DATASET, label="first")
    record = store.get_run(run_id)
    assert (record.status, record.params, record.dataset, record.label) == (
        "queued",
        params(lr=0.1),
        DATASET,
        "first",
    )
    assert record.started_at is None and record.duration_s is None and record.gap is None
    assert record.n_epochs == 0 and record.verdict is None and record.sweep_id is None

    store.mark_running(run_id)
    store.add_epoch(run_id, point(1, loss=float("nan")))
    store.add_epochs(run_id, [point(2, 0.7, 0.6, 0.5), point(3, 0.9, 0.7, 0.25)])
    assert store.get_run(run_id).n_epochs == 3  # progress is visible while running
    curve = store.curve(run_id)
    assert [p.epoch for p in curve] == [1, 2, 3]
    assert math.isnan(curve[0].loss)  # NaN loss went in as NULL and came back NaN
    assert curve[2] == point(3, 0.9, 0.7, 0.25)

    verdict = {"verdict": "overfitting", "gap": 0.2}
    store.finish_run(
        run_id, "done", train_accuracy=0.9, test_accuracy=0.7, verdict=verdict, stop_reason="max"
    )
    done = store.get_run(run_id)
    assert done.status == "done" and done.verdict == verdict and done.stop_reason == "max"
    assert done.gap == pytest.approx(0.2)
    assert done.duration_s is not None and done.duration_s >= 0
    assert done.created_at <= done.started_at <= done.finished_at  # type: ignore[operator]
    data = done.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        "id", "status", "params", "dataset", "train_accuracy", "test_accuracy", "n_epochs",
        "verdict", "stop_reason", "error", "created_at", "started_at", "finished_at",
        "duration_s", "sweep_id", "label",
    }  # fmt: skip


def test_finish_without_scores_takes_last_epoch(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET)
    store.mark_running(run_id)
    store.add_epochs(run_id, [point(1, 0.6, 0.5), point(2, 0.8, 0.75)])
    store.finish_run(run_id, "cancelled", stop_reason="cancelled by user")
    record = store.get_run(run_id)
    assert (record.train_accuracy, record.test_accuracy, record.n_epochs) == (0.8, 0.75, 2)

    failed = store.create_run(params(), DATASET)
    store.finish_run(failed, "failed", error="boom")
    record = store.get_run(failed)
    assert record.error == "boom" and record.test_accuracy is None and record.duration_s is None


def test_mark_running_starts_over(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET)
    store.mark_running(run_id)
    store.add_epochs(run_id, [point(1), point(2)])
    store.finish_run(run_id, "failed", error="x")
    store.mark_running(run_id)  # a retry
    record = store.get_run(run_id)
    assert store.curve(run_id) == []
    assert (record.status, record.error, record.n_epochs, record.finished_at) == (
        "running",
        "",
        0,
        None,
    )


def test_add_epoch_replaces_same_epoch(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET)
    store.add_epoch(run_id, point(1, 0.1, 0.1))
    store.add_epoch(run_id, point(1, 0.2, 0.2))
    assert store.curve(run_id) == [point(1, 0.2, 0.2)]


def test_set_status_and_update_params(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET)
    store.update_params(run_id, params(lr=0.5))
    assert store.get_run(run_id).params["lr"] == 0.5
    store.set_status(run_id, "cancelled")
    cancelled = store.get_run(run_id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    with pytest.raises(StoreError, match="only a queued run can be edited"):
        store.update_params(run_id, params(lr=0.9))
    store.set_status(run_id, "queued")
    assert store.get_run(run_id).finished_at is None


def test_invalid_status_is_a_programming_error(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET)
    with pytest.raises(ValueError, match="bogus"):
        store.create_run(params(), DATASET, status="bogus")
    with pytest.raises(ValueError):
        store.set_status(run_id, "bogus")
    with pytest.raises(ValueError):
        store.finish_run(run_id, "running")
    with pytest.raises(ValueError):
        store.list_runs(statuses=["done", "bogus"])
    with pytest.raises(ValueError):
        store.set_sweep_status(store.create_sweep({}), "queued")


def test_unknown_ids(store: RunStore) -> None:
    with pytest.raises(NotFoundError, match=r"no run 42 in .*runs\.db"):
        store.get_run(42)
    for call in (
        lambda: store.curve(42),
        lambda: store.mark_running(42),
        lambda: store.add_epoch(42, point(1)),
        lambda: store.finish_run(42, "done"),
        lambda: store.set_status(42, "done"),
        lambda: store.update_params(42, {}),
        lambda: store.delete_run(42),
        lambda: store.get_sweep(7),
        lambda: store.sweep_runs(7),
        lambda: store.set_sweep_status(7, "done"),
        lambda: store.create_run(params(), DATASET, sweep_id=7),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert store.curves([42]) == {42: []}


def _finished(store: RunStore, train: float | None, test: float | None, **kw: object) -> int:
    run_id = store.create_run(params(), DATASET, **kw)  # type: ignore[arg-type]
    store.mark_running(run_id)
    store.finish_run(run_id, "done", train_accuracy=train, test_accuracy=test)
    return run_id


def test_list_order_filter_page_count(store: RunStore) -> None:
    a = _finished(store, 0.9, 0.6)  # gap 0.3
    b = _finished(store, 0.8, 0.8)  # gap 0.0
    c = _finished(store, 0.95, 0.7)  # gap 0.25
    queued = store.create_run(params(), DATASET)  # no scores: always listed last
    ids = lambda runs: [r.id for r in runs]  # noqa: E731

    assert ids(store.list_runs()) == [a, b, c, queued]
    assert ids(store.list_runs(descending=True)) == [queued, c, b, a]
    assert ids(store.list_runs(order_by="test_accuracy", descending=True)) == [b, c, a, queued]
    assert ids(store.list_runs(order_by="test_accuracy")) == [a, c, b, queued]
    assert ids(store.list_runs(order_by="gap", descending=True)) == [a, c, b, queued]
    assert ids(store.list_runs(order_by="train_accuracy")) == [b, a, c, queued]
    for key in ("created_at", "duration", "status", "n_epochs"):
        assert len(store.list_runs(order_by=key)) == 4
    assert ids(store.list_runs(limit=2, offset=1)) == [b, c]
    assert ids(store.list_runs(offset=3)) == [queued]
    assert ids(store.list_runs(statuses=["queued"])) == [queued]
    assert store.list_runs(statuses=[]) == []
    assert store.count_runs() == 4
    assert store.count_runs(statuses=["done"]) == 3
    assert store.count_runs(statuses=("done", "queued")) == 4
    with pytest.raises(ValueError, match="sort key"):
        store.list_runs(order_by="id; DROP TABLE runs")
    assert store.count_runs() == 4


def test_listed_and_fetched_records_are_equal(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET, label="x")
    store.finish_run(run_id, "done", verdict={"verdict": "good fit"})
    listed = store.list_runs()[0]
    fetched = store.get_run(run_id)
    assert listed == fetched
    assert isinstance(listed.params, dict) and listed.verdict == {"verdict": "good fit"}
    built = RunRecord(**{name: getattr(fetched, name) for name in RunRecord.__dataclass_fields__})
    assert built == fetched


def test_delete_removes_epochs(store: RunStore, db: Path) -> None:
    keep = store.create_run(params(), DATASET)
    gone = store.create_run(params(), DATASET)
    store.add_epochs(keep, [point(1), point(2)])
    store.add_epochs(gone, [point(1), point(2), point(3)])
    store.delete_run(gone)
    with pytest.raises(NotFoundError):
        store.get_run(gone)
    counts = raw(db).execute("SELECT run_id, count(*) FROM epochs GROUP BY run_id").fetchall()
    assert counts == [(keep, 2)]
    assert store.curves([keep, gone]) == {keep: [point(1), point(2)], gone: []}


def test_list_10k_runs_sorted_by_indexed_columns(store: RunStore, db: Path) -> None:
    row = (json.dumps(params()), json.dumps(DATASET), json.dumps({"verdict": "good fit"}))
    conn = raw(db)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO runs (status, params, dataset, verdict, created_at, train_accuracy,"
        " test_accuracy, gap, duration) VALUES ('done', ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, i, 0.9, (i % 97) / 97, 0.9 - (i % 97) / 97, i % 13) for i in range(10_000)],
    )
    conn.execute("COMMIT")
    # How fast this is, is measured in bench/ (no timing assertions in tests).
    for order_by, key in (
        ("id", lambda r: r.id),
        ("test_accuracy", lambda r: r.test_accuracy),
        ("gap", lambda r: r.gap),
        ("duration", lambda r: r.duration_s or 0),
    ):
        runs = store.list_runs(order_by=order_by, descending=True)
        assert len(runs) == 10_000
        values = [key(r) for r in runs]
        assert values == sorted(values, reverse=True), order_by
    assert runs[0].params == params()


# -- sweeps ----------------------------------------------------------------------------


def test_sweeps(store: RunStore) -> None:
    spec = {"grid": {"lr": [0.1, 0.01]}, "dataset": DATASET}
    sweep = store.create_sweep(spec, name="lr grid")
    other = store.create_sweep({"grid": {}})
    assert store.get_sweep(sweep) == {
        "id": sweep,
        "name": "lr grid",
        "status": "running",
        "created_at": pytest.approx(time.time(), abs=60),
        "spec": spec,
    }
    first = store.create_run(params(lr=0.1), DATASET, sweep_id=sweep, point_key="lr=0.1")
    store.create_run(params(lr=0.01), DATASET, sweep_id=sweep, point_key="lr=0.01")
    with pytest.raises(StoreError, match=re.escape("already has a run for point 'lr=0.1'")):
        store.create_run(params(lr=0.1), DATASET, sweep_id=sweep, point_key="lr=0.1")
    store.create_run(params(lr=0.1), DATASET, sweep_id=other, point_key="lr=0.1")  # other sweep

    by_key = store.sweep_runs(sweep)
    assert sorted(by_key) == ["lr=0.01", "lr=0.1"]
    assert by_key["lr=0.1"].id == first and by_key["lr=0.1"].point_key == "lr=0.1"
    assert store.count_runs(sweep_id=sweep) == 2
    assert [r.id for r in store.list_runs(sweep_id=other)] == [first + 2]

    store.set_sweep_status(sweep, "done")
    assert [s["id"] for s in store.list_sweeps()] == [sweep, other]
    assert [s["id"] for s in store.list_sweeps(statuses=["running"])] == [other]
    assert store.list_sweeps(statuses=[]) == []


# -- concurrency -----------------------------------------------------------------------


def test_wal_reader_while_another_connection_writes(store: RunStore, db: Path) -> None:
    assert raw(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    run_id = store.create_run(params(), DATASET)
    writer = raw(db)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, uncommitted
    writer.execute("UPDATE runs SET label = 'uncommitted'")
    with RunStore(db) as reader:  # opening neither fails nor waits for the writer
        assert reader.get_run(run_id).label == ""
        assert reader.count_runs() == 1
    writer.execute("COMMIT")
    assert store.get_run(run_id).label == "uncommitted"


def test_reads_while_a_process_writes_epochs(store: RunStore, db: Path) -> None:
    run_id = store.create_run(params(), DATASET)
    code = """
        import sys, time
        from core.results import EpochPoint
        from core.store import RunStore
        with RunStore(sys.argv[1]) as store:
            run_id = int(sys.argv[2])
            store.mark_running(run_id)
            for epoch in range(1, 121):
                store.add_epoch(run_id, EpochPoint(epoch, 0.5, 0.5, 0.1))
                time.sleep(0.002)
            store.finish_run(run_id, "done")
    """
    prelude = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(code), str(db), str(run_id)],
        stderr=subprocess.PIPE,
        text=True,
    )
    lengths = []
    try:
        while proc.poll() is None:
            curve = store.curve(run_id)
            assert [p.epoch for p in curve] == list(range(1, len(curve) + 1))
            lengths.append(len(curve))
            store.list_runs()
    finally:
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert lengths == sorted(lengths) and len(set(lengths)) > 3  # saw it grow
    assert len(store.curve(run_id)) == 120 and store.get_run(run_id).status == "done"


def test_threads_share_one_store(store: RunStore) -> None:
    run_id = store.create_run(params(), DATASET)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(50):
                store.curve(run_id)
                store.list_runs()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for epoch in range(1, 51):
        store.add_epoch(run_id, point(epoch))
    for thread in readers:
        thread.join()
    assert errors == [] and len(store.curve(run_id)) == 50


# -- interrupted runs ------------------------------------------------------------------


def test_killed_writer_leaves_an_interrupted_run(db: Path) -> None:
    code = """
        import os, sys
        from core.results import EpochPoint
        from core.store import RunStore
        store = RunStore(sys.argv[1])
        run_id = store.create_run({"lr": 0.1}, {"name": "moons"})
        store.mark_running(run_id)
        for epoch in (1, 2, 3):
            store.add_epoch(run_id, EpochPoint(epoch, 0.5 + epoch / 10, 0.5, 0.1))
        print(run_id, flush=True)
        os.kill(os.getpid(), 9)
    """
    result = run_python(code, str(db))
    assert result.returncode == -signal.SIGKILL, result.stderr
    run_id = int(result.stdout)
    with RunStore(db) as store:
        record = store.get_run(run_id)
        assert record.status == "interrupted"
        assert "ended while it was running" in record.stop_reason
        assert (record.n_epochs, record.train_accuracy) == (3, pytest.approx(0.8))
        assert [p.epoch for p in store.curve(run_id)] == [1, 2, 3]
        assert store.integrity_check() == "ok"
        assert store.list_runs(statuses=["interrupted"])[0].id == run_id


def test_own_and_live_runs_are_not_interrupted(store: RunStore, db: Path) -> None:
    mine = store.create_run(params(), DATASET)
    store.mark_running(mine)
    also_mine = store.create_run(params(), DATASET, status="running")
    parents = store.create_run(params(), DATASET)
    store.mark_running(parents)
    raw(db).execute("UPDATE runs SET owner_pid = ? WHERE id = ?", (os.getppid(), parents))
    with RunStore(db) as second:  # reconciles on open
        assert second.reconcile_interrupted() == []
    assert {r.status for r in store.list_runs()} == {"running"}
    assert store.get_run(also_mine).started_at is not None


def test_other_host_runs_go_by_heartbeat(store: RunStore, db: Path) -> None:
    fresh = store.create_run(params(), DATASET)
    stale = store.create_run(params(), DATASET)
    for run_id in (fresh, stale):
        store.mark_running(run_id)
    conn = raw(db)
    conn.execute("UPDATE runs SET owner_host = 'elsewhere', owner_pid = 1")
    old = time.time() - HEARTBEAT_STALE_S - 5
    conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (old, stale))
    store.heartbeat([fresh])
    assert store.reconcile_interrupted() == [stale]
    assert store.get_run(fresh).status == "running"
    assert store.get_run(stale).finished_at == pytest.approx(old)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs procfs")
def test_unreaped_dead_child_counts_as_gone(store: RunStore, db: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Wait for it to exit but leave it unreaped: a zombie still answers kill(pid, 0).
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        run_id = store.create_run(params(), DATASET)
        store.mark_running(run_id)
        raw(db).execute("UPDATE runs SET owner_pid = ? WHERE id = ?", (child.pid, run_id))
        assert store.reconcile_interrupted() == [run_id]
    finally:
        child.wait()


# -- schema and opening ----------------------------------------------------------------


def test_new_store_is_versioned_and_marked(store: RunStore, db: Path) -> None:
    conn = raw(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.latest_version()
    assert conn.execute("PRAGMA application_id").fetchone()[0] == store_schema.APPLICATION_ID


def test_reopening_keeps_runs(db: Path) -> None:
    with RunStore(db) as store:
        run_id = store.create_run(params(), DATASET)
    with RunStore(str(db)) as store:
        assert store.get_run(run_id).params == params()


def test_newer_schema_is_refused(db: Path) -> None:
    RunStore(db).close()
    newer = store_schema.latest_version() + 1
    raw(db).execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(StoreError) as info:
        RunStore(db)
    assert str(info.value) == (
        f"store {db} was written by a newer perceptune "
        f"(schema {newer}, this one reads up to {store_schema.latest_version()})"
    )


@pytest.mark.parametrize("content", [b"hello, this is not a database\n" * 20, b"\x00\xff" * 3])
def test_non_sqlite_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=r"notes\.txt is not a perceptune store") as info:
        RunStore(path)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == content


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    raw(path).execute("CREATE TABLE things (x)")
    with pytest.raises(StoreError, match="another program"):
        RunStore(path)
    assert raw(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not made WAL


def test_missing_directory_or_directory_path(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        RunStore(tmp_path / "nope" / "runs.db")
    with pytest.raises(StoreError, match="is a directory"):
        RunStore(tmp_path)


def test_closed_store_raises(db: Path) -> None:
    store = RunStore(db)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_runs()


def _make_v1(path: Path) -> int:
    """A store as perceptune with schema 1 wrote it, holding one finished run."""
    conn = raw(path)
    conn.execute("BEGIN")
    store_schema.create_v1(conn)
    conn.execute(f"PRAGMA application_id = {store_schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    cursor = conn.execute(
        "INSERT INTO runs (status, params, dataset, created_at, test_accuracy)"
        " VALUES ('done', '{\"lr\": 0.1}', '{}', 1.0, 0.75)"
    )
    conn.execute("COMMIT")
    conn.close()
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def test_v1_store_opens_at_current_version(db: Path) -> None:
    run_id = _make_v1(db)
    with RunStore(db) as store:
        assert store.get_run(run_id).test_accuracy == 0.75
    assert raw(db).execute("PRAGMA user_version").fetchone()[0] == store_schema.latest_version()


def test_v1_store_migrates_through_a_new_step(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _make_v1(db)

    def add_tags(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, add_tags])
    with RunStore(db) as store:
        assert store.get_run(run_id).params == {"lr": 0.1}
    conn = raw(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.latest_version()
    assert conn.execute("SELECT tags FROM runs").fetchall() == [("",)]


def test_failed_migration_changes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_v1(db)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN tags TEXT")
        conn.execute("SELECT no_such_column FROM runs")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, broken])
    with pytest.raises(StoreError, match="no_such_column"):
        RunStore(db)
    conn = raw(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "tags" not in [row[1] for row in conn.execute("PRAGMA table_info(runs)")]
