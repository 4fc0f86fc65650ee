"""``export RUN_ID --python`` of a cross-validated run: the script cross-validates as
``GridSearchCV`` does (a Pipeline of the same preprocessing and network over
``StratifiedKFold(K)`` of the train part) and prints the stored fold accuracies, their
mean and std, then the refit's accuracies when the run was refit."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_export import DATA_DIR, exported_run, run_script


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--dataset", "iris", "--cv", "3", "--epochs", "20"], id="builtin"),
        pytest.param(
            # Text, date and gappy number columns: the ColumnTransformer fit per fold.
            ["--train", str(DATA_DIR / "survey_text.csv"), "--cv", "3", "--epochs", "20"],
            id="csv-text-columns",
        ),
        pytest.param(
            [
                *("--train", str(DATA_DIR / "moons_train.csv")),
                *("--test", str(DATA_DIR / "moons_test.csv")),
                *("--cv", "4", "--no-refit", "--epochs", "10"),
            ],
            id="csv-pair-no-refit",
        ),
    ],
)
@pytest.mark.slow
def test_exported_cv_script_prints_the_stored_folds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    run, source, script = exported_run(capsys, tmp_path, args)
    assert run["cv"] == len(run["fold_accuracies"]) >= 3
    refit = run["refit"]
    assert f"StratifiedKFold({run['cv']})" in source and "shuffle=" not in source
    assert source.count("MLPClassifier(") == 1  # one network: the folds clone it
    # Without a refit nothing trains on the whole train part nor reads the test part.
    assert ("model.fit(" in source) == refit and ("X_test" in source) == refit
    assert ("TEST =" in source) == (refit and "--test" in args)
    printed = run_script(script)
    folds = " ".join(f"{a:.3f}" for a in run["fold_accuracies"])
    expected = (
        f"CV accuracy: {run['cv_accuracy']:.3f} ± {run['cv_std']:.3f} "
        f"({run['cv']} folds: {folds})\n"
    )
    if refit:
        expected += (
            f"Train accuracy: {run['train_accuracy']:.3f}\n"
            f"Test accuracy: {run['test_accuracy']:.3f}\n"
        )
    else:
        assert run["train_accuracy"] is None and run["test_accuracy"] is None
    assert printed == expected


def test_a_cv_script_keeps_hostile_names_as_string_constants(tmp_path: Path) -> None:
    """The folds' code adds no path for a name to become code: a CV script (refit or
    not) on a file and a target named to break out of their quotes is, but for its
    string constants, the script of harmless names (test_export_security runs such
    scripts; the folds add no other use of a name)."""
    from test_export_security import (
        HOSTILE_FILE,
        HOSTILE_TARGET,
        assert_safe,
        real_csv,
        record_for,
    )

    from core.datasets import DatasetSpec
    from core.export import python_script

    def script_for(folder: Path, file_name: str, target: str, refit: bool) -> str:
        folder.mkdir(exist_ok=True)
        train = real_csv(folder / file_name, target)
        spec = DatasetSpec(name=None, train=train, target=target, cv=3, refit=refit)
        return python_script(record_for(spec.to_dict()), script_name=file_name)

    for refit in (True, False):
        source = script_for(tmp_path / "hostile", HOSTILE_FILE, HOSTILE_TARGET, refit)
        harmless = script_for(tmp_path / "plain", "a.csv", "y", refit)
        assert "cross_val_score" in source and ("model.fit(" in source) == refit
        assert_safe(source, harmless)
