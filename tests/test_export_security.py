"""Exported scripts never run code hidden in names: CSV file names, target column names,
sweep names and the script's own name reach the script only as string constants.

The property tests generate scripts from arbitrary text (quotes, backslashes, line
breaks, ``\\N{``, control characters, surrogates) and compare their syntax tree with the
script a harmless name gives: the same code, only string constants may differ. The
end-to-end tests train on real CSV files with hostile names through the real CLI, run
the exported script and check it prints the stored accuracies and touched nothing.
"""

from __future__ import annotations

import ast
import csv
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import DataError
from core.export import python_script
from core.store import RunRecord, RunStore

#: Characters that break naive quoting: quotes, escapes, line breaks, braces, NUL, C1
#: and Unicode line separators, a lone surrogate (what a non-UTF-8 file name decodes to).
TRICKY = "\"'\\\n\r\t\x00\x0b\x0c\x1c\x1f\x7f\x85\u2028\u2029{}Nxu;# \udc80é€😀"

#: Names that turned into code or broke the script before the fix.
KNOWN_BAD = [
    'a""";__import__("os").system("touch /tmp/x");"""b.csv',
    'y"""\nimport os\nos.system("touch /tmp/x")\n"""',
    "y\\N{x}\\",
    "t'\"\\x",
    "\\",
    '"',
    "'''",
    "x\\u12",
]

any_text = st.one_of(
    st.sampled_from(KNOWN_BAD),
    st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=30),
    st.text(st.characters(blacklist_categories=()), min_size=1, max_size=30),  # Cs too
)


def names(text: str) -> str:
    """``text`` made a possible column name: perceptune strips names, blank ones are none."""
    return text.strip() or "t"


def file_names(text: str) -> str:
    """``text`` made a possible file name: no ``/`` nor NUL, not blank, not ``.``/``..``."""
    name = names(text.replace("/", "_").replace("\x00", "_"))
    return name if name not in (".", "..") else name + "_"


SCRATCH = tempfile.mkdtemp(prefix="perceptune-export-names-")


def header_name(text: str) -> str:
    """``text`` made a possible CSV header name: one line, UTF-8, not a feature's."""
    name = names(text.replace("\n", " ").replace("\r", " ").replace("\x00", " "))
    name = name.encode("utf-8", "replace").decode("utf-8")
    return name if name not in ("f1", "f2") else name + "_"


