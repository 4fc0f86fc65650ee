"""Dask over TLS: ``--scheduler tls://...`` with ``--tls-ca-file/--tls-cert/--tls-key``
(or Dask's own TLS config) runs on a real TLS cluster; a stranger's certificate is
refused; every missing, unreadable or misplaced TLS file is one line and exit 2."""

from __future__ import annotations

import json
import logging
import os

import pytest

pytest.importorskip("distributed")
pytest.importorskip("cryptography")  # distributed.security.Security.temporary()

import dask
from distributed import LocalCluster
from distributed.security import Security

from core import executors_dask
from core.cli import main
from core.store import RunStore

pytestmark = pytest.mark.slow

FLAGS = ["--dataset", "moons", "--samples", "200", "--epochs", "5", "-q"]


def write_pems(folder, security: Security, prefix: str = "") -> dict[str, str]:
    """The in-memory PEM texts of ``security`` as files: ca, cert, key paths."""
    paths = {}
    for name, text in (
        ("ca", security.tls_ca_file),
        ("cert", security.tls_client_cert),
        ("key", security.tls_client_key),
    ):
        path = folder / f"{prefix}{name}.pem"
        path.write_text(text)
        paths[name] = str(path)
    return paths


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    """A TLS-only cluster whose one CA signs the scheduler's, the worker's and our
    certificate; its worker runs in this process (cheap), over real TLS sockets."""
    folder = tmp_path_factory.mktemp("tls")
    security = Security.temporary()
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tls://",
        host="127.0.0.1",
        security=security,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address, write_pems(folder, security)


def tls_flags(pems: dict[str, str]) -> list[str]:
    return ["--tls-ca-file", pems["ca"], "--tls-cert", pems["cert"], "--tls-key", pems["key"]]


def test_a_run_on_a_tls_scheduler_equals_the_local_one(tls_cluster, tmp_path, capsys):
    address, pems = tls_cluster
    assert address.startswith("tls://")
    store = str(tmp_path / "s.db")
    assert main(["run", *FLAGS, "--json", "--executor", "inline", "--store", store]) == 0
    local = json.loads(capsys.readouterr().out)
    code = main(
        ["run", *FLAGS, "--json", "--executor", "dask", "--scheduler", address,
         *tls_flags(pems), "--store", store]
    )  # fmt: skip
    assert code == 0
    remote = json.loads(capsys.readouterr().out)
    assert remote["status"] == "done"
    assert remote["curve"] == local["curve"]


def test_dasks_own_tls_config_is_enough(tls_cluster, tmp_path, capsys):
    address, pems = tls_cluster
    config = {
        "distributed.comm.tls.ca-file": pems["ca"],
        "distributed.comm.tls.client.cert": pems["cert"],
        "distributed.comm.tls.client.key": pems["key"],
    }
    store = str(tmp_path / "s.db")
    with dask.config.set(config):
        code = main(["run", *FLAGS, "--executor", "dask", "--scheduler", address, "--store", store])
    assert code == 0, capsys.readouterr().err
    assert [r.status for r in RunStore(store).list_runs()] == ["done"]


