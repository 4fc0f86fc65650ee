"""``core`` never imports textual or rich, and the CLI parser does not import sklearn
(checked in fresh interpreters, so nothing this test process imported can hide it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Extras another developer may add to core (the Dask executor) need their own optional
#: dependency; importing them is not a hygiene failure when it is not installed.
OPTIONAL_MODULES = {"core.executors_dask": "distributed"}


def python(*parts: str) -> dict:
    """Run the code ``parts`` (each dedented) in a fresh interpreter; its last line of
    output is JSON."""
    code = "\n".join(textwrap.dedent(part) for part in parts)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


#: Imports every core module (``__main__`` would run the CLI); prints their names.
IMPORT_ALL = f"""
import importlib, pkgutil
import core
optional = {OPTIONAL_MODULES!r}
names = []
for info in pkgutil.walk_packages(core.__path__, "core."):
    if info.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(info.name)
    except ImportError as error:
        if optional.get(info.name) != error.name:
            raise
    names.append(info.name)
"""

EXPECTED = {
    "core.config",
    "core.training",
    "core.scoring",
    "core.diagnosis",
    "core.store",
    "core.datasets",
    "core.worker",
    "core.executors",
    "core.runner",
    "core.export",
    "core.cli",
    "core.cli.parser",
    "core.cli.commands",
}


def test_no_core_module_imports_textual_or_rich() -> None:
    # scikit-learn 1.9 itself imports rich (an optional progress bar in sklearn.callback)
    # when it is installed, so "rich not in sys.modules" cannot hold once sklearn loads.
    # What must hold: no core file imports either, and textual never loads at all.
    found = python(
        """
        import json, sys

        importers = []

        class Watch:
            def find_spec(self, name, path=None, target=None):
                if name in ("textual", "rich"):
                    frame = sys._getframe(1)
                    while frame.f_code.co_filename.startswith("<frozen"):
                        frame = frame.f_back
                    importers.append([name, frame.f_code.co_filename])
                return None

        sys.meta_path.insert(0, Watch())
        """,
        IMPORT_ALL,
        """
        textual = sorted(m for m in sys.modules if m.split(".")[0] == "textual")
        print(json.dumps({"names": names, "importers": importers, "textual": textual}))
        """,
    )
    assert set(found["names"]) >= EXPECTED
    assert found["textual"] == []
    for name, importer in found["importers"]:
        assert "/sklearn/" in importer, f"{name} imported by {importer}"
        assert not importer.startswith(str(ROOT / "core")), importer


def test_core_trains_and_runs_the_cli_without_textual_or_rich_installed() -> None:
    found = python(
        """
        import contextlib, io, json, sys, tempfile

        class Missing:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("textual", "rich"):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, Missing())
        """,
        IMPORT_ALL,
        """
        from core.cli import main
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["run", "--dataset", "iris", "--epochs", "5", "--executor", "inline",
                         "--json", "--store", tmp + "/runs.db"])
        run = json.loads(out.getvalue())
        print(json.dumps({"names": names, "code": code, "status": run["status"],
                          "n_epochs": run["n_epochs"], "rich": "rich" in sys.modules}))
        """,
    )
    assert set(found["names"]) >= EXPECTED
    assert found["code"] == 0
    assert (found["status"], found["n_epochs"]) == ("done", 5)
    assert found["rich"] is False


def test_cli_parser_and_help_do_not_import_sklearn() -> None:
    found = python(
        """
        import contextlib, io, json, sys
        import core.cli
        from core.cli import parser
        parser.build_parser()
        after_parser = "sklearn" in sys.modules
        with contextlib.redirect_stdout(io.StringIO()) as out:
            try:
                core.cli.main(["--help"])
            except SystemExit:
                pass
            try:
                core.cli.main(["run", "--help"])
            except SystemExit:
                pass
            try:
                core.cli.main(["inspect", "--help"])
            except SystemExit:
                pass
        heavy = ("sklearn", "scipy", "textual", "plotext", "pandas")
        heavy = sorted(m for m in heavy if m in sys.modules)
        print(json.dumps({"after_parser": after_parser, "heavy": heavy, "help": out.getvalue()}))
        """
    )
    assert found["after_parser"] is False
    assert found["heavy"] == []
    assert "usage: perceptune" in found["help"] and "--layers" in found["help"]