def real_csv(path: Path, target: str | None) -> str:
    """A small two-class CSV at ``path`` (target last, named ``target`` or "label")."""
    try:
        with open(os.fsencode(path), "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["f1", "f2", target or "label"])
            for i in range(40):
                writer.writerow([i % 7, (i * 3) % 11, i % 2])
    except (UnicodeEncodeError, OSError):  # a name no file system takes
        assume(False)
    return str(path)


def record_for(dataset: dict[str, Any], run_id: int = 7) -> RunRecord:
    """A finished run on ``dataset`` (a stored record; no training needed)."""
    return RunRecord(
        id=run_id,
        status="done",
        params=RunConfig(layers=(4,), epochs=5).to_dict(),
        dataset=dataset,
        train_accuracy=0.8125,
        test_accuracy=0.75,
        n_epochs=5,
        verdict=None,
        stop_reason="",
        error="",
        created_at=0.0,
        started_at=0.0,
        finished_at=1.0,
        sweep_id=None,
        point_key=None,
        label="",
    )


def csv_dataset(train: str, test: str | None, target: str | None) -> dict[str, Any]:
    return DatasetSpec(name=None, train=train, test=test, target=target).to_dict()


class _Blank(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("") if isinstance(node.value, str) else node


@functools.lru_cache(maxsize=8)  # the harmless scripts repeat: parse each once
def skeleton(source: str) -> str:
    """The script's code with every string constant blanked: what it does, not what
    its strings say."""
    return ast.dump(_Blank().visit(ast.parse(source)))


def string_constants(source: str) -> set[str]:
    tree = ast.parse(source)
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def assert_safe(source: str, harmless: str) -> ast.Module:
    """``source`` compiles, can be saved as UTF-8, and is ``harmless``'s code."""
    source.encode("utf-8")  # no raw surrogate: the file can be written
    compile(source, "<exported>", "exec")
    assert skeleton(source) == skeleton(harmless)
    return ast.parse(source)


@settings(max_examples=200, deadline=None)
@given(
    train=any_text,
    test=st.none() | any_text,
    target=st.none() | any_text,
    script=any_text,
)
def test_csv_names_reach_the_script_only_as_string_constants(
    train: str, test: str | None, target: str | None, script: str
) -> None:
    # The script is built from the file as perceptune reads it: real files, with the
    # hostile names, beside harmless ones of the same shape.
    folder = Path(tempfile.mkdtemp(dir=SCRATCH))
    target = None if target is None else header_name(target)
    train_path = real_csv(folder / file_names(train), target)
    test_path = None if test is None else real_csv(folder / ("t_" + file_names(test)), target)
    record = record_for(csv_dataset(train_path, test_path, target))
    try:
        source = python_script(record, script_name=script)
    except DataError:  # a name the reader refuses (one line, exit 2): nothing to export
        assume(False)
    plain = Path(tempfile.mkdtemp(dir=SCRATCH))
    harmless = python_script(
        record_for(
            csv_dataset(
                real_csv(plain / "a.csv", target and "y"),
                None if test is None else real_csv(plain / "b.csv", target and "y"),
                target and "y",
            )
        ),
        script_name="run.py",
    )

    tree = assert_safe(source, harmless)
    constants = string_constants(source)
    assert train_path in constants
    if test_path is not None:
        assert test_path in constants
    # (The target reaches the script as the reader saw it: a sniffed quote character
    # may change it; the skeleton check above is what proves it stays a constant.)
    docstring = ast.get_docstring(tree, clean=False)
    assert docstring is not None
    spec = DatasetSpec.from_mapping(record.dataset)
    assert f"\nData: {spec.label()}\n" in docstring  # reads back as the name, escaped
    assert f"Run: python {script}\n" in docstring


#: Sweep names come from TOML files and the TUI: text without lone surrogates.
sweep_names = st.one_of(
    st.sampled_from(KNOWN_BAD),
    st.text(alphabet=st.sampled_from(TRICKY.replace("\udc80", "")), min_size=1, max_size=30),
    st.text(min_size=1, max_size=30),
)


@pytest.fixture(scope="module")
def sweep_store(tmp_path_factory: pytest.TempPathFactory):
    """One real store for every example (a new store per example costs 0.1 s)."""
    with RunStore(tmp_path_factory.mktemp("sweeps") / "s.db") as store:
        yield store


def finished_sweep(store: RunStore, name: str, train: str) -> int:
    """A sweep named ``name`` with one done point trained on ``train``; its id."""
    sweep_id = store.create_sweep({}, name=name)
    run_id = store.create_run(
        RunConfig(epochs=5).to_dict(),
        csv_dataset(train, None, None),
        status="running",
        sweep_id=sweep_id,
    )
    store.finish_run(run_id, "done", train_accuracy=0.9, test_accuracy=0.8, n_epochs=5)
    return sweep_id


@settings(max_examples=60, deadline=None)
@given(sweep_name=sweep_names, train=any_text)
def test_sweep_names_never_reach_the_best_run_script(
    sweep_store: RunStore, sweep_name: str, train: str
) -> None:
    from core.search.results import best_script

    folder = Path(tempfile.mkdtemp(dir=SCRATCH))
    hostile = finished_sweep(sweep_store, sweep_name, real_csv(folder / file_names(train), None))
    harmless = finished_sweep(sweep_store, "plain", real_csv(folder / "plain_a.csv", None))
    source = best_script(sweep_store, hostile)
    assert_safe(
        source,
        best_script(sweep_store, harmless).replace(
            f"sweep_{harmless}_best", f"sweep_{hostile}_best"
        ),
    )


# --- end to end: real files, the real CLI, the script run by python ---------------------

#: A file name whose text closed the old script's docstring and ran code.
HOSTILE_FILE = 'a""";__import__("os").system("touch PWNED_FILE");"""b.csv'
#: A target column name that did the same across lines.
HOSTILE_TARGET = 'y""";__import__("os").system("touch PWNED_TARGET");"""'
#: Names that made the old script fail to compile.
ESCAPE_FILE = "x\\N{x}\\'\"{0}.csv"
ESCAPE_TARGET = "t'\"\\x"
MARKERS = ("PWNED_FILE", "PWNED_TARGET", "PWNED_SWEEP")


def write_csv(path: Path, target: str, rows: int = 80, seed: int = 0) -> None:
    """Two numeric features and a 0/1 class column named ``target`` (quoted: it may hold
    commas, quotes and line breaks)."""
    import csv

    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["f1", "f2", target])
        for (a, b), label in zip(X, y, strict=True):
            writer.writerow([float(a), float(b), int(label)])


def run_script(script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The exported script under plain python, outside the checkout."""
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )


def expected_output(run: dict[str, Any]) -> str:
    return (
        f"Train accuracy: {run['train_accuracy']:.3f}\nTest accuracy: {run['test_accuracy']:.3f}\n"
    )


def assert_no_side_effect(folder: Path) -> None:
    for marker in MARKERS:
        assert not (folder / marker).exists(), f"the script ran code from a name ({marker})"


@pytest.mark.parametrize(
    ("file_name", "target", "test_name"),
    [
        pytest.param(HOSTILE_FILE, HOSTILE_TARGET, None, id="code-in-file-and-column-name"),
        pytest.param(ESCAPE_FILE, ESCAPE_TARGET, "t'\"\\x.csv", id="escapes-in-names"),
    ],
)
def test_script_from_hostile_csv_names_prints_the_stored_accuracies(
    run_cli, tmp_path: Path, file_name: str, target: str, test_name: str | None
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_csv(data / file_name, target)
    args = ["--train", str(data / file_name), "--target", target]
    if test_name is not None:
        write_csv(data / test_name, target, rows=40, seed=1)
        args += ["--test", str(data / test_name)]
    store = str(tmp_path / "runs.db")
    result = run_cli(
        "run", *args, "--layers", "4", "--epochs", "15", "--executor", "inline",
        "-q", "--json", "--store", store, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["status"] == "done"

    script = tmp_path / "out" / "reproduce.py"
    script.parent.mkdir()
    result = run_cli("export", str(run["id"]), "--python", "-o", str(script), "--store", store)
    assert result.returncode == 0, result.stderr

    ran = run_script(script, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == expected_output(run)
    assert_no_side_effect(tmp_path)


def test_leaderboard_script_of_a_hostile_sweep_prints_the_best_accuracies(
    run_cli, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_csv(data / HOSTILE_FILE, HOSTILE_TARGET)
    sweep_name = '"""\nimport os\nos.system("touch PWNED_SWEEP")\n"""'
    toml = "\n".join(
        [
            "[dataset]",
            f"train = {json.dumps(str(data / HOSTILE_FILE))}",  # a JSON string is TOML
            f"target = {json.dumps(HOSTILE_TARGET)}",
            "[search]",
            'strategy = "grid"',
            f"name = {json.dumps(sweep_name)}",
            "[fixed]",
            "epochs = 10",
            "[space]",
            "layers = [[3], [5]]",
        ]
    )
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(toml + "\n", encoding="utf-8")
    store = str(tmp_path / "runs.db")
    result = run_cli(
        "sweep", str(sweep_file), "--executor", "inline", "-q", "--json", "--store", store,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    points = {point["run_id"]: point for point in json.loads(result.stdout)}
    result = run_cli("sweeps", "--json", "--store", store)
    (sweep,) = json.loads(result.stdout)
    assert sweep["name"] == sweep_name

    result = run_cli("leaderboard", str(sweep["id"]), "--python", "-o", "-", "--store", store)
    assert result.returncode == 0, result.stderr
    script = tmp_path / "best.py"
    script.write_text(result.stdout, encoding="utf-8")

    ran = run_script(script, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == expected_output(points[sweep["best_run_id"]])
    assert_no_side_effect(tmp_path)


def test_record_of_a_hostile_name_shows_in_the_docstring_on_one_line(tmp_path: Path) -> None:
    """A human reading the script sees the name, escaped, on its own docstring line."""
    train = real_csv(tmp_path / HOSTILE_FILE, HOSTILE_TARGET)
    source = python_script(record_for(csv_dataset(train, None, HOSTILE_TARGET)))
    lines = source.splitlines()
    assert lines[1] == (
        'Data: a\\"\\"\\";__import__(\\"os\\").system(\\"touch PWNED_FILE\\");\\"\\"\\"b.csv'
        '[target=y\\"\\"\\";__import__(\\"os\\").system(\\"touch PWNED_TARGET\\");\\"\\"\\"]'
    )