def test_a_certificate_from_another_ca_is_refused_in_one_line(
    tls_cluster, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(executors_dask, "CONNECT_TIMEOUT_S", 2.0)
    address, pems = tls_cluster
    stranger = write_pems(tmp_path, Security.temporary(), prefix="stranger-")
    store = tmp_path / "s.db"
    for pem_files in ({**pems, "cert": stranger["cert"], "key": stranger["key"]}, stranger):
        code = main(
            ["run", *FLAGS, "--executor", "dask", "--scheduler", address,
             *tls_flags(pem_files), "--store", str(store)]
        )  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1
        assert f"cannot reach Dask scheduler {address}" in err
        assert "TLS refused" in err
    # and plain TCP to it is no way in either
    code = main(["run", *FLAGS, "--executor", "dask", "--scheduler", address.replace("tls", "tcp"),
                 "--store", str(store)])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not store.exists() or RunStore(store).list_runs() == []


@pytest.fixture(scope="module")
def pems(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pems")
    files = write_pems(folder, Security.temporary())
    (folder / "garbage.pem").write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    files["garbage"] = str(folder / "garbage.pem")
    files["missing"] = str(folder / "missing.pem")
    files["folder"] = str(folder)
    return files


TLS = "tls://127.0.0.1:1"  # nothing listens there: every case must fail before connecting

CASES = {
    "a missing certificate": (
        ["--scheduler", TLS, "--tls-ca-file", "{ca}", "--tls-cert", "{missing}"],
        "--tls-cert: cannot read '{missing}' (No such file or directory)",
    ),
    "a folder as the key": (
        ["--scheduler", TLS, "--tls-ca-file", "{ca}", "--tls-cert", "{cert}", "--tls-key",
         "{folder}"],
        "--tls-key: cannot read '{folder}' (Is a directory)",
    ),
    "a device as the CA": (
        ["--scheduler", TLS, "--tls-ca-file", os.devnull, "--tls-cert", "{cert}"],
        f"--tls-ca-file: '{os.devnull}' is not a regular file",
    ),
    "an empty path": (
        ["--scheduler", TLS, "--tls-ca-file", "", "--tls-cert", "{cert}"],
        "--tls-ca-file: cannot read ''",
    ),
    "a file that is no certificate": (
        ["--scheduler", TLS, "--tls-ca-file", "{ca}", "--tls-cert", "{garbage}", "--tls-key",
         "{key}"],
        "cannot use the TLS files (--tls-ca-file/--tls-cert/--tls-key)",
    ),
    "TLS files for a plain TCP address": (
        ["--scheduler", "tcp://127.0.0.1:1", "--tls-cert", "{cert}"],
        "TLS files (--tls-cert) need a tls:// scheduler address, got 'tcp://127.0.0.1:1'",
    ),
    "TLS files for the private local cluster": (
        ["--tls-ca-file", "{ca}"],
        "TLS files (--tls-ca-file) need a TLS scheduler: --scheduler tls://HOST:PORT",
    ),
    "a TLS address without certificates": (
        ["--scheduler", TLS],
        "'tls://127.0.0.1:1' is a TLS address: give --tls-ca-file FILE and --tls-cert FILE",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_tls_input_is_one_line_and_exit_2(case, pems, tmp_path, capsys):
    flags, expected = CASES[case]
    flags = [flag.format(**pems) for flag in flags]
    store = tmp_path / "s.db"
    code = main(["run", *FLAGS, "--executor", "dask", *flags, "--store", str(store)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert expected.format(**pems) in err
    assert not store.exists()


def test_tls_flags_need_the_dask_executor(pems, tmp_path, capsys):
    code = main(["run", *FLAGS, "--tls-cert", pems["cert"], "--store", str(tmp_path / "s.db")])
    assert code == 2
    assert "--tls-* options need the dask executor" in capsys.readouterr().err


def test_a_missing_file_in_dasks_config_is_named_by_its_key(pems, tmp_path, capsys):
    store = tmp_path / "s.db"
    with dask.config.set({"distributed.comm.tls.ca-file": pems["missing"]}):
        code = main(
            ["run", *FLAGS, "--executor", "dask", "--scheduler", TLS, "--tls-cert", pems["cert"],
             "--store", str(store)]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"distributed.comm.tls.ca-file: cannot read '{pems['missing']}'" in err
    assert err.count("\n") == 1


def test_sweep_and_the_tui_take_the_same_flags(pems, tmp_path, capsys):
    from tui.entry import main as perceptune
    from tui.entry import parse_tui_args

    store = tmp_path / "s.db"
    bad = ["--executor", "dask", "--scheduler", TLS, "--tls-ca-file", pems["ca"]]
    bad += ["--tls-cert", pems["missing"]]
    assert parse_tui_args(["--store", str(store), *bad])["tls-cert"] == pems["missing"]
    assert perceptune(["--store", str(store), *bad]) == 2  # the TUI, refused before it opens
    assert not store.exists()
    sweep = tmp_path / "grid.toml"
    sweep.write_text('[dataset]\nname = "moons"\n[space]\nlr = [0.1, 0.01]\n')
    assert main(["sweep", str(sweep), "--store", str(store), *bad]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[:2] == [f"perceptune: --tls-cert: cannot read '{pems['missing']}' "
                          "(No such file or directory)"] * 2  # fmt: skip
