"""The run store's SQLite schema: its DDL, its version and the steps that migrate it.

The schema version lives in ``PRAGMA user_version``; ``PRAGMA application_id`` marks
the file as a perceptune store, so a foreign SQLite database is refused rather than
written into. ``MIGRATIONS[i]`` takes a store from version ``i`` to ``i + 1``, so
version 2 is one more function appended to the list, never an edit of an old step:
a store written by any older perceptune walks every step it has not seen yet.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from core.errors import StoreError

#: "PTUN" in ASCII: the application id stamped in the SQLite header of every store.
APPLICATION_ID = 0x5054554E

Migration = Callable[[sqlite3.Connection], None]

# Version 1 = the initial schema. Kept verbatim forever: a v1 store is built by it.
_V1_STATEMENTS = (
    """
    CREATE TABLE sweeps (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at  REAL NOT NULL,
        name        TEXT NOT NULL DEFAULT '',
        spec        TEXT NOT NULL,
        status      TEXT NOT NULL
    )
    """,
    # train/test accuracy, gap and duration are denormalised real columns (not JSON)
    # so the history can sort and page 10k runs in SQL.
    """
    CREATE TABLE runs (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        status          TEXT NOT NULL,
        params          TEXT NOT NULL,
        dataset         TEXT NOT NULL,
        label           TEXT NOT NULL DEFAULT '',
        train_accuracy  REAL,
        test_accuracy   REAL,
        gap             REAL,
        n_epochs        INTEGER NOT NULL DEFAULT 0,
        verdict         TEXT,
        stop_reason     TEXT NOT NULL DEFAULT '',
        error           TEXT NOT NULL DEFAULT '',
        created_at      REAL NOT NULL,
        started_at      REAL,
        finished_at     REAL,
        duration        REAL,
        owner_pid       INTEGER,
        owner_host      TEXT,
        heartbeat_at    REAL,
        sweep_id        INTEGER REFERENCES sweeps(id),
        point_key       TEXT,
        UNIQUE (sweep_id, point_key)
    )
    """,
    "CREATE INDEX runs_status ON runs(status)",
    "CREATE INDEX runs_sweep ON runs(sweep_id)",
    "CREATE INDEX runs_test_accuracy ON runs(test_accuracy)",
    "CREATE INDEX runs_train_accuracy ON runs(train_accuracy)",
    "CREATE INDEX runs_gap ON runs(gap)",
    "CREATE INDEX runs_duration ON runs(duration)",
    """
    CREATE TABLE epochs (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch           INTEGER NOT NULL,
        train_accuracy  REAL NOT NULL,
        test_accuracy   REAL NOT NULL,
        loss            REAL,
        PRIMARY KEY (run_id, epoch)
    ) WITHOUT ROWID
    """,
)


def create_v1(conn: sqlite3.Connection) -> None:
    """Version 0 -> 1: the initial schema."""
    # One execute per statement: executescript() would COMMIT the caller's transaction.
    for statement in _V1_STATEMENTS:
        conn.execute(statement)


def add_sweep_owner(conn: sqlite3.Connection) -> None:
    """Sweeps get an owner, as runs have: the process running the sweep (pid, host)
    and its last sign of life, so ``resume`` leaves a live sweep alone and a sweep
    whose process died reads ``interrupted``; and ``reason``, why a sweep stopped
    (e.g. its data file is missing)."""
    for column in (
        "owner_pid INTEGER",
        "owner_host TEXT",
        "heartbeat_at REAL",
        "reason TEXT NOT NULL DEFAULT ''",
    ):
        conn.execute(f"ALTER TABLE sweeps ADD COLUMN {column}")


def add_data_references(conn: sqlite3.Connection) -> None:
    """Add the cache of reference accuracies: what simple models reach on a dataset
    split (:mod:`core.reference`), computed once per split. ``key`` is the dataset
    spec's canonical JSON; ``fingerprint`` tells a CSV file changed since."""
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS data_references (
            key          TEXT PRIMARY KEY,
            fingerprint  TEXT NOT NULL DEFAULT '',
            reference    TEXT NOT NULL,
            created_at   REAL NOT NULL
        )
        """
    )


def add_run_metrics(conn: sqlite3.Connection) -> None:
    """Add ``runs.metrics``: JSON with the data summary and per-class results."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    if "metrics" not in columns:  # independent of the order of other migrations
        conn.execute("ALTER TABLE runs ADD COLUMN metrics TEXT")


