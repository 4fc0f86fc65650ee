"""``export -o FILE`` never destroys anything: not the store (nor its -wal/-shm), not an
existing file without ``--force``, and a failed write leaves every file as it was. The
TUI's exports pick a free name instead (``write_new_file``)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from core.export import write_new_file

RUN = ["--dataset", "moons", "--samples", "200", "--epochs", "5", "--executor", "inline", "-q"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, run_cli) -> Path:
    """A store holding one finished run (id 1)."""
    path = tmp_path_factory.mktemp("store") / "s.db"
    result = run_cli("run", *RUN, "--store", str(path))
    assert result.returncode == 0, result.stderr
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


@pytest.mark.parametrize(
    "target",
    ["s.db", "s.db-wal", "s.db-shm", "sub/../s.db", "link.db", "hard.db"],
)
def test_export_never_writes_onto_the_store_even_with_force(
    run_cli, store: Path, target: str
) -> None:
    folder = store.parent
    (folder / "sub").mkdir(exist_ok=True)
    if not (folder / "link.db").is_symlink():
        (folder / "link.db").symlink_to("s.db")
        os.link(store, folder / "hard.db")
    before = digest(store)
    flag_sets = [["--python", "1", "--force"]]
    if target == "s.db":
        flag_sets += [["--python", "1"], ["--csv"]]
    for flags in flag_sets:
        result = run_cli("export", *flags, "--store", "s.db", "-o", target, cwd=folder)
        assert_one_line_error(result, "run store")
        assert digest(store) == before
    assert not (folder / "s.db-wal").exists() or (folder / "s.db-wal").stat().st_size == 0
    runs = run_cli("runs", "--json", "--store", str(store))
    assert [run["id"] for run in json.loads(runs.stdout)] == [1]


def test_an_existing_file_is_replaced_only_with_force(run_cli, store: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.py"
    out.write_text("precious\n", encoding="utf-8")
    out.chmod(0o640)
    args = ("export", "1", "--python", "--store", str(store), "-o", str(out))

    result = run_cli(*args)
    assert_one_line_error(result, "exists", "--force")
    assert out.read_text(encoding="utf-8") == "precious\n"

    result = run_cli(*args, "--force")
    assert result.returncode == 0, result.stderr
    script = out.read_text(encoding="utf-8")
    compile(script, str(out), "exec")
    assert "Run: python run.py\n" in script  # the script names the file it is in
    assert out.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.py"]  # no temporary left

    table = tmp_path / "runs.csv"
    result = run_cli("export", "--csv", "--store", str(store), "-o", str(table))
    assert result.returncode == 0, result.stderr
    assert table.read_text(encoding="utf-8").startswith("id,status,")
    result = run_cli("export", "--json", "--store", str(store), "-o", str(table))
    assert_one_line_error(result, "exists")
    assert table.read_text(encoding="utf-8").startswith("id,status,")


@pytest.mark.parametrize(
    ("target", "words"),
    [
        pytest.param(".", ("is a directory",), id="directory"),
        pytest.param("", ("needs a file name",), id="empty"),
        pytest.param("missing/run.py", ("cannot write", "No such file"), id="missing-dir"),
    ],
)
def test_export_to_an_unusable_path_is_one_line(
    run_cli, store: Path, tmp_path: Path, target: str, words: tuple[str, ...]
) -> None:
    result = run_cli(
        "export", "1", "--python", "--store", str(store), "-o", target, "--force", cwd=tmp_path
    )
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_fails_midway_leaves_the_old_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The file size limit (RLIMIT_FSIZE) makes the write fail after 40 KB: the old file
    stays whole, a new one never appears, no temporary file is left."""
    from core.config import RunConfig
    from core.datasets import DatasetSpec
    from core.store import RunStore

    store = tmp_path / "big.db"
    with RunStore(store) as runs:
        for _ in range(100):  # ~85 KB of JSON
            runs.create_run(RunConfig().to_dict(), DatasetSpec().to_dict(), status="cancelled")
    old = tmp_path / "old.json"
    old.write_text("old content\n", encoding="utf-8")

    def export(output: str, *flags: str) -> subprocess.CompletedProcess[str]:
        args = ["export", "--json", "--store", "big.db", "-o", output, *flags]
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=cli_env,
            cwd=tmp_path,
            # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG.
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000)),
        )

    assert_one_line_error(export("old.json", "--force"), "cannot write", "too large")
    assert old.read_text(encoding="utf-8") == "old content\n"
    assert_one_line_error(export("new.json"), "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.db", "old.json"]


def test_write_new_file_never_replaces_a_file(tmp_path: Path) -> None:
    (tmp_path / "perceptune_runs.csv").write_text("mine\n", encoding="utf-8")
    (tmp_path / "perceptune_runs_2.csv").write_text("mine too\n", encoding="utf-8")

    path = write_new_file(tmp_path, "perceptune_runs.csv", "a,b\n")
    assert path == tmp_path / "perceptune_runs_3.csv"
    assert path.read_text(encoding="utf-8") == "a,b\n"
    assert (tmp_path / "perceptune_runs.csv").read_text(encoding="utf-8") == "mine\n"
    assert (tmp_path / "perceptune_runs_2.csv").read_text(encoding="utf-8") == "mine too\n"

    # A script that names itself learns the name it got.
    script = write_new_file(tmp_path, "perceptune_runs.csv", lambda name: f"# {name}\n")
    assert script.read_text(encoding="utf-8") == "# perceptune_runs_4.csv\n"
    assert len(list(tmp_path.iterdir())) == 4  # no temporary left
