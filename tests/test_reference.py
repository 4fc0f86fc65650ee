"""The reference accuracy: what simple models reach on a split, computed in the worker
once per split and cached in the store."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from core import store_schema
from core.config import RunConfig
from core.datasets import DatasetSpec, load_dataset
from core.executors import InlineExecutor
from core.reference import (
    compute_reference,
    fingerprint,
    reference_key,
    request_reference,
    stored_reference,
)
from core.runner import Runner
from core.store import RunStore
from core.worker import RunRequest, execute_run

SMALL = DatasetSpec(name="moons", n_samples=120)


def test_reference_is_the_best_simple_model_on_the_test_part() -> None:
    reference = compute_reference(load_dataset(DatasetSpec(name="digits")))
    assert set(reference.models) == {"knn", "logistic"}
    assert reference.accuracy == max(reference.models.values())
    assert reference.accuracy > 0.95  # digits allows about 0.97
    circles = compute_reference(load_dataset(DatasetSpec(name="circles")))
    assert circles.models["knn"] > 0.85 > circles.models["logistic"]  # a ring is not linear


def test_key_is_the_canonical_spec_and_ignores_what_cannot_change_bundled_data() -> None:
    assert reference_key(DatasetSpec(name="iris")) == reference_key(
        DatasetSpec(name="iris", noise=0.5, n_samples=50)
    )
    assert reference_key(DatasetSpec(name="moons")) != reference_key(
        DatasetSpec(name="moons", noise=0.3)
    )
    key = json.loads(reference_key(DatasetSpec(name="iris")))
    assert (key["name"], key["n_samples"], key["noise"]) == ("iris", 400, 0.2)


def test_fingerprint_changes_with_the_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b,y\n1,2,0\n", encoding="utf-8")
    spec = DatasetSpec(name=None, train=str(path))
    before = fingerprint(spec)
    path.write_text("a,b,y\n1,2,0\n3,4,1\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert fingerprint(spec) != before
    assert fingerprint(DatasetSpec(name="iris")) == ""


def test_the_first_run_computes_it_the_store_keeps_it_the_next_run_reuses_it(
    store_path: Path,
) -> None:
    config = RunConfig(epochs=5)
    with RunStore(store_path) as store:
        assert request_reference(store, SMALL) is None
        executor = InlineExecutor()
        runner = Runner(store, executor)
        try:
            first = runner.run(config, SMALL)
            assert first.new_reference is not None
            cached = stored_reference(store, SMALL)
            assert cached is not None and cached.to_dict() == first.new_reference
            second = runner.run(config, SMALL)
        finally:
            runner.close()
            executor.shutdown()
        assert second.new_reference is None  # it came with the request
        assert second.verdict["reference_accuracy"] == cached.accuracy
        assert store.get_run(second.run_id).verdict["reference_accuracy"] == cached.accuracy


def test_the_worker_judges_against_the_reference_it_is_given() -> None:
    given = {"accuracy": 0.99, "models": {"knn": 0.99}}
    outcome = execute_run(RunRequest(1, RunConfig(epochs=5), SMALL, reference=given))
    assert outcome.new_reference is None
    assert outcome.verdict["reference_accuracy"] == 0.99
    assert outcome.facts["reference"] == 0.99 and outcome.facts["n_test"] == 30


def test_a_damaged_cache_entry_is_ignored(store_path: Path) -> None:
    with RunStore(store_path) as store:
        store.put_reference(reference_key(SMALL), "", {"accuracy": "not a number"})
        assert stored_reference(store, SMALL) is None
        assert request_reference(store, SMALL) is None


def test_a_v1_store_gains_the_cache_table(store_path: Path) -> None:
    conn = sqlite3.connect(store_path)
    store_schema.create_v1(conn)
    conn.execute(f"PRAGMA application_id = {store_schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with RunStore(store_path) as store:
        store.put_reference("k", "", {"accuracy": 0.5, "models": {}})
        assert store.get_reference("k") == {"accuracy": 0.5, "models": {}}
        assert store.get_reference("k", "other fingerprint") is None
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_schema.latest_version()


def test_run_prints_the_reference_and_the_noise_aware_verdict(run_cli, store_path: Path) -> None:
    done = run_cli("run", "--dataset", "iris", "--quiet", "--store", str(store_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[2].startswith("Verdict: good fit: train 0.964, test 0.947")
    assert "gap 0.017 is within the noise of 38 test rows" in lines[2]
    assert lines[4].startswith("Reference: this data allows about 0.974")
    assert "noise of 38 test rows" in lines[4]


def test_a_run_diverged_by_alpha_is_told_to_lower_alpha(run_cli, store_path: Path) -> None:
    done = run_cli("run", "--alpha", "1e308", "--quiet", "--json", "--store", str(store_path))
    data = json.loads(done.stdout)
    assert data["status"] == "diverged" and data["verdict"] == "diverged"
    assert data["diagnosis"]["cause"] == "alpha"
    assert "lower alpha" in data["diagnosis"]["summary"]
    assert "learning rate" not in data["diagnosis"]["summary"] + data["stop_reason"]