def add_run_queue(conn: sqlite3.Connection) -> None:
    """Add the stored queue (:mod:`core.queue_store`): the runs and sweeps a
    background runner trains, in order, and the one-row control table of that runner.

    ``run_queue``: one row per run waiting or training; ``position`` orders them and
    ``cancel`` asks the runner to stop that run after its epoch. ``sweep_queue``: the
    same for whole sweeps. ``queue_control``
    (one row, id 1): ``workers`` the desired runs at once (NULL: one per core),
    ``stop`` asks the runner to cancel everything and exit, and the runner's lease:
    its pid, host and heartbeat, so one runner at most serves a store."""
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS run_queue (
            run_id    INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            position  REAL NOT NULL,
            cancel    INTEGER NOT NULL DEFAULT 0,
            added_at  REAL NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX IF NOT EXISTS run_queue_position ON run_queue(position)")
    # Sweeps queued for the runner (``sweep FILE --detach``), in the same order.
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS sweep_queue (
            sweep_id  INTEGER PRIMARY KEY REFERENCES sweeps(id) ON DELETE CASCADE,
            position  REAL NOT NULL,
            cancel    INTEGER NOT NULL DEFAULT 0,
            added_at  REAL NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS queue_control (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            workers       INTEGER,
            stop          INTEGER NOT NULL DEFAULT 0,
            runner_pid    INTEGER,
            runner_host   TEXT,
            heartbeat_at  REAL,
            started_at    REAL,
            executor      TEXT NOT NULL DEFAULT ''
        )
        """
    )
    conn.execute("INSERT OR IGNORE INTO queue_control (id) VALUES (1)")


def add_ui_settings(conn: sqlite3.Connection) -> None:
    """Add ``ui_settings``: what the workbench remembers per store between launches
    (the form, the dataset, the tab), one JSON object per key."""
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS ui_settings (
            key         TEXT PRIMARY KEY,
            value       TEXT NOT NULL,
            updated_at  REAL NOT NULL
        )
        """
    )


def add_cross_validation(conn: sqlite3.Connection) -> None:
    """Cross-validated runs (:mod:`core.folds`): ``runs.cv_accuracy``, ``cv_std`` and
    ``fold_accuracies`` (JSON list) for ranking in SQL; ``folds``, one row per finished
    fold (``fold`` -1 is the refit on the whole train part), so a resumed run trains
    every fold exactly once; ``fold_epochs``, each fold's faithful curve (its
    ``test_accuracy`` is the fold's validation accuracy; the refit's is the test part's).
    """
    columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    for column in ("cv_accuracy REAL", "cv_std REAL", "fold_accuracies TEXT"):
        if column.split()[0] not in columns:  # independent of other migrations' order
            conn.execute(f"ALTER TABLE runs ADD COLUMN {column}")
    conn.execute("CREATE INDEX IF NOT EXISTS runs_cv_accuracy ON runs(cv_accuracy)")
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS folds (
            run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            fold         INTEGER NOT NULL,
            status       TEXT NOT NULL,
            stop_reason  TEXT NOT NULL DEFAULT '',
            error        TEXT NOT NULL DEFAULT '',
            duration     REAL,
            finished_at  REAL NOT NULL,
            PRIMARY KEY (run_id, fold)
        ) WITHOUT ROWID
        """
    )
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS fold_epochs (
            run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            fold            INTEGER NOT NULL,
            epoch           INTEGER NOT NULL,
            train_accuracy  REAL NOT NULL,
            test_accuracy   REAL NOT NULL,
            loss            REAL,
            PRIMARY KEY (run_id, fold, epoch)
        ) WITHOUT ROWID
        """
    )


def add_live_band(conn: sqlite3.Connection) -> None:
    """``cv_band``: the folds' spread per epoch of a cross-validated run's mean curve
    (the curve itself is the run's ``epochs``), written while its folds train so a
    chart draws the band live; the folds' own curves (``fold_epochs``) come only when
    each fold ends. A standard deviation may be NaN (stored NULL)."""
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS cv_band (
            run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            epoch      INTEGER NOT NULL,
            train_std  REAL,
            cv_std     REAL,
            PRIMARY KEY (run_id, epoch)
        ) WITHOUT ROWID
        """
    )


#: Append a function here to add schema version ``len(MIGRATIONS) + 1``.
MIGRATIONS: list[Migration] = [
    create_v1,
    add_sweep_owner,
    add_data_references,
    add_run_metrics,
    add_run_queue,
    add_ui_settings,
    add_cross_validation,
    add_live_band,
]


def latest_version() -> int:
    """The newest schema version this code can read and write."""
    return len(MIGRATIONS)


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return bool(row[0])


#: The first 16 bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"


def _unreadable(path: Path) -> StoreError:
    """What is wrong with a file SQLite cannot read: damaged (it starts like an SQLite
    database, so it was one: truncated or overwritten in part) or no database at all."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        size = path.stat().st_size
    except OSError as error:
        return StoreError(f"cannot read store {path}: {error.strerror or error}")
    if head and SQLITE_MAGIC.startswith(head):
        return StoreError(
            f"store {path} is damaged: the file is truncated or corrupt ({size:,} bytes); "
            "restore it from a backup or start a new one with --store"
        )
    return StoreError(f"{path} is not a perceptune store (not an SQLite database)")


def check_store(conn: sqlite3.Connection, path: Path) -> int:
    """Return the file's schema version, or raise StoreError if it is not ours to open.

    Version 0 means an empty database that :func:`migrate` may initialise.
    """
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_tables = _has_tables(conn)
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path) from exc
    if app_id == 0 and version == 0 and not has_tables:
        return 0
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{path} is not a perceptune store (an SQLite database of another program)"
        )
    if version > latest_version():
        raise StoreError(
            f"store {path} was written by a newer perceptune "
            f"(schema {version}, this one reads up to {latest_version()})"
        )
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the store up to :func:`latest_version`, all steps in one transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Two processes may
    open a fresh store at once: the version is re-read under the write lock, so the
    second one finds the work done.
    """
    if check_store(conn, path) == latest_version():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = check_store(conn, path)
        for step in MIGRATIONS[version:]:
            step(conn)
        # Header pragmas are part of the transaction: a failed step leaves version as it was.
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {latest_version()}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # some errors (disk full) already rolled back
            conn.execute("ROLLBACK")
        raise
